#!/usr/bin/env bash
# tests/pkg/install_consumer.sh — stackheap as a dependency, as a user meets it: the build
# is installed into a temporary prefix (`cmake --install --prefix`), and a small project
# (tests/pkg/consumer) is built against that prefix alone, once through pkg-config and once
# through find_package(stackheap 0.1), in C and in C++, and run. Then what was installed is
# checked: exports (nm -D: libstackheap only sh_*, the drop-in only src/heap/shim.map's
# names, the tracer only sh_trace_*), SONAMEs and links carrying the version of version.h,
# the .pc files' prefix being the one given at install time.
#
#     SH_BINARY_DIR=build SH_SOURCE_DIR=. bash tests/pkg/install_consumer.sh
#
# Needs cmake, pkg-config, cc, nm, readelf (exit 77 without them); c++ for the C++ half.
set -u
build="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
for tool in cmake pkg-config cc nm readelf; do
    command -v "$tool" >/dev/null || { echo "skip: no $tool"; exit 77; }
done
# A sanitizer build's libraries need the ASan runtime loaded first: not what a user installs.
if grep -q '^STACKHEAP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "skip: a sanitizer build is not installed for users"; exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"
# same NAME WANT GOT
same() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sh-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
if cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    pass "cmake --install --prefix $prefix"
else
    fail "cmake --install" "$(tail -5 "$work/install.log")"; finish
fi

# ---- what was installed -----------------------------------------------------------------
pc=$(find "$prefix" -path '*/pkgconfig/stackheap.pc' | head -1)
[ -n "$pc" ] || { fail "stackheap.pc installed under $prefix"; finish; }
libdir=$(dirname "$(dirname "$pc")")
inc="$prefix/include/stackheap"
version=$(sed -n 's/^#define SH_VERSION_STRING "\(.*\)"$/\1/p' "$inc/version.h" 2>/dev/null)
major=${version%%.*}
if [ -n "$version" ]; then pass "version.h installed (version $version)"
else fail "version.h installed with SH_VERSION_STRING"; finish; fi
same "version.h is project()'s version" \
    "$(sed -n 's/^project(stackheap VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" "$version"
same "no template installed beside the headers" "" "$(find "$inc" -name '*.in')"

export PKG_CONFIG_LIBDIR="$libdir/pkgconfig" PKG_CONFIG_PATH=   # this prefix only
for name in stackheap stackheap-malloc; do
    same "pkg-config --modversion $name" "$version" "$(pkg-config --modversion $name 2>&1)"
    same "$name.pc: prefix is the one given at install time" "$prefix" \
        "$(pkg-config --variable=prefix $name 2>&1)"
done
same "stackheap-malloc.pc: preload names the versioned library" "$libdir/libstackheap-malloc.so.$major" \
    "$(pkg-config --variable=preload stackheap-malloc)"
trace_built=""
[ -e "$libdir/libstackheap-trace.so" ] && trace_built=1
if [ -n "$trace_built" ]; then
    same "pkg-config --modversion stackheap-trace" "$version" "$(pkg-config --modversion stackheap-trace 2>&1)"
    same "installed stackheap --version" "stackheap $version" "$("$prefix/bin/stackheap" --version 2>&1)"
fi

# The shared libraries: SONAME lib.so.MAJOR, lib.so -> lib.so.MAJOR -> lib.so.VERSION.
for lib in stackheap stackheap-malloc ${trace_built:+stackheap-trace}; do
    so="$libdir/lib$lib.so"
    soname=$(readelf -d "$so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    same "lib$lib: SONAME" "lib$lib.so.$major" "$soname"
    same "lib$lib: links" "lib$lib.so.$major lib$lib.so.$version" \
        "$(readlink "$so") $(readlink "$so.$major")"
done
[ -f "$libdir/libstackheap.a" ] && pass "libstackheap.a installed" || fail "libstackheap.a installed"

# The exports (nm -D --defined-only): only the public names, nothing internal.
exports() { nm -D --defined-only "$1" | awk '{ print $NF }' | sed 's/@.*//' | sort -u; }
others=$(exports "$libdir/libstackheap.so.$version" | grep -v '^sh_')
same "libstackheap exports only sh_* names" "" "$(echo $others)"
exports "$libdir/libstackheap.so.$version" | grep -qx sh_version \
    && pass "libstackheap exports sh_version" || fail "libstackheap exports sh_version"
# the drop-in's names are those of its version script, the one list of them
shim_names=$(sed -n '/global:/,/local:/p' "$src/src/heap/shim.map" | sed '1d;$d' | tr -s ' ;' '\n\n' \
             | grep -v '^$' | sort -u)
same "libstackheap-malloc exports exactly src/heap/shim.map's names" "$(echo $shim_names)" \
    "$(echo $(exports "$libdir/libstackheap-malloc.so.$version"))"
if [ -n "$trace_built" ]; then
    others=$(exports "$libdir/libstackheap-trace.so.$version" | grep -v '^sh_trace_')
    same "libstackheap-trace exports only sh_trace_* names" "" "$(echo $others)"
fi

# ---- the consumer, built against the prefix -------------------------------------------------
consumer="$src/tests/pkg/consumer"
expect="Hello, world! len 13 cap 13, numbers len 3 cap 4, boxed 42, usable>=100 1, live blocks>=4 1, header $version, library $version"
export LD_LIBRARY_PATH="$libdir"
have_cxx=""
command -v c++ >/dev/null && have_cxx=1

# run_consumer HOW LANG EXE: runs EXE, compares its line, checks it needs libstackheap.so.MAJOR
run_consumer() {
    local how=$1 lang=$2 exe=$3
    same "$how, $lang: the consumer runs" "$lang: $expect" "$("$exe" 2>&1)"
    readelf -d "$exe" | grep -q "NEEDED.*\[libstackheap.so.$major\]" \
        && pass "$how, $lang: needs libstackheap.so.$major" \
        || fail "$how, $lang: needs libstackheap.so.$major" "$(readelf -d "$exe" | grep NEEDED)"
}
# build HOW LANG LOG COMMAND...: a build step that passes or fails with its log's end
build() {
    local how=$1 lang=$2 log=$3; shift 3
    if "$@" >"$log" 2>&1; then return 0; fi
    fail "$how, $lang: builds" "$(grep -m1 -E 'error|Error' "$log" || tail -3 "$log")"
    return 1
}

flags=$(pkg-config --cflags --libs stackheap)
build pkg-config c "$work/pc_c.log" cc -Wall -Wextra "$consumer/consumer.c" $flags -o "$work/pc_c" \
    && run_consumer pkg-config c "$work/pc_c"
if [ -n "$have_cxx" ]; then
    build pkg-config c++ "$work/pc_cpp.log" c++ -Wall -Wextra "$consumer/consumer.cpp" $flags \
        -o "$work/pc_cpp" && run_consumer pkg-config c++ "$work/pc_cpp"
fi
if build pkg-config malloc "$work/pc_malloc.log" cc "$consumer/malloc_user.c" \
        $(pkg-config --cflags --libs stackheap-malloc) -o "$work/pc_malloc"; then
    out=$(STACKHEAP_STATS=1 "$work/pc_malloc" 2>&1)
    grep -q "stackheap heap statistics" <<<"$out" \
        && pass "pkg-config, malloc: malloc and free are the stackheap heap's" \
        || fail "pkg-config, malloc: malloc and free are the stackheap heap's" "$out"
fi
if [ -n "$trace_built" ] && [ -x "$build/lesson/add" ] &&
    build pkg-config trace "$work/pc_trace.log" cc "$consumer/trace_user.c" \
        $(pkg-config --cflags --libs stackheap-trace) -o "$work/pc_trace"; then
    same "pkg-config, trace: traces a program" "traced: exit code 0, steps yes" \
        "$("$work/pc_trace" "$build/lesson/add" 2>&1)"
fi

cm="$work/cmake"
if build find_package configure "$work/cm_configure.log" \
        cmake -S "$consumer" -B "$cm" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release; then
    pass "find_package(stackheap 0.1 REQUIRED) finds the prefix"
    build find_package c "$work/cm_c.log" cmake --build "$cm" --target consumer_c \
        && run_consumer find_package c "$cm/consumer_c"
    if [ -n "$have_cxx" ]; then
        build find_package c++ "$work/cm_cpp.log" cmake --build "$cm" --target consumer_cpp \
            && run_consumer find_package c++ "$cm/consumer_cpp"
    fi
    if build find_package malloc "$work/cm_malloc.log" cmake --build "$cm" --target malloc_user; then
        out=$(STACKHEAP_STATS=1 "$cm/malloc_user" 2>&1)
        grep -q "stackheap heap statistics" <<<"$out" \
            && pass "find_package, stackheap::malloc: malloc and free are the stackheap heap's" \
            || fail "find_package, stackheap::malloc: malloc and free are the stackheap heap's" "$out"
    fi
    if [ -n "$trace_built" ] && [ -x "$build/lesson/add" ] &&
        build find_package trace "$work/cm_trace.log" cmake --build "$cm" --target trace_user; then
        same "find_package, stackheap::trace: traces a program" "traced: exit code 0, steps yes" \
            "$("$cm/trace_user" "$build/lesson/add" 2>&1)"
    fi
fi
# SameMajorVersion: another major version is refused
if cmake -S "$consumer" -B "$work/cm_v" -DCMAKE_PREFIX_PATH="$prefix" \
        -DSTACKHEAP_WANT=$((major + 1)).0 >"$work/cm_v.log" 2>&1; then
    fail "find_package(stackheap $((major + 1)).0) is refused"
else
    grep -q "$version" "$work/cm_v.log" && pass "find_package(stackheap $((major + 1)).0) is refused" \
        || fail "find_package(stackheap $((major + 1)).0) is refused" "$(tail -3 "$work/cm_v.log")"
fi
finish

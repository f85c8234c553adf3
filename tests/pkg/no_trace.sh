#!/usr/bin/env bash
# tests/pkg/no_trace.sh — the libraries alone: -DSTACKHEAP_BUILD_TRACE=OFF configures and
# builds where there is no libdw (simulated: pkg-config finds no package at all, and CMake's
# PkgConfig module is disabled, so asking for it would stop the configure), registers no
# test that needs the tracer, and installs libraries, headers, .pc files and the CMake
# package without the tracer or the command. A fresh build in a temporary directory
# (about 10 s on 2 cores); the release build's run covers it, the checked and sanitizer
# builds skip it.
#
#     SH_BINARY_DIR=build SH_SOURCE_DIR=. bash tests/pkg/no_trace.sh
set -u
build="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
for tool in cmake readelf; do
    command -v "$tool" >/dev/null || { echo "skip: no $tool"; exit 77; }
done
if grep -qE '^STACKHEAP_(SANITIZE|CHECKED):BOOL=ON' "$build/CMakeCache.txt"; then
    echo "skip: the release build's run covers this"; exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

work=$(mktemp -d "${TMPDIR:-/tmp}/sh-notrace.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/no-pc"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
b="$work/build"
if PKG_CONFIG_LIBDIR="$work/no-pc" PKG_CONFIG_PATH= cmake -S "$src" -B "$b" \
        -DSTACKHEAP_BUILD_TRACE=OFF -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTACKHEAP_WERROR=ON ${cc:+-DCMAKE_C_COMPILER="$cc"} \
        >"$work/configure.log" 2>&1; then
    pass "configures with STACKHEAP_BUILD_TRACE=OFF and no libdw"
else
    fail "configures with STACKHEAP_BUILD_TRACE=OFF and no libdw" "$(grep -m2 -A2 'Error' "$work/configure.log")"
    finish
fi
if cmake --build "$b" -j2 >"$work/build.log" 2>&1; then pass "builds (every target)"
else fail "builds" "$(grep -m2 -E 'error|Error' "$work/build.log")"; finish; fi

for lib in libstackheap.so libstackheap-malloc.so libstackheap.a; do
    [ -e "$b/$lib" ] && pass "$lib built" || fail "$lib built"
done
for so in libstackheap.so libstackheap-malloc.so; do
    needed=$(readelf -d "$b/$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    grep -qE 'libdw|libelf' <<<"$needed" && fail "$so needs no libdw" "$needed" || pass "$so needs no libdw"
done
[ -e "$b/stackheap" ] || [ -e "$b/libstackheap-trace.so" ] \
    && fail "neither the command nor libstackheap-trace is built" || pass "neither the command nor libstackheap-trace is built"

tests=$(cd "$b" && ctest -N | sed -n 's/.*Test *#[0-9]*: //p')
tracer_tests=$(grep -E '^(cli|cpp|html|matrix|trace)/' <<<"$tests" | tr '\n' ' ')
[ -z "$tracer_tests" ] && pass "no test of the tracer registered" || fail "no test of the tracer registered" "$tracer_tests"
grep -q '^heap/test_api$' <<<"$tests" && pass "the heap's tests registered" || fail "the heap's tests registered"

prefix="$work/prefix"
if cmake --install "$b" --prefix "$prefix" >"$work/install.log" 2>&1; then
    pass "installs"
    installed=$(cd "$prefix" && find . \( -type f -o -type l \) | sort)
    for want in include/stackheap/own.h include/stackheap/version.h pkgconfig/stackheap.pc \
                pkgconfig/stackheap-malloc.pc cmake/stackheap/stackheap-config.cmake; do
        grep -q "/$want\$" <<<"$installed" && pass "installs $want" || fail "installs $want"
    done
    extra=$(grep -E 'bin/stackheap$|stackheap-trace|stackheap/trace\.h$' <<<"$installed" | tr '\n' ' ')
    [ -z "$extra" ] && pass "installs nothing of the tracer" || fail "installs nothing of the tracer" "$extra"
else
    fail "installs" "$(tail -3 "$work/install.log")"
fi
finish

#!/usr/bin/env bash
# tests/pkg/headers_clean.sh — the public headers as a user's compiler takes them.
#
# 1. tests/pkg/headers/consumer.c includes every public header and uses every macro and
#    inline of heap.h, stack.h, own.h and trace.h. It is built as C11 (gcc, clang) and as
#    C++17 (g++, clang++; C++20 with g++ too, where designated initializers are standard)
#    with -Wall -Wextra -Wcast-qual -Wconversion -Wsign-conversion -pedantic -Werror, the
#    headers found with -I as a user's would be (not -isystem, which hides their warnings),
#    linked against the build's libstackheap.a and libstackheap-trace.so, and run: it checks
#    what it computes and traces build/lesson/add through trace.h.
# 2. tests/pkg/headers/misuse.c: each mistake the attributes (stackheap/attrs.h) exist for
#    must fail a -Werror build with its warning (an ignored sh_malloc, a NULL to a nonnull
#    argument, GCC: a strcpy past an sh_malloc block, free() on an sh_malloc block), and the
#    file without a mistake must build.
# A compiler that is not installed is skipped with a note; none at all: exit 77 (skip).
set -u
bin_dir="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
here="$src/tests/pkg/headers"
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

for lib in libstackheap.a libstackheap-trace.so; do
    [ -e "$bin_dir/$lib" ] || { echo "FAIL $lib is not built in $bin_dir"; echo "0 passed, 1 failed"; exit 1; }
done
# The build's own flags that a program linking its libraries needs too: the sanitizer
# variant's runtime.
# variant's runtime. That runtime is the build compiler's: a program of the other compiler
# family cannot load it, so there the consumer is compiled (warnings) but not linked or run.
family() { "$1" --version 2>/dev/null | grep -q clang && echo clang || echo gcc; }
extra=() san_family=
if grep -q '^STACKHEAP_SANITIZE:BOOL=ON' "$bin_dir/CMakeCache.txt" 2>/dev/null; then
    extra=(-fsanitize=address,undefined)
    san_family=$(family "$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$bin_dir/CMakeCache.txt")")
fi
strict=(-Wall -Wextra -Wcast-qual -Wconversion -Wsign-conversion -pedantic -Werror)
link=("$bin_dir/libstackheap.a" -L"$bin_dir" -lstackheap-trace -Wl,-rpath,"$bin_dir" -lpthread)
tracee="$bin_dir/lesson/add"
[ -x "$tracee" ] || tracee=

# NAME COMPILER LANG-FLAGS...: consumer.c built under `strict` at -O0 and -O2 (the flow
# warnings differ), then run.
consumer() {
    local name=$1 cc=$2; shift 2
    local opt out log="$work/$name.log"
    if [ -n "$san_family" ] && [ "$(family "$cc")" != "$san_family" ]; then
        for opt in -O0 -O2; do
            if ! "$cc" "$@" "${strict[@]}" "$opt" -I"$src/include" -c "$here/consumer.c" \
                    -o "$work/consumer.o" >"$log" 2>&1; then
                fail "consumer $name $opt compiles warning-free" "$(head -c 3000 "$log")"
                return
            fi
        done
        pass "consumer $name: compiles with ${strict[*]} (not run: the sanitizer runtime is $san_family's)"
        return
    fi
    for opt in -O0 -O2; do
        out="$work/consumer-$name$opt"
        if ! "$cc" "$@" "${strict[@]}" "$opt" -g "${extra[@]}" -I"$src/include" \
                "$here/consumer.c" -x none "${link[@]}" -o "$out" >"$log" 2>&1; then
            fail "consumer $name $opt builds warning-free" "$(head -c 3000 "$log")"
            return
        fi
        if ! "$out" $tracee >"$log" 2>&1 || [ "$(cat "$log")" != "consumer: ok" ]; then
            fail "consumer $name $opt runs" "$(head -c 3000 "$log")"
            return
        fi
    done
    pass "consumer $name: builds with ${strict[*]} at -O0 and -O2, runs"
}

# NAME COMPILER WARNING LANG-FLAGS...: misuse.c with -DMISUSE_NAME must fail, saying WARNING.
misuse() {
    local name=$1 cc=$2 warning=$3; shift 3
    local log="$work/misuse-$name.log"
    if "$cc" "$@" -Wall -Wextra -Werror -O2 -I"$src/include" -DMISUSE_"$name" -c \
            "$here/misuse.c" -o "$work/misuse.o" >"$log" 2>&1; then
        fail "$cc: $name is a warning" "it compiled without one"
    elif grep -q -- "$warning" "$log"; then
        pass "$cc: $name is a warning ($warning)"
    else
        fail "$cc: $name is a warning" "not $warning: $(head -c 2000 "$log")"
    fi
}

found=0
for cc in gcc clang; do
    command -v "$cc" >/dev/null || { echo "note: no $cc"; continue; }
    found=1
    consumer "$cc-c11" "$cc" -std=c11 -x c
    if "$cc" -std=c11 "${strict[@]}" -O2 -I"$src/include" -c "$here/misuse.c" \
            -o "$work/misuse.o" >"$work/control.log" 2>&1; then
        pass "$cc: misuse.c without a mistake builds"
    else
        fail "$cc: misuse.c without a mistake builds" "$(head -c 2000 "$work/control.log")"
    fi
    for m in UNUSED_MALLOC UNUSED_STRING UNUSED_STACK UNUSED_WALK; do
        misuse "$m" "$cc" unused-result -std=c11
    done
    misuse NONNULL "$cc" "nonnull]" -std=c11
done
if command -v gcc >/dev/null; then
    misuse OVERFLOW gcc stringop-overflow -std=c11
    misuse TOO_BIG gcc alloc-size-larger-than -std=c11
    # malloc(deallocator) is GCC 11's
    if [ "$(gcc -dumpversion | cut -d. -f1)" -ge 11 ]; then
        misuse DEALLOC gcc mismatched-dealloc -std=c11
    fi
fi
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null || { echo "note: no $cxx"; continue; }
    found=1
    consumer "$cxx-c++17" "$cxx" -std=c++17 -x c++
    misuse UNUSED_MALLOC "$cxx" unused-result -std=c++17 -x c++
    misuse NONNULL "$cxx" "nonnull]" -std=c++17 -x c++
done
command -v g++ >/dev/null && consumer "g++-c++20" g++ -std=c++20 -x c++
[ "$found" = 1 ] || { echo "skip: no C or C++ compiler"; exit 77; }

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

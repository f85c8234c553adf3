#!/usr/bin/env bash
# bench/stack/run.sh BUILD_DIR — the stack's frame allocation against malloc/free pairs.
#
# Builds bench_stack.c with -O2 against BUILD_DIR/libstackheap.a (make bench builds that
# directory as a CMake Release build first), runs it, prints its Markdown table and appends
# it, with the date, machine and compiler, to bench/out/RESULTS-stack.md (replaced each run).
# Environment: BENCH_QUICK=1 runs a tenth of the work (a smoke test).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: bench/stack/run.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
lib=$build/libstackheap.a
[ -f "$lib" ] || { echo "bench/stack/run.sh: $lib not found (build $1 first)" >&2; exit 1; }

mkdir -p "$build/bench" "$root/bench/out"
exe=$build/bench/bench_stack
${CC:-gcc} -O2 -std=gnu11 -Wall -Wextra -I"$root/include" -o "$exe" "$here/bench_stack.c" "$lib" -pthread

scale=1
[ "${BENCH_QUICK:-0}" = 1 ] && scale=0.1
table=$("$exe" "$scale")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
    echo "## stack: frame allocation vs malloc/free — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $(nproc) CPUs; $(${CC:-gcc} --version | head -1); \`bench/stack/run.sh $1\`"
    echo
    echo "$table"
    echo
} | tee "$root/bench/out/RESULTS-stack.md"

#!/usr/bin/env bash
# bench/own/run.sh BUILD_DIR — own.h's vec and string against Rust's std and plain C arrays.
#
# Builds bench_own.c with gcc -O2 against BUILD_DIR/libstackheap.a (make bench builds that
# directory as a CMake Release build first) and bench_own.rs with rustc -O, then runs every
# workload 5 times, the three implementations taking turns within each round, and keeps the
# best time of each. Checksums must agree across implementations. Prints a Markdown table
# and writes it, with the date, machine and compilers, to bench/out/RESULTS-own.md.
# Without rustc the Rust column says n/a. Environment: BENCH_QUICK=1 runs a tenth of the
# work (a smoke test); CC picks the C compiler (default gcc).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: bench/own/run.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
lib=$build/libstackheap.a
[ -f "$lib" ] || { echo "bench/own/run.sh: $lib not found (build $1 first)" >&2; exit 1; }

mkdir -p "$build/bench" "$root/bench/out"
c_exe=$build/bench/bench_own
rs_exe=$build/bench/bench_own_rs
${CC:-gcc} -O2 -std=gnu11 -Wall -Wextra -I"$root/include" -o "$c_exe" "$here/bench_own.c" \
    "$lib" -lpthread

rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
rust_version="rustc: not found, Rust columns n/a"
if [ -n "$rustc" ]; then
    "$rustc" -O --edition 2021 -o "$rs_exe" "$here/bench_own.rs"
    rust_version=$("$rustc" --version)
else
    echo "bench/own/run.sh: rustc not found: the Rust column is n/a" >&2
fi

scale=1
[ "${BENCH_QUICK:-0}" = 1 ] && scale=0.1
rounds=5
workloads=(vec_push push_str extend clone)
declare -A label=(
    [vec_push]="vec push: 10M i32 into a new vec (ns per push)"
    [push_str]="string push_str: 10M pieces of 1-6 bytes, lengths known as in Rust's &str (ns per push)"
    [extend]="extend from a 1000-i32 slice, 10k times (ns per extend)"
    [clone]="clone a 1 MiB vec of i32, 1000 times (ns per clone)"
)
declare -A target=([vec_push]=1.10 [push_str]=1.10)
declare -A best sum

# One run: "ns checksum" from the implementation; keeps the best time and checks the sum.
run_one() {
    local w=$1 impl=$2 out
    case $impl in
        rust) out=$("$rs_exe" "$w" "$scale") ;;
        *) out=$("$c_exe" "$w" "$impl" "$scale") ;;
    esac
    local ns=${out% *} cs=${out#* }
    if [ -n "${sum[$w]:-}" ] && [ "${sum[$w]}" != "$cs" ]; then
        echo "bench/own/run.sh: $w: $impl's checksum $cs differs from ${sum[$w]}" >&2
        exit 1
    fi
    sum[$w]=$cs
    if [ -z "${best[$w.$impl]:-}" ] || awk "BEGIN { exit !($ns < ${best[$w.$impl]}) }"; then
        best[$w.$impl]=$ns
    fi
}

impls=(stackheap plain)
[ -n "$rustc" ] && impls=(stackheap rust plain)
for ((r = 0; r < rounds; r++)); do
    for w in "${workloads[@]}"; do
        n=${#impls[@]}
        for ((k = 0; k < n; k++)); do run_one "$w" "${impls[(k + r) % n]}"; done  # take turns first
    done
done

fmt() { awk "BEGIN { v = $1; printf(v >= 100 ? \"%.0f\" : \"%.2f\", v) }"; }
table=$(
    echo "| workload | stackheap ns/op | Rust ns/op | plain C ns/op | stackheap/Rust | target |"
    echo "|---|--:|--:|--:|--:|---|"
    for w in "${workloads[@]}"; do
        sh=${best[$w.stackheap]} pl=${best[$w.plain]}
        rs=n/a ratio=n/a verdict=
        if [ -n "${best[$w.rust]:-}" ]; then
            rs=$(fmt "${best[$w.rust]}")
            ratio=$(awk "BEGIN { printf(\"%.2f\", $sh / ${best[$w.rust]}) }")
        fi
        if [ -n "${target[$w]:-}" ]; then
            verdict="≤ ${target[$w]}"
            if [ "$ratio" != n/a ]; then
                if awk "BEGIN { exit !($ratio <= ${target[$w]}) }"; then verdict="$verdict: met"
                else verdict="$verdict: **missed**"; fi
            fi
        fi
        echo "| ${label[$w]} | $(fmt "$sh") | $rs | $(fmt "$pl") | $ratio | $verdict |"
    done
)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
    echo "## own: vec and string vs Rust's std and plain C — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $(nproc) CPUs; $(${CC:-gcc} --version | head -1); $rust_version;" \
         "best of $rounds interleaved runs (scale $scale); \`make bench\` (\`bench/own/run.sh $1\`)"
    echo
    echo "$table"
    echo
} | tee "$root/bench/out/RESULTS-own.md"

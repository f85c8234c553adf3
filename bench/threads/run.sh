#!/usr/bin/env bash
# bench/threads/run.sh BUILD_DIR — threads that come and go, under every allocator, in one run.
#
# Builds bench/threads/threads.c and runs its modes under glibc, jemalloc, mimalloc, tcmalloc
# (the Debian packages `make bench` installs; a missing one is n/a) and stackheap
# (BUILD_DIR/libstackheap-malloc.so) by LD_PRELOAD, the allocators interleaved and their order
# rotated each repetition; each cell is the median of BENCH_REPS runs (default 3).
#   - RSS as the work grows: the ring of short-lived threads (threads.c: ring) after 5,000,
#     10,000 and 20,000 threads; the mstress-like pool and the larson-like server after 25,
#     50, 100 and 300 rounds (peak RSS). A heap that strands the memory of ended threads
#     climbs with the rounds; one that reuses it stays flat.
#   - The churning thread pool (threads.c: churn), whose workers are replaced every round:
#     RSS after 100, 200, 400, 800 and 1,600 rounds of one run. Flat is the target.
#   - Live threads that freed their memory and sleep (threads.c: idle): RSS after the frees
#     and 1, 3 and 7 s later. Whatever comes back comes back without those threads' help.
#   - A 100 KB malloc/free pair with 1 thread, 1,000 idle threads and after they ended: an
#     allocation path that walks per-thread state shows as a ratio well above 1.
# Prints two Markdown tables and writes them, with the date, machine and versions, to
# bench/out/RESULTS-threads.md. BENCH_QUICK=1: a quarter of the work.
set -euo pipefail
unset LD_PRELOAD
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: bench/threads/run.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
[ -f "$build/libstackheap-malloc.so" ] || { echo "bench/threads/run.sh: build $1 first" >&2; exit 1; }
reps=${BENCH_REPS:-3}
out=$root/bench/out
mkdir -p "$out" "$build/bench"
exe=$build/bench/threads
gcc -O2 -pthread -std=gnu11 -Wall -Wextra -o "$exe" "$here/threads.c"

declare -A lib=([glibc]="" [stackheap]=$build/libstackheap-malloc.so)
peer() { dpkg -L "$1" 2>/dev/null | grep -m1 "/$2\$" || true; }
lib[jemalloc]=$(peer libjemalloc2 libjemalloc.so.2)
lib[mimalloc]=$(peer libmimalloc2.0 libmimalloc.so.2)
lib[tcmalloc]=$(peer libtcmalloc-minimal4 libtcmalloc_minimal.so.4)
allocators=()
for a in glibc jemalloc mimalloc tcmalloc stackheap; do
    if [ "$a" = glibc ] || [ -n "${lib[$a]}" ]; then allocators+=("$a"); fi
done

q=1
[ -n "${BENCH_QUICK:-}" ] && q=4
ring_n=$((20000 / q))
churn_n=$((1600 / q))
rounds=(25 50 100 300)
[ $q -gt 1 ] && rounds=(10 20 40 80)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run ALLOC ARGS...: the figures line of one run, into $tmp/ALLOC.ARGS.REP
run() {
    local a=$1 rep=$2; shift 2
    local key="$*"
    local f="$tmp/$a.${key// /_}.$rep"
    if [ -n "${lib[$a]}" ]; then LD_PRELOAD=${lib[$a]} timeout 300 "$exe" "$@" > "$f"
    else timeout 300 "$exe" "$@" > "$f"; fi
}

cases=("ring $ring_n" "churn $churn_n" "medium" "idle")
for r in "${rounds[@]}"; do cases+=("pool $r" "server $r"); done
for rep in $(seq 1 "$reps"); do
    n=${#allocators[@]}
    for c in "${cases[@]}"; do
        for i in $(seq 0 $((n - 1))); do
            a=${allocators[$(( (i + rep) % n ))]}
            # shellcheck disable=SC2086
            run "$a" "$rep" $c
        done
    done
    echo "repetition $rep of $reps done" >&2
done

# median KEY ALLOC CASE: the median over the repetitions of KEY=value
median() {
    local key=$1 a=$2 c=${3// /_}
    cat "$tmp/$a.$c".* | tr ' ' '\n' | awk -F= -v k="$key" '$1 == k { print $2 }' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)]; else printf "n/a" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "n/a") printf "%.2f", a / b; else printf "n/a" }'; }

{
    echo "## Threads that come and go (bench/threads/run.sh)"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Command: \`bench/threads/run.sh $1\`; $reps runs per cell, allocators interleaved, medians"
    echo "- stackheap $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); peers: Debian's packages"
    echo
    echo "RSS in MiB (the ring and the churning pool: RSS after that many threads or rounds of one run;
pool and server: peak RSS of a run of that many rounds; idle threads: RSS that long after
their frees). Lower is better."
    echo
    printf '| workload |'; for a in "${allocators[@]}"; do printf ' %s |' "$a"; done
    echo ' sh/glibc | sh/mimalloc |'
    printf '|---|'; for a in "${allocators[@]}"; do printf -- '--:|'; done; printf -- '--:|--:|\n'
    row() {  # row TITLE KEY CASE
        local vals=() a
        printf '| %s |' "$1"
        for a in "${allocators[@]}"; do
            local v; v=$(median "$2" "$a" "$3"); vals+=("$v"); printf ' %s |' "$v"
        done
        local sh g m
        sh=$(median "$2" stackheap "$3"); g=$(median "$2" glibc "$3")
        m=n/a; [ -n "${lib[mimalloc]}" ] && m=$(median "$2" mimalloc "$3")
        echo " $(ratio "$sh" "$g") | $(ratio "$sh" "$m") |"
    }
    row "ring of short-lived threads, after $((ring_n / 4)) threads" rss_q1 "ring $ring_n"
    row "ring of short-lived threads, after $((ring_n / 2)) threads" rss_q2 "ring $ring_n"
    row "ring of short-lived threads, after $ring_n threads" rss_end "ring $ring_n"
    for r in "${rounds[@]}"; do row "pool (mstress-like), $r rounds of 4 threads" peak "pool $r"; done
    for r in "${rounds[@]}"; do row "server (larson-like), $r rounds of 4 threads" peak "server $r"; done
    for d in 16 8 4 2 1; do
        row "churning pool, after $((churn_n / d)) rounds of 4 new workers" "r$((churn_n / d))" "churn $churn_n"
    done
    for s in 0 1 3 7; do
        row "4 live threads that freed their blocks, asleep for $s s" "idle$s" idle
    done
    echo
    echo "A 100 KB malloc/free pair, ns (best of 5 runs of 20,000 pairs); the ratios are the"
    echo "pair's cost with 1,000 idle threads and after 1,000 threads ended, over its cost alone."
    echo
    echo "| allocator | 1 thread | 1,000 idle threads | after 1,000 ended | idle / alone | ended / alone |"
    echo "|---|--:|--:|--:|--:|--:|"
    for a in "${allocators[@]}"; do
        o=$(median one "$a" medium); i=$(median idle1000 "$a" medium); e=$(median ended1000 "$a" medium)
        echo "| $a | $o | $i | $e | $(ratio "$i" "$o") | $(ratio "$e" "$o") |"
    done
} | tee "$out/RESULTS-threads.md"

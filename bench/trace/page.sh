#!/usr/bin/env bash
# bench/trace/page.sh BUILD_DIR — the lesson page of a long trace in a real browser: how
# long it takes to open, and to jump to any step (issue 11: a 1,000,000-step trace opens
# in ≤ 3 s and jumps in ≤ 100 ms).
#
# bench/trace/loop.c (cc -g -O0 -DITERS=N: two steps per iteration) at 10k, 100k and 1M
# steps, each traced into a page with `stackheap run --max-steps 2000100 --html F`, then
# opened from disk in headless Chromium (Debian's, driven by playwright-core:
# scripts/deps.sh browser installs both) BENCH_REPS times (default 3) in fresh contexts by
# bench/trace/page.js: open = navigation to the first step drawn and painted; ready =
# navigation to every step's patch applied (a page of version 2 does it after open, a
# slice at a time); jump = once ready, the median over 20 random steps (the same ones each
# run) of #step-N written to step N painted; medians of the runs. Also the page's size and the time to make it.
#
# Side by side: the same pages made by a stackheap built from BASE_REF (default HEAD~1, as
# bench/trace/cases.sh builds it; BASE_REF=none: this build alone), at the sizes up to
# BASE_MAX_STEPS (default 100,000: a page of version 1 of the trace takes 1.5 KB a step).
# A page larger than PAGE_MAX_MB (default 500: V8 cannot hold a longer string) is made and
# measured but not opened.
#
# Prints a Markdown table and writes it, with the date, machine and browser, to
# bench/out/RESULTS-trace-page.md (BENCH_OUT: another directory). BENCH_SIZES: other sizes
# ("10000 100000"). BENCH_QUICK=1: 10k steps only, one run. Without Chromium it says so and exits 0.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=bench/trace/common.sh
source "$here/common.sh"
[ $# -eq 1 ] || { echo "usage: bench/trace/page.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
new_exe=$build/stackheap
[ -x "$new_exe" ] || { echo "bench/trace/page.sh: $new_exe not found (build $1 first)" >&2; exit 1; }

quick=${BENCH_QUICK:-0}
reps=${BENCH_REPS:-3}
base_ref=${BASE_REF:-HEAD~1}
base_max=${BASE_MAX_STEPS:-100000}
page_max=${PAGE_MAX_MB:-500}
read -r -a sizes <<< "${BENCH_SIZES:-10000 100000 1000000}"
if [ "$quick" = 1 ]; then reps=${BENCH_REPS:-1}; read -r -a sizes <<< "${BENCH_SIZES:-10000}"; fi

"$root/scripts/deps.sh" browser >/dev/null 2>&1 || true
if [ ! -x "${SH_CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null ||
   [ ! -f "$root/tests/html/node_modules/playwright-core/package.json" ]; then
    echo "bench/trace/page.sh: no Chromium, node or playwright-core (scripts/deps.sh browser, as root): not measured" >&2
    exit 0
fi

work=$build/bench/trace-page
out_dir=${BENCH_OUT:-$root/bench/out}
out_md=$out_dir/RESULTS-trace-page.md
mkdir -p "$work" "$out_dir"
say() { printf '%s\n' "$*" >&2; }

base_exe='' base_desc=''
if [ "$base_ref" != none ]; then
    # the same base build as bench/trace/cases.sh's, shared
    base_build "$root" "$build" "$base_ref" "$build/bench/trace-cases" || { say "bench/trace/page.sh: $base_error"; exit 1; }
fi
versions=(new)
[ -n "$base_exe" ] && versions+=(base)
declare -A exe=([new]=$new_exe [base]=$base_exe)
declare -A made=() bytes=() open=() ready=() jump=() slowest=() heap=() note=()
started=$(date -u '+%Y-%m-%d %H:%M UTC')
chromium_version=''

label() { case $1 in 10000) echo 10k ;; 100000) echo 100k ;; 1000000) echo 1M ;; *) echo "$1" ;; esac; }
ms() { awk -v x="$1" 'BEGIN { printf (x == "" ? "–" : x < 10 ? "%.1f" : "%.0f"), x }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

for steps in "${sizes[@]}"; do
    l=$(label "$steps")
    iters=$(( (steps - 5) / 2 ))
    cc -g -O0 -DITERS="$iters" -o "$work/loop-$l" "$here/loop.c"
    for v in "${versions[@]}"; do
        k=$l.$v
        if [ "$v" = base ] && [ "$steps" -gt "$base_max" ]; then note[$k]="not made (> BASE_MAX_STEPS)"; continue; fi
        page=$work/loop-$l.$v.html
        rm -f "$page"
        say "bench: $v: the page of loop.c at $l steps"
        if ! timed "${exe[$v]}" run --max-steps 2000100 --html "$page" -- "$work/loop-$l" > "$work/run.log" 2>&1; then
            note[$k]="stackheap failed: $(tail -1 "$work/run.log")"; continue
        fi
        made[$k]=$elapsed_ns
        bytes[$k]=$(stat -c %s "$page")
        if [ "${bytes[$k]}" -gt $((page_max * 1000000)) ]; then
            note[$k]="not opened ($(mb "${bytes[$k]}") MB > PAGE_MAX_MB)"; rm -f "$page"; continue
        fi
        say "bench: $v: opening it $reps times ($(mb "${bytes[$k]}") MB)"
        if ! res=$(node "$here/page.js" "$reps" 20 "$page" 2> "$work/node.log"); then
            note[$k]="the browser failed: $(tail -1 "$work/node.log")"; rm -f "$page"; continue
        fi
        rm -f "$page"   # a page of version 1 at 1M steps would fill the disk
        read -r o rd j s hp errs ver < <(node -e '
            const r = JSON.parse(process.argv[1]);
            console.log([r.open, r.ready, r.jump, r.slowest, r.heap, r.errors.length, JSON.stringify(r.version)].join(" "));' "$res")
        open[$k]=$o ready[$k]=$rd jump[$k]=$j slowest[$k]=$s heap[$k]=$hp chromium_version=${ver//\"/}
        [ "$errs" = 0 ] || note[$k]="errors on the page: $(node -e 'console.log(JSON.parse(process.argv[1]).errors.join(" | "))' "$res")"
    done
done

ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }' || echo "–"; }
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo "**not met**"; }
table() {
    echo "| steps | version | page MB | made in s | open ms | ready ms | jump ms (median of 20) | slowest jump ms | JS heap MB | note |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for steps in "${sizes[@]}"; do
        l=$(label "$steps")
        for v in "${versions[@]}"; do
            k=$l.$v
            echo "| $l | $v | ${bytes[$k]:+$(mb "${bytes[$k]}")} | ${made[$k]:+$(awk -v n="${made[$k]}" 'BEGIN { printf "%.1f", n / 1e9 }')} | $(ms "${open[$k]:-}") | $(ms "${ready[$k]:-}") | $(ms "${jump[$k]:-}") | $(ms "${slowest[$k]:-}") | ${heap[$k]:+$(mb "${heap[$k]}")} | ${note[$k]:-} |"
        done
        if [ -n "$base_exe" ] && [ -n "${open[$l.base]:-}" ] && [ -n "${open[$l.new]:-}" ]; then
            echo "| $l | new/base | $(ratio "${bytes[$l.new]}" "${bytes[$l.base]}") | $(ratio "${made[$l.new]}" "${made[$l.base]}") | $(ratio "${open[$l.new]}" "${open[$l.base]}") | $(ratio "${ready[$l.new]}" "${ready[$l.base]}") | $(ratio "${jump[$l.new]}" "${jump[$l.base]}") | | | |"
        fi
    done
}
targets() {
    local big=''
    for steps in "${sizes[@]}"; do [ -n "${open[$(label "$steps").new]:-}" ] && big=$(label "$steps"); done
    [ -n "$big" ] || return 0
    echo "| target (issue 11) | $big steps, new | |"
    echo "|---|---:|---|"
    echo "| the page opens in ≤ 3 s | $(ms "${open[$big.new]}") ms | $(verdict "${open[$big.new]} <= 3000") |"
    echo "| a jump to any step in ≤ 100 ms (once ready) | $(ms "${jump[$big.new]}") ms (slowest $(ms "${slowest[$big.new]}")) | $(verdict "${jump[$big.new]} <= 100") |"
    echo "| every step ready in ≤ 3 s (a jump before costs the patches up to its step) | $(ms "${ready[$big.new]}") ms | $(verdict "${ready[$big.new]} <= 3000") |"
}

command="bench/trace/page.sh $1"
[ -n "${MAKELEVEL:-}" ] && command="make bench"
{
    echo "## trace page: the lesson page of loop.c in Chromium — $started"
    echo
    echo "Machine: $(cpu_model), $(nproc) CPUs, kernel $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg); Chromium $chromium_version (headless)."
    echo "Command: \`${BENCH_QUICK:+BENCH_QUICK=1 }BENCH_REPS=$reps BASE_REF=$base_ref $command\`;" \
         "new = \`$new_exe\` ($(git -C "$root" log -1 --format=%h)$( [ -n "$(git -C "$root" status --porcelain -- src 2> /dev/null)" ] && echo "+uncommitted")), base = ${base_desc:-none}."
    echo "open: navigation to the first step painted; ready: navigation to every step's patch applied (version 2: after open, 12 ms at a time; version 1: at open); jump, once ready: #step-N written to step N painted, 20 random steps; medians of $reps runs in fresh contexts."
    echo
    table
    echo
    targets
    echo
} | tee "$out_md"

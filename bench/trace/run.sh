#!/usr/bin/env bash
# bench/trace/run.sh BUILD_DIR — `stackheap run` against gdb in batch mode on the same trace.
#
# Builds loop.c with gcc -g -O0 -DITERS=N (two steps per iteration: about 100,000 steps for 50,000
# iterations), then traces it with BUILD_DIR/stackheap (JSON to a file, then the text view
# to a file) and with gdb -batch running `step` + `info locals` in a gdb `while` loop, the
# locals of every line written to a file. Both are checked: the JSON must hold at least
# 2*N+5 steps (a few more if the tracer adds a step at the exit) and end with the program's
# exit code 0, the text view as many "Step N:" headers as the JSON has steps, and
# gdb's output one `sum = ...` line per step; any other count fails the bench (exit 1).
#
# gdb is much slower, so it runs fewer steps (GDB_STEPS) of the same program and the
# comparison is in steps per second. Each tool's start-up (reading DWARF, starting the
# program, running to main) is measured on its own with a 1-step run and taken off the
# time before dividing, so a short gdb run is not penalised for its start-up. Every time
# is the best of BENCH_REPS runs (noise only ever adds time).
#
# Prints a Markdown table and writes it, with the date, machine and versions, to
# bench/out/RESULTS-trace.md. Environment: BENCH_QUICK=1 runs a tenth of the work;
# BENCH_REPS (default 3); TRACE_ITERS (default 50000); GDB_STEPS (default 10000).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/trace/common.sh
source "$here/common.sh"
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: bench/trace/run.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
sh_exe=$build/stackheap
[ -x "$sh_exe" ] || { echo "bench/trace/run.sh: $sh_exe not found (build $1 first)" >&2; exit 1; }

iters=${TRACE_ITERS:-50000}
gdb_steps=${GDB_STEPS:-10000}
reps=${BENCH_REPS:-3}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    iters=$((iters / 10)); gdb_steps=$((gdb_steps / 10))
fi
# "main() called", 3 lines before the loop, 2 per iteration, 1 after (and the tracer may
# add a final step at the exit): the JSON's count is checked against this and then used
min_steps=$((2 * iters + 5)) max_steps=$((2 * iters + 8))
steps=$min_steps
[ "$gdb_steps" -lt $((2 * iters)) ] || gdb_steps=$((2 * iters))

work=$build/bench/trace
mkdir -p "$work" "$root/bench/out"
loop=$work/loop
${CC:-gcc} -g -O0 -DITERS="$iters" -o "$loop" "$here/loop.c"

fail() { echo "bench/trace/run.sh: $*" >&2; exit 1; }

have_gdb=$(command -v gdb || true)
[ -n "$have_gdb" ] || echo "bench/trace/run.sh: gdb not found: its rows are n/a" >&2

json=$work/trace.json text=$work/trace.txt gdb_out=$work/gdb.txt
gdb_script "$gdb_steps" "$work/steps.gdb"
gdb_script 0 "$work/start.gdb"

run_sh_json() {
    "$sh_exe" run --max-steps $((max_steps * 2)) --json "$json" -- "$loop" > /dev/null
}
run_sh_text() {
    "$sh_exe" run --max-steps $((max_steps * 2)) -- "$loop" > "$text"
}
run_sh_start() {   # one step: reading DWARF, spawning, breakpoints, the stop in main
    "$sh_exe" run --max-steps 1 --json /dev/null -- "$loop" > /dev/null 2>&1 || true
}
run_gdb() { gdb_run "$work/steps.gdb" "$loop" "$gdb_out"; }
run_gdb_pinned() { gdb_run_pinned "$work/steps.gdb" "$loop" "$gdb_out"; }
run_gdb_start() { gdb_run "$work/start.gdb" "$loop" /dev/null; }

check_json() {
    local n
    n=$(grep -c '"index":' "$json" || true)
    [ "$n" -ge "$min_steps" ] && [ "$n" -le "$max_steps" ] ||
        fail "stackheap's JSON trace has $n steps, expected $min_steps to $max_steps"
    grep -q '"exit_code": 0,' "$json" || fail "stackheap's JSON trace does not end with exit code 0"
    steps=$n
}
check_text() {
    local n
    n=$(grep -c '^Step [0-9]*:' "$text" || true)
    [ "$n" = "$steps" ] || fail "stackheap's text trace has $n steps, the JSON $steps"
}
check_gdb() {
    local n
    n=$(gdb_count_locals "$gdb_out")
    [ "$n" = "$gdb_steps" ] || fail "gdb printed the locals $n times, expected $gdb_steps (see $gdb_out)"
}

have_taskset=$(command -v taskset || true)
best_json= best_text= best_sh_start= best_gdb= best_gdb_pinned= best_gdb_start=
for ((r = 0; r < reps; r++)); do
    timed run_sh_start; keep_best best_sh_start "$elapsed_ns"
    timed run_sh_json || fail "stackheap run --json failed (exit $?)"
    check_json; keep_best best_json "$elapsed_ns"
    timed run_sh_text || fail "stackheap run (text) failed (exit $?)"
    check_text; keep_best best_text "$elapsed_ns"
    if [ -n "$have_gdb" ]; then
        timed run_gdb_start || fail "gdb failed to start the program"
        keep_best best_gdb_start "$elapsed_ns"
        timed run_gdb || fail "gdb failed (exit $?, see $gdb_out)"
        check_gdb; keep_best best_gdb "$elapsed_ns"
        if [ -n "$have_taskset" ]; then
            timed run_gdb_pinned || fail "gdb under taskset failed (exit $?, see $gdb_out)"
            check_gdb; keep_best best_gdb_pinned "$elapsed_ns"
        fi
    fi
done
rm -f "$json" "$text"

sh_rate=$(rate "$steps" "$best_json" "$best_sh_start")
text_rate=$(rate "$steps" "$best_text" "$best_sh_start")
gdb_rate=n/a gdb_pinned_rate=n/a
[ -n "$best_gdb" ] && gdb_rate=$(rate "$gdb_steps" "$best_gdb" "$best_gdb_start")
[ -n "$best_gdb_pinned" ] && gdb_pinned_rate=$(rate "$gdb_steps" "$best_gdb_pinned" "$best_gdb_start")
ratio() {   # rate
    if [ "$gdb_rate" = n/a ]; then echo n/a; else awk -v a="$1" -v b="$gdb_rate" 'BEGIN { printf("%.1f×", a / b) }'; fi
}
# the time target is for 100,000 steps: a quick run is scaled up to that
per100k=$(awk -v t="$best_json" -v n="$steps" 'BEGIN { printf("%.2f", t / 1e9 * 100000 / n) }')
target_secs=$(awk -v t="$per100k" 'BEGIN { print (t < 10) ? "met" : "**missed**" }')
target_ratio=n/a
[ "$gdb_rate" != n/a ] && target_ratio=$(awk -v a="$sh_rate" -v b="$gdb_rate" 'BEGIN { print (a / b >= 20) ? "met" : "**missed**" }')

table=$(
    echo "| tool | steps | seconds | start-up s | steps/s | vs gdb |"
    echo "|---|--:|--:|--:|--:|--:|"
    echo "| stackheap run --json FILE | $steps | $(secs "$best_json") | $(secs "$best_sh_start") | $sh_rate | $(ratio "$sh_rate") |"
    echo "| stackheap run (text view to a file) | $steps | $(secs "$best_text") | $(secs "$best_sh_start") | $text_rate | $(ratio "$text_rate") |"
    if [ -n "$best_gdb" ]; then
        echo "| gdb -batch: step + info locals | $gdb_steps | $(secs "$best_gdb") | $(secs "$best_gdb_start") | $gdb_rate | 1.0× |"
    else
        echo "| gdb -batch: step + info locals | n/a | n/a | n/a | n/a | n/a |"
    fi
    if [ -n "$best_gdb_pinned" ]; then
        echo "| the same gdb under taskset -c 0 | $gdb_steps | $(secs "$best_gdb_pinned") | $(secs "$best_gdb_start") | $gdb_pinned_rate | $(ratio "$gdb_pinned_rate") |"
    fi
)
cpu=$(cpu_model)
gdb_version=n/a
[ -n "$have_gdb" ] && gdb_version=$(gdb --version | head -1)
{
    echo "## trace: stackheap run vs gdb, step by step — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg);" \
         "$(${CC:-gcc} --version | head -1); $gdb_version; best of $reps runs;" \
         "\`bench/trace/run.sh $1\`"
    echo
    echo "$table"
    echo
    echo "The program: bench/trace/loop.c, \`gcc -g -O0\`, $iters iterations of \`sum += i\`," \
         "traced to its exit ($steps steps, every one checked). gdb runs $gdb_steps of the same" \
         "steps (\`step\` then \`info locals\` in a \`while\` loop, output to a file) and is" \
         "killed there. steps/s = steps / (seconds − start-up): the start-up column is a" \
         "1-step run of the same tool. stackheap records more per step than gdb prints:" \
         "the frames, every local with its type, address and whether it changed, the heap."
    echo "Targets (issue 4): 100,000 steps in under 10 s ($per100k s): $target_secs; at least 20× gdb's" \
         "steps/s: $target_ratio."
    echo
} | tee "$root/bench/out/RESULTS-trace.md"

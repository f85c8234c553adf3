#!/usr/bin/env bash
# bench/trace/cases.sh BUILD_DIR — the tracer's speed and size, each case at several sizes,
# this build against an earlier commit's, in one run (issue 11, "Speed and size").
#
# Cases (programs in bench/trace, C built with cc -g -O0, Rust with rustc -g):
#   loop     loop.c at 10k, 100k and 1M steps (the tracer's cost per step, nothing else)
#   heap     heap.c: N live blocks of 32 bytes (N = 1,000, 10,000, 100,000), then 10,000
#            steps of a loop that touches one of them (the cost of a big heap per step)
#   recurse  recurse.c: calls itself until the stack overflows under `ulimit -s 8192`, with
#            frames of 64 KiB, 8 KiB and 1 KiB (depth about 128, 1,000 and 8,000)
#   push     push.rs: `v.push(i.to_string())` 100 and 1,000 times
# For each: wall time, the tracer's peak RSS (ru_maxrss of the run, from bench/measure.c;
# the kernel reports the largest of the processes of the run, so a traced program bigger
# than its tracer would show instead), the JSON trace's size, the text view's size (both
# counted through a pipe by bench/trace/count.c, never written to the disk: a big heap's
# trace runs to gigabytes), and steps per second (steps / wall time, start-up included).
#
# A case whose whole run would take too long gets a --max-steps cap (the heap case: a
# budget of N × steps, HEAP_BUDGET) and every run a time limit (CASE_TIMEOUT seconds, under
# timeout(1)); such a run is reported as capped with what it reached, and the JSON's size
# of the whole run projected from its bytes per step. Nothing here can hang the bench.
#
# Side by side: the same inputs are traced by BUILD_DIR/stackheap ("new") and by a
# stackheap built from BASE_REF (default HEAD~1: the previous commit) out of `git archive`
# in a temporary directory under BUILD_DIR/bench (kept per commit, so a second run does not
# rebuild it); BASE_REF=none runs "new" alone, BASE_EXE=PATH takes that binary as the base.
# Runs alternate new, base, new, base... BENCH_REPS times (default 3) and the medians are
# compared as new/base. The JSON runs are the timed ones; the text view is counted once
# per version. gdb's steps/s on loop.c (bench/trace/common.sh, as bench/trace/run.sh) is
# the yardstick for the issue's "≥ 30× gdb".
#
# Prints a Markdown table, with the issue's targets marked met or not met, and writes it
# with the date, machine and command to bench/out/RESULTS-trace-cases.md (BENCH_OUT: another
# directory). BENCH_QUICK=1: the smallest size of each case, one run, a few hundred steps
# of gdb (a smoke run, tests/cli/test_bench_cases.sh). BENCH_CASES=REGEX: only the cases
# whose names match it whole ("heap-.*", "loop-10k|push-100").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=bench/trace/common.sh
source "$here/common.sh"
[ $# -eq 1 ] || { echo "usage: bench/trace/cases.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
new_exe=$build/stackheap
[ -x "$new_exe" ] || { echo "bench/trace/cases.sh: $new_exe not found (build $1 first)" >&2; exit 1; }

quick=${BENCH_QUICK:-0}
reps=${BENCH_REPS:-3}
base_ref=${BASE_REF:-HEAD~1}
case_timeout=${CASE_TIMEOUT:-240}
heap_budget=${HEAP_BUDGET:-2000000}
gdb_steps=${GDB_STEPS:-10000}
if [ "$quick" = 1 ]; then
    reps=${BENCH_REPS:-1}; case_timeout=${CASE_TIMEOUT:-30}; gdb_steps=${GDB_STEPS:-300}
    heap_budget=${HEAP_BUDGET:-200000}
fi

work=$build/bench/trace-cases
out_dir=${BENCH_OUT:-$root/bench/out}
out_md=$out_dir/RESULTS-trace-cases.md
mkdir -p "$work" "$out_dir"
say() { printf '%s\n' "$*" >&2; }
fail() { say "bench/trace/cases.sh: $*"; exit 1; }

cc -O2 -Wall -Wextra -o "$work/measure" "$root/bench/measure.c"
cc -O2 -Wall -Wextra -o "$work/count" "$here/count.c"

# ---- the base build ---------------------------------------------------------------------
base_exe='' base_desc=''
if [ -n "${BASE_EXE:-}" ]; then
    base_exe=$BASE_EXE base_desc="\`$BASE_EXE\`"
elif [ "$base_ref" != none ]; then
    base_build "$root" "$build" "$base_ref" "$work" || fail "$base_error"
fi
versions=(new)
[ -n "$base_exe" ] && versions+=(base)
declare -A exe=([new]=$new_exe [base]=$base_exe)

# ---- the cases ----------------------------------------------------------------------------
# Each case: name, its program, the steps its whole run takes ("?" when only the run can
# tell), the --max-steps given, and the stack limit (KiB) it runs under.
cases=()
declare -A prog=() full=() cap=() stack=() title=()
add_case() {   # NAME PROGRAM FULL CAP STACK TITLE
    [[ $1 =~ ^(${BENCH_CASES:-.*})$ ]] || return 0
    cases+=("$1"); prog[$1]=$2 full[$1]=$3 cap[$1]=$4 stack[$1]=$5 title[$1]=$6
}

build_loop() {   # STEPS: loop.c with two steps per iteration and 5 more
    local iters=$(( ($1 - 5) / 2 )) name=loop-$2
    cc -g -O0 -DITERS="$iters" -o "$work/$name" "$here/loop.c"
    add_case "$name" "$work/$name" $((2 * iters + 5)) $((2 * iters + 100)) unlimited \
        "loop.c, $iters iterations"
}
build_heap() {   # N LABEL: N blocks, 5,000 iterations of two steps
    local n=$1 name=heap-$2 touches=5000 c
    cc -g -O0 -DNBLOCKS="$n" -DTOUCHES=$touches -c -o "$work/$name.o" "$here/heap.c"
    cc -O2 -c -o "$work/heap_fill.o" "$here/heap_fill.c"
    cc -o "$work/$name" "$work/$name.o" "$work/heap_fill.o"
    c=$((heap_budget / n)); [ "$c" -ge 20 ] || c=20
    [ "$c" -le $((2 * touches + 100)) ] || c=$((2 * touches + 100))
    add_case "$name" "$work/$name" $((2 * touches + 6)) "$c" unlimited \
        "heap.c, $n blocks of 32 B, then $((2 * touches)) steps"
}
build_recurse() {   # FRAME LABEL CAP
    local name=recurse-$2
    cc -g -O0 -DFRAME="$1" -o "$work/$name" "$here/recurse.c"
    add_case "$name" "$work/$name" "?" "$3" 8192 \
        "recurse.c to SIGSEGV, ulimit -s 8192, frames of $1 B"
}
build_push() {   # N
    local name=push-$1
    command -v rustc > /dev/null || { say "bench: no rustc: $name skipped"; return 0; }
    PUSH_N=$1 rustc -g -o "$work/$name" "$here/push.rs" 2> "$work/$name.log" ||
        fail "rustc push.rs failed (see $work/$name.log)"
    add_case "$name" "$work/$name" "?" 100000 unlimited "push.rs, $1 × v.push(i.to_string())"
}

say "bench: building the cases into $work"
if [ "$quick" = 1 ]; then
    build_loop 10005 10k; build_heap 1000 1k; build_recurse 65536 64k 200000; build_push 100
else
    build_loop 10005 10k; build_loop 100005 100k; build_loop 1000005 1M
    build_heap 1000 1k; build_heap 10000 10k; build_heap 100000 100k
    # each step reads every frame: 1 KiB frames (8,000 deep, about 25,000 steps) take
    # minutes a run, so that size stops at 4,000 steps, about 1,300 frames deep
    build_recurse 65536 64k 200000; build_recurse 8192 8k 200000; build_recurse 1024 1k 4000
    build_push 100; build_push 1000
fi

# ---- running ------------------------------------------------------------------------------
# run_trace VERSION CASE KIND FILE: one traced run, its trace piped through count; FILE
# gets "wall rss_kib status bytes steps" and FILE.tail the trace's last 4 KiB
run_trace() {
    local v=$1 c=$2 kind=$3 file=$4 args prefix line counted
    args=(--max-steps "${cap[$c]}")
    # --timeout where the version has it (a base from before it has not: timeout(1) bounds
    # the run all the same)
    if "${exe[$v]}" run --help 2>&1 | grep -q -- --timeout; then args+=(--timeout "$case_timeout"); fi
    # the JSON goes to fd 3, the pipe, and the text view, empty with --json, to /dev/null; a
    # step starts a line: "index": in version 1 (indented), {"line": in version 2
    if [ "$kind" = json ]; then args+=(--json /dev/fd/3); prefix='"index":|{"line":'; else prefix='Step '; fi
    # shellcheck disable=SC2016  # the inner script's own variables
    line=$("$work/measure" -t $((case_timeout + 30)) -o "$file.count" -- bash -c '
        set -o pipefail; ulimit -s "$1"
        if [ "$7" = "Step " ]; then
            timeout -k 5 "$2" "$3" run "${@:8}" -- "$4" 2> "$5.err" | "$6" "$7" "$5.tail"
        else
            { timeout -k 5 "$2" "$3" run "${@:8}" -- "$4" 3>&1 > /dev/null 2> "$5.err"; } |
                "$6" "$7" "$5.tail"
        fi
        ' sh "${stack[$c]}" "$case_timeout" "${exe[$v]}" "${prog[$c]}" "$file" \
        "$work/count" "$prefix" "${args[@]}") || line="0 0 0 0 not-started"
    counted=$(cat "$file.count" 2> /dev/null || true)
    [ -n "$counted" ] || counted="0 0"
    # shellcheck disable=SC2086  # the fields of measure's line
    set -- $line
    echo "$1 $2 $5 $counted" > "$file"
}

# ends JSON_TAIL: how the trace says the program ended: "exit N" or the signal's message,
# from its last exit or signal event, in version 1 (indented) or 2 (compact) alike
ends() {
    local ev kind value text
    ev=$(tr -d '\n' < "$1" 2> /dev/null | grep -oE '"kind": ?"(exit|signal)"[^}]*' | tail -1)
    [ -n "$ev" ] || return 0
    kind=$(sed -E 's/^"kind": ?"([a-z]+)".*/\1/' <<< "$ev")
    value=$(grep -oE '"value": ?-?[0-9]+' <<< "$ev" | grep -oE -- '-?[0-9]+$')
    text=$(grep -oE '"text": ?"[^"]*"' <<< "$ev" | sed -E 's/^"text": ?"//; s/"$//')
    if [ "$kind" = exit ]; then echo "exit $value"; else echo "signal $value: $text"; fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A wall=() rss=() jbytes=() steps=() tbytes=() status=() capped=() ending=()
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for c in "${cases[@]}"; do
    printf 'bench: %-12s' "$c" >&2
    for ((r = 1; r <= reps; r++)); do
        for v in "${versions[@]}"; do
            run_trace "$v" "$c" json "$work/$c.$v.json.$r"
            read -r w k st b n < "$work/$c.$v.json.$r"
            printf ' %s %.1fs %s' "$v" "$w" "$st" >&2
        done
    done
    for v in "${versions[@]}"; do
        run_trace "$v" "$c" text "$work/$c.$v.text"
        wall[$c.$v]=$(for ((r = 1; r <= reps; r++)); do cut -d' ' -f1 "$work/$c.$v.json.$r"; done | median)
        rss[$c.$v]=$(for ((r = 1; r <= reps; r++)); do cut -d' ' -f2 "$work/$c.$v.json.$r"; done | median)
        read -r w k st b n < "$work/$c.$v.json.1"
        jbytes[$c.$v]=$b steps[$c.$v]=$n status[$c.$v]=$st
        read -r w k st b n < "$work/$c.$v.text"
        tbytes[$c.$v]=$b
        # capped: stopped by --max-steps or the time limit rather than by the program's end
        capped[$c.$v]=no
        if [ "${status[$c.$v]}" != ok ] || [ "${steps[$c.$v]}" -ge "${cap[$c]}" ] ||
           ! grep -qE '"kind": ?"(exit|signal)"' "$work/$c.$v.json.1.tail" 2> /dev/null; then
            capped[$c.$v]=yes
        fi
        ending[$c.$v]=$(ends "$work/$c.$v.json.1.tail")
        if [ "${steps[$c.$v]}" -eq 0 ]; then
            say ""; say "bench: $c under $v made no step (status ${status[$c.$v]}; see $work/$c.$v.json.1.err)"
            [ "$quick" = 1 ] && exit 1
        fi
    done
    say ""
done

say "bench: gdb on loop.c, $gdb_steps steps"
cc -g -O0 -DITERS=$((gdb_steps)) -o "$work/gdb-loop" "$here/loop.c"
gdb_rate=$(gdb_steps_per_s "$work/gdb-loop" "$gdb_steps" "$work" "$reps") || fail "gdb's run failed"

# ---- the report ---------------------------------------------------------------------------
mb() { awk -v b="$1" 'BEGIN { printf("%.1f", b / 1e6) }'; }
per_s() { awk -v n="$1" -v w="$2" 'BEGIN { printf("%.0f", (w > 0) ? n / w : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf("%.2f", a / b); else print "n/a" }'; }
# the JSON's size for the whole run: measured, or projected from bytes per step when capped
json_whole() {   # CASE VERSION
    local k=$1.$2
    if [ "${capped[$k]}" = yes ] && [ "${full[$1]}" != "?" ] && [ "${steps[$k]}" -gt 0 ]; then
        awk -v b="${jbytes[$k]}" -v n="${steps[$k]}" -v f="${full[$1]}" 'BEGIN { printf("%.0f", b / n * f) }'
    else
        echo "${jbytes[$k]}"
    fi
}

table() {
    echo "| case | version | steps | capped | wall s | steps/s | peak RSS MB | JSON MB | JSON B/step | text MB | ends |"
    echo "|---|---|--:|---|--:|--:|--:|--:|--:|--:|---|"
    local c v k
    for c in "${cases[@]}"; do
        for v in "${versions[@]}"; do
            k=$c.$v
            local capnote=${capped[$k]}
            if [ "$capnote" = yes ]; then
                capnote="**capped**: ${status[$k]}, --max-steps ${cap[$c]}"
                [ "${full[$c]}" != "?" ] && capnote+=" of ${full[$c]}"
            fi
            echo "| $c | $v | ${steps[$k]} | $capnote | $(printf %.2f "${wall[$k]}") |" \
                 "$(per_s "${steps[$k]}" "${wall[$k]}") | $(mb $((${rss[$k]} * 1024))) |" \
                 "$(mb "${jbytes[$k]}") | $(per_s "${jbytes[$k]}" "${steps[$k]}") | $(mb "${tbytes[$k]}") |" \
                 "${ending[$k]:-} |"
        done
        if [ -n "$base_exe" ]; then
            echo "| $c | **new/base** | | | $(ratio "${wall[$c.new]}" "${wall[$c.base]}") |" \
                 "$(ratio "$(per_s "${steps[$c.new]}" "${wall[$c.new]}")" "$(per_s "${steps[$c.base]}" "${wall[$c.base]}")") |" \
                 "$(ratio "${rss[$c.new]}" "${rss[$c.base]}") | $(ratio "${jbytes[$c.new]}" "${jbytes[$c.base]}") | |" \
                 "$(ratio "${tbytes[$c.new]}" "${tbytes[$c.base]}") | |"
        fi
    done
}

verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "**not met**"; fi; }
targets() {
    echo "| target (issue 11) | figure | |"
    echo "|---|--:|---|"
    local k r
    if [ -n "${capped[loop-1M.new]:-}" ]; then
        k=loop-1M.new
        echo "| 1M steps of loop.c: peak RSS ≤ 64 MB | $(mb $((${rss[$k]} * 1024))) MB | $(verdict "${rss[$k]} * 1024 <= 64e6") |"
        echo "| 1M steps of loop.c: JSON ≤ 100 MB | $(mb "$(json_whole loop-1M new)") MB | $(verdict "$(json_whole loop-1M new) <= 100e6") |"
        r=$(per_s "${steps[$k]}" "${wall[$k]}")
        if [ "$gdb_rate" != n/a ]; then
            echo "| 1M steps of loop.c: ≥ 30× gdb's steps/s ($gdb_rate) | $(ratio "$r" "$gdb_rate")× | $(verdict "$r >= 30 * $gdb_rate") |"
        fi
        if [ -n "$base_exe" ]; then
            local rb; rb=$(per_s "${steps[loop-1M.base]}" "${wall[loop-1M.base]}")
            echo "| 1M steps of loop.c: ≥ 1.5× the base's steps/s | $(ratio "$r" "$rb")× | $(verdict "$r >= 1.5 * $rb") |"
        fi
    fi
    if [ -n "${capped[heap-100k.new]:-}" ]; then
        k=heap-100k.new
        echo "| 100k blocks, 10k steps: finishes | ${steps[$k]} steps | $(verdict "\"${capped[$k]}\" == \"no\"") |"
        echo "| 100k blocks, 10k steps: peak RSS ≤ 256 MB | $(mb $((${rss[$k]} * 1024))) MB | $(verdict "${rss[$k]} * 1024 <= 256e6") |"
        echo "| 100k blocks, 10k steps: JSON ≤ 64 MB | $(mb "$(json_whole heap-100k new)") MB$([ "${capped[$k]}" = yes ] && echo " (projected)") | $(verdict "$(json_whole heap-100k new) <= 64e6") |"
    fi
    for k in recurse-64k recurse-8k recurse-1k; do
        [ -n "${capped[$k.new]:-}" ] || continue
        local fig=${ending[$k.new]:-no message}
        [ "${capped[$k.new]}" = yes ] && fig="capped at ${steps[$k.new]} steps (${status[$k.new]})"
        echo "| $k: finishes with its message | $fig | $(verdict "\"${capped[$k.new]}\" == \"no\" && \"${ending[$k.new]:-}\" != \"\"") |"
    done
}

command="bench/trace/cases.sh $1"
[ -n "${MAKELEVEL:-}" ] && command="make bench"
{
    echo "## trace cases: the tracer's speed and size, side by side — $started"
    echo
    echo "Machine: $(cpu_model), $(nproc) CPUs, kernel $(uname -r); load at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg);" \
         "$(cc --version | head -1); $(command -v rustc > /dev/null && rustc --version || echo no rustc)."
    echo "Command: \`${BENCH_QUICK:+BENCH_QUICK=1 }BENCH_REPS=$reps BASE_REF=$base_ref $command\`;" \
         "new = \`$new_exe\` ($(git -C "$root" log -1 --format=%h)$( [ -n "$(git -C "$root" status --porcelain -- src include 2> /dev/null)" ] && echo "+uncommitted")), base = ${base_desc:-none}."
    echo "Medians of $reps JSON runs (new and base alternating); the text view counted once per version;" \
         "a run is limited to $case_timeout s; gdb: \`step\` + \`info locals\` on loop.c, $gdb_steps steps, best of $reps: $gdb_rate steps/s."
    echo
    table
    echo
    list=""
    for c in "${cases[@]}"; do list+="${list:+; }$c: ${title[$c]}"; done
    echo "Cases: $list."
    echo
    targets
    echo
    echo "steps/s = steps / wall time, start-up included. Peak RSS: ru_maxrss of the run (the largest of" \
         "the tracer and the program it traces). A capped run stopped at its --max-steps or time limit:" \
         "its figures are for the steps it made, and a JSON size marked projected is its bytes per step" \
         "times the steps of the whole run. What each case is: the top of bench/trace/cases.sh."
    echo
} | tee "$out_md"

# bench/trace/common.sh — shell functions shared by bench/trace/run.sh and
# bench/trace/cases.sh (sourced, not run): timing a command, gdb's stepping script and
# its runs, and turning nanoseconds into seconds and steps per second. One copy, so both
# benches time gdb the same way and their figures can be put side by side.

# shellcheck shell=bash

now() { date +%s%N; }

# timed CMD...: runs CMD, leaves its wall time in nanoseconds in $elapsed_ns, and returns
# CMD's exit status
elapsed_ns=0
timed() {
    local t0 t1 rc=0
    t0=$(now)
    "$@" || rc=$?
    t1=$(now)
    elapsed_ns=$((t1 - t0))
    return $rc
}

# keep_best NAME NS: keeps the smaller of $NAME and NS in NAME (noise only ever adds time)
keep_best() {
    local cur=${!1:-}
    if [ -z "$cur" ] || [ "$2" -lt "$cur" ]; then printf -v "$1" %s "$2"; fi
}

# gdb_script K FILE: gdb's command file that stops at main, then does step + info locals
# K times, then kills the program
gdb_script() {
    {
        echo "set pagination off"
        echo "set confirm off"
        echo "set width 0"
        echo "set startup-with-shell off"
        echo "break main"
        echo "run"
        echo "set \$n = 0"
        echo "while \$n < $1"
        echo "  step"
        echo "  info locals"
        echo "  set \$n = \$n + 1"
        echo "end"
        echo "kill"
        echo "quit"
    } > "$2"
}

# gdb_run SCRIPT PROGRAM OUT: gdb in batch mode on PROGRAM; OUT gets what it printed
gdb_run() { gdb -nx -batch -x "$1" "$2" > "$3" 2>&1; }
gdb_run_pinned() { taskset -c 0 gdb -nx -batch -x "$1" "$2" > "$3" 2>&1; }

# gdb_count_locals OUT: how many times gdb printed loop.c's locals (one `sum = ` a step)
gdb_count_locals() { grep -c '^sum = ' "$1" || true; }

# rate STEPS TOTAL_NS START_NS: steps per second with the start-up taken off
rate() {
    awk -v n="$1" -v t="$2" -v s="$3" 'BEGIN { d = (t - s) / 1e9; if (d <= 0) d = t / 1e9; printf("%.0f", n / d) }'
}
secs() { awk -v t="$1" 'BEGIN { printf("%.2f", t / 1e9) }'; }

# gdb_steps_per_s PROGRAM STEPS WORK REPS: gdb's best steps/s over REPS runs of STEPS
# steps of loop.c built as PROGRAM, start-up (a 0-step run) taken off; prints "n/a"
# without gdb, fails when gdb did not print the locals STEPS times
gdb_steps_per_s() {
    local prog=$1 steps=$2 work=$3 reps=$4 r best='' best_start='' n
    if ! command -v gdb > /dev/null; then echo n/a; return 0; fi
    gdb_script "$steps" "$work/steps.gdb"
    gdb_script 0 "$work/start.gdb"
    for ((r = 0; r < reps; r++)); do
        timed gdb_run "$work/start.gdb" "$prog" /dev/null || return 1
        keep_best best_start "$elapsed_ns"
        timed gdb_run "$work/steps.gdb" "$prog" "$work/gdb.txt" || return 1
        n=$(gdb_count_locals "$work/gdb.txt")
        if [ "$n" != "$steps" ]; then
            echo "gdb printed the locals $n times, expected $steps (see $work/gdb.txt)" >&2
            return 1
        fi
        keep_best best "$elapsed_ns"
    done
    rate "$steps" "$best" "$best_start"
}

cpu_model() { awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown; }

# base_build ROOT BUILD REF WORK: stackheap built from commit REF out of `git archive`, in
# WORK/base-SHA (kept, so a second run does not rebuild it), with BUILD's build type. Sets
# base_exe and base_desc; returns 1 with $base_error set when REF is no commit or the
# build fails.
base_build() {
    local root=$1 build=$2 ref=$3 work=$4 sha dir btype
    base_error=''
    sha=$(git -C "$root" rev-parse --verify "$ref^{commit}") || { base_error="BASE_REF=$ref is no commit"; return 1; }
    dir=$work/base-$sha
    btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
    if [ ! -x "$dir/build/stackheap" ]; then
        printf '%s\n' "bench: building stackheap at $ref ($sha) in $dir" >&2
        rm -rf "$dir"; mkdir -p "$dir/src"
        git -C "$root" archive "$sha" | tar -x -C "$dir/src"
        cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE="${btype:-Release}" > "$dir/build.log" 2>&1 &&
            { cmake --build "$dir/build" -j 2 --target stackheap-cli >> "$dir/build.log" 2>&1 ||
              cmake --build "$dir/build" -j 2 >> "$dir/build.log" 2>&1; } ||
            { base_error="building $ref failed (see $dir/build.log)"; return 1; }
    fi
    base_exe=$dir/build/stackheap
    base_desc="$ref = $(git -C "$root" log -1 --format='%h %s' "$sha" | cut -c1-70)"
}

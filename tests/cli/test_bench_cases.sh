#!/usr/bin/env bash
# tests/cli/test_bench_cases.sh — a smoke run of the tracer's benchmark runner,
# bench/trace/cases.sh, with BENCH_QUICK=1 and this build as both "new" and "base": the
# runner builds its cases, traces each with both, and writes its table. Checks that the
# table holds what the runner must measure (steps, caps, sizes, how each run ended, the
# new/base ratios, the issue's targets), never how fast anything was: a bench is not a
# unit test.
source "$(dirname "$0")/common.bash"

out=$work/out
BENCH_QUICK=1 BENCH_OUT=$out BASE_EXE=$bin "${to[@]}" "$src/bench/trace/cases.sh" "$SH_BINARY_DIR" \
    > "$work/stdout" 2> "$work/stderr"
rc=$?
check "the runner exits 0" [ "$rc" = 0 ]
md=$out/RESULTS-trace-cases.md
check "the runner writes its table" [ -s "$md" ]
[ -s "$md" ] || { cat "$work/stderr"; finish; }

# row CASE VERSION: the table's row, its cells split on "|" into $cells (1-based: case=1)
row() { grep -m1 "^| $1 | $2 |" "$md" | sed 's/^| //; s/ |$//'; }
cell() { row "$1" "$2" | awk -F' [|] ' -v i="$3" '{ print $i }'; }

check "loop-10k: 10,006 steps under new" [ "$(cell loop-10k new 3)" = 10006 ]
check "loop-10k: 10,006 steps under base" [ "$(cell loop-10k base 3)" = 10006 ]
check "loop-10k: not capped" [ "$(cell loop-10k new 4)" = no ]
check "loop-10k: ends with exit 0" [ "$(cell loop-10k new 11)" = "exit 0" ]
check "loop-10k: a JSON size in MB" grep -Eq '^([1-9][0-9]*|0)\.[0-9]$' <<< "$(cell loop-10k new 8)"
check "loop-10k: the JSON size is not 0" [ "$(cell loop-10k new 8)" != 0.0 ]
check "loop-10k: a text view size in MB" grep -Eq '^[1-9][0-9]*\.[0-9]$' <<< "$(cell loop-10k new 10)"
check "loop-10k: a peak RSS in MB" grep -Eq '^[1-9][0-9]*\.[0-9]$' <<< "$(cell loop-10k new 7)"
check "loop-10k: the JSON is the same size under both (same binary)" \
    [ "$(cell loop-10k new 8)" = "$(cell loop-10k base 8)" ]
check "loop-10k: a new/base row with ratios" grep -Eq '^[0-9]+\.[0-9]{2}$' <<< "$(cell loop-10k '\*\*new/base\*\*' 5)"
check "heap-1k: reported as capped by --max-steps" grep -q '^\*\*capped\*\*: .*--max-steps 200 of 10006' <<< "$(cell heap-1k new 4)"
check "heap-1k: stopped at its cap" [ "$(cell heap-1k new 3)" = 200 ]
check "recurse-64k: ends with the stack overflow message" \
    grep -q '^signal 11: stack overflow: 129 frames deep' <<< "$(cell recurse-64k new 11)"
check "recurse-64k: finishes (not capped)" [ "$(cell recurse-64k new 4)" = no ]
check "targets: recurse-64k finishes with its message, met" \
    grep -q '^| recurse-64k: finishes with its message | signal 11: .* | met |$' "$md"
if command -v rustc > /dev/null; then
    check "push-100: ends with exit 0" [ "$(cell push-100 new 11)" = "exit 0" ]
    check "push-100: 105 steps" [ "$(cell push-100 new 3)" = 105 ]
fi
check "gdb's steps/s are in the table's header" grep -Eq 'best of 1: [0-9]+ steps/s' "$md"
finish

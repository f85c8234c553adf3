# tests/cli/common.bash — what the tracer's test scripts share; sourced, not run (CTest runs
# tests/*/*.sh only). After `source common.bash`: $bin is the stackheap command (the script
# has failed if it is not built), $src the source tree, $work a scratch directory removed at
# exit (kept with KEEP=1), `to` a 120 s timeout prefix, `test_cc ARGS...` the chosen C
# compiler (tests/cli/cc.bash); the script has exited 77 (skipped) if that compiler or
# python3 is missing. pass/fail NAME [WHY]: a result line, counted; check NAME
# COMMAND...: pass when the command succeeds; finish: the closing "N passed, N failed" line
# and the exit status. The matrix scripts (tests/matrix/*.sh) run whole suites under other
# builds: suites_start ROW, then run_suite NAME COMMAND... per suite, then suites_result.
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
source "$(dirname "${BASH_SOURCE[0]}")/cc.bash"
command -v python3 >/dev/null || { echo "skip: no python3 to read the traces"; exit 77; }
# $rustc: the rustc the Rust test programs are built with, SH_TEST_RUSTC (tests/matrix/
# rustc_versions.sh sets it to Debian's) or the first in PATH; empty without one, and empty
# under SH_TEST_C_ONLY (tests/matrix/c_compilers.sh varies the C compiler only).
rustc=${SH_TEST_RUSTC:-$(command -v rustc || true)}
[ -z "${SH_TEST_C_ONLY:-}" ] || rustc=
export SH_TEST_RUSTC=$rustc

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export LANG=C.UTF-8 LC_ALL=
to=(); command -v timeout >/dev/null && to=(timeout 120)

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

# suites_start ROW: a row of a matrix begins (ROW, e.g. "clang -gdwarf-4", heads its
# failures). run_suite NAME COMMAND...: runs the fact suite NAME (COMMAND, its output to a
# log in $work) and adds its "ok" lines to $suite_passed, its "FAIL" lines to $suite_failed
# (a suite that exited non-zero without a FAIL line, as on a traceback, failed all the same:
# one), NAME to $suite_skipped when it exited 77; a failing suite's failures are printed
# under "---- ROW: NAME". suites_result: the row's "ok (N facts)" or "FAIL (F of N facts)",
# then ", skipped: NAME..." if any; it fails on a FAIL.
suite_runs=0
suites_start() { suite_row=$1 suite_passed=0 suite_failed=0 suite_skipped=""; }
run_suite() {
    local name=$1 log rc p f
    shift
    suite_runs=$((suite_runs + 1))
    log="$work/suite-$suite_runs.log"
    "$@" > "$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^FAIL' "$log")
    [ "$rc" -eq 77 ] && suite_skipped+=" $name"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ] && f=1 && echo "FAIL $name exited $rc" >> "$log"
    suite_passed=$((suite_passed + p)) suite_failed=$((suite_failed + f))
    if [ "$f" -gt 0 ]; then
        echo "---- $suite_row: $name"
        grep -A3 '^FAIL\|Traceback' "$log" | cut -c1-400 | head -40
    fi
}
suites_result() {
    local result="ok ($suite_passed facts)" status=0
    [ "$suite_failed" -gt 0 ] && result="FAIL ($suite_failed of $((suite_passed + suite_failed)) facts)" && status=1
    [ -n "$suite_skipped" ] && result+=", skipped:$suite_skipped"
    echo "$result"
    return $status
}

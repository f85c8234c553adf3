# tests/cli/common.bash — what the tracer's test scripts share; sourced, not run (CTest runs
# tests/*/*.sh only). After `source common.bash`: $bin is the stackheap command (the script
# has failed if it is not built), $src the source tree, $work a scratch directory removed at
# exit (kept with KEEP=1), `to` a 120 s timeout prefix; the script has exited 77 (skipped)
# if cc or python3 is missing. pass/fail NAME [WHY]: a result line, counted; check NAME
# COMMAND...: pass when the command succeeds; finish: the closing "N passed, N failed" line
# and the exit status.
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
command -v cc >/dev/null || { echo "skip: no cc to build the test programs"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3 to read the traces"; exit 77; }
# $rustc: the rustc the Rust test programs are built with, SH_TEST_RUSTC (tests/matrix/
# rustc_versions.sh sets it to Debian's) or the first in PATH; empty without one.
rustc=${SH_TEST_RUSTC:-$(command -v rustc || true)}
export SH_TEST_RUSTC=$rustc

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export LANG=C.UTF-8 LC_ALL=
to=(); command -v timeout >/dev/null && to=(timeout 120)

passed=0 failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

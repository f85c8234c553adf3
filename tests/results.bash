# tests/results.bash — how every test script counts and reports its checks; sourced (CTest
# runs tests/*/*.sh only). pass/fail NAME [WHY]: a result line, counted; check NAME
# COMMAND...: pass when the command succeeds; finish: the closing "N passed, N failed" line
# and the exit status (0 only without a failure).
passed=0 failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# tests/cli/cc.bash — the C compiler the tests build their programs with; sourced (by
# common.bash and the scripts that set up on their own), not run. `test_cc ARGS...` runs
# $SH_TEST_CC (default cc) with the words of $SH_TEST_CFLAGS (default none) before ARGS:
# tests/matrix/c_compilers.sh runs the suites under clang and gcc, DWARF 4 and 5, PIE or
# not. The facts scripts read the same two variables (tests/cli/factcheck.py, c_compiler).
# A script sourcing this has exited 77 (skipped) when that compiler is missing.
export SH_TEST_CC="${SH_TEST_CC:-cc}" SH_TEST_CFLAGS="${SH_TEST_CFLAGS:-}"
# shellcheck disable=SC2086   # the flags are words
test_cc() { "$SH_TEST_CC" $SH_TEST_CFLAGS "$@"; }
command -v "$SH_TEST_CC" >/dev/null || { echo "skip: no $SH_TEST_CC to build the test programs"; exit 77; }

# tests/cpp/cxx.bash — the C++ compilers the tests/cpp facts build their programs with;
# sourced (after tests/cli/common.bash), not run. $cxxs: the words of $SH_TEST_CXX (default
# "g++ clang++") that are installed; each is run with the words of $SH_TEST_CXXFLAGS (default
# none) before the facts' own -g -O0 (tests/cli/factcheck.py's cxx_compiler reads the same
# variable): tests/matrix/cpp_builds.sh runs the facts under -gdwarf-4, -no-pie and -static.
# A script sourcing this has exited 77 (skipped) when none of the compilers is installed.
export SH_TEST_CXXFLAGS="${SH_TEST_CXXFLAGS:-}"
cxxs=()
for c in ${SH_TEST_CXX:-g++ clang++}; do
    if command -v "$c" >/dev/null; then cxxs+=("$c"); else echo "note: no $c: its half was not run"; fi
done
[ ${#cxxs[@]} -gt 0 ] || { echo "skip: no ${SH_TEST_CXX:-g++ or clang++} to build the test programs"; exit 77; }
# cxx_facts FACTS.py: runs tests/cpp/FACTS.py once per compiler of $cxxs and exits, failed if
# one run failed.
cxx_facts() {
    local c rc=0
    for c in "${cxxs[@]}"; do
        "${to[@]}" python3 "$src/tests/cpp/$1" "$bin" "$src" "$work" "$c" || rc=1
    done
    exit $rc
}

#!/usr/bin/env bash
# tests/matrix/cpp_builds.sh — the C++ facts hold whichever way the program was built: the
# tests/cpp suites (cpp_values, cpp_engine; with -static cpp_learner and cpp_more too) under
# g++ and clang++ with -gdwarf-4, without PIE and -static (SH_TEST_CXX / SH_TEST_CXXFLAGS,
# tests/cpp/cxx.bash; their default, DWARF 5 PIE -O0, is every other test's), then the lesson's heap_types.cpp optimised (g++ -Og/-O2,
# clang++ -Og/-O2) and static, as tests/matrix/cpp_builds_facts.py says. Each suite row's
# DWARF version, PIE and static linking are read back from a program it built, so the table
# says what was traced, not what was asked. Prints the table and fails on a FAIL.
set -u
source "$(dirname "$0")/../cli/common.bash"
command -v g++ >/dev/null || { echo "skip: no g++"; exit 77; }
for t in readelf objdump nm; do
    command -v $t >/dev/null || { echo "skip: no $t to read back what a build made"; exit 77; }
done

# compiler|flags
rows=("g++|-gdwarf-4" "clang++|-gdwarf-4" "g++|-fno-pie -no-pie" "clang++|-fno-pie -no-pie"
      "g++|-static" "clang++|-static")

# what a row's flags give: "DWARF N", "PIE"/"no-PIE", "static"/"dynamic" and where operator
# new is ("new:exe" when the executable defines it), from a program built with them
probe() {
    local cxx=$1 flags=$2 exe="$work/probe"
    # shellcheck disable=SC2086   # the flags are words
    "$cxx" $flags -g -O0 -o "$exe" "$src/tests/cpp/cpp_engine_new.cpp" 2>/dev/null || { echo "? ? ? ?"; return; }
    local v type link new
    v=$(readelf --debug-dump=info "$exe" 2>/dev/null | sed -n 's/^ *Version: *\([0-9]*\).*/\1/p' | sort -u | tail -1)
    type=$(readelf -h "$exe" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
    link=dynamic; readelf -l "$exe" | grep -q INTERP || link=static
    new=lib; nm "$exe" 2>/dev/null | grep -q ' T _Znwm$' && new=exe
    echo "${v:-?} $([ "$type" = DYN ] && echo PIE || echo no-PIE) $link new:$new"
}

status=0
table=()
for row in "${rows[@]}"; do
    IFS='|' read -r cxx flags <<< "$row"
    if ! command -v "$cxx" >/dev/null; then
        table+=("$(printf '%-8s %-17s %-30s %s' "$cxx" "$flags" "" "skipped: no $cxx")")
        continue
    fi
    read -r dwarf pie link new <<< "$(probe "$cxx" "$flags")"
    suites_start "$cxx $flags"
    suites="values engine"
    # the learner programs too where linking changes most (no libstdc++.so: gdb's printers
    # registered by hand, factcheck.GDB_STATIC_LIBSTDCXX)
    [ "$flags" = -static ] && suites+=" learner more"
    for s in $suites; do
        run_suite "test_cpp_$s" env SH_TEST_CXX="$cxx" SH_TEST_CXXFLAGS="$flags" \
            bash "$src/tests/cpp/test_cpp_$s.sh"
    done
    result=$(suites_result) || status=1
    # -static must give what it says: libstdc++'s operator new inside the executable
    if [ "$flags" = -static ] && { [ "$link" != static ] || [ "$new" != new:exe ]; }; then
        result="FAIL (not static: $link, $new)"; status=1
    fi
    table+=("$(printf '%-8s %-17s %-30s %s' "$cxx" "$flags" "DWARF $dwarf $pie $link $new" "$result")")
done

log="$work/heap_types.log"
"${to[@]}" python3 "$src/tests/matrix/cpp_builds_facts.py" "$bin" "$src" "$work" > "$log" 2>&1
rc=$?
grep -v '^row	' "$log" | grep -v '^ok ' | cut -c1-600
[ "$rc" -ne 0 ] && status=1

echo
printf '%-8s %-17s %-30s %s\n' compiler flags "what it built" result
printf '%s\n' "${table[@]}"
echo
awk -F'\t' '$1 == "row" { printf "%-34s %s\n", $2, $3 }' "$log"
[ "$rc" -ne 0 ] && ! grep -q '^[0-9]* passed' "$log" && echo "FAIL cpp_builds_facts.py exited $rc"
exit $status

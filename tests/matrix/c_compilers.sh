#!/usr/bin/env bash
# tests/matrix/c_compilers.sh — the C facts hold whichever compiler built the program: the
# tests/cli fact suites run with SH_TEST_CC / SH_TEST_CFLAGS (tests/cli/cc.bash) under clang's
# DWARF 5 PIE build (every suite), and the lesson's C facts under clang -gdwarf-4, clang
# without PIE, gcc -gdwarf-4 and gcc without PIE (gcc's own default, DWARF 5 PIE, is every
# other test's). Each row's DWARF version and PIE are read back from a program it built, so
# the table says what was traced, not what was asked. Prints the table and fails on a FAIL.
# Without clang it is installed through scripts/deps.sh (as root), else the test is skipped.
set -u
source "$(dirname "$0")/../cli/common.bash"
cli="$src/tests/cli"
if ! command -v clang >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        "$src/scripts/deps.sh" test >/dev/null || { echo "FAIL scripts/deps.sh test did not install clang"; exit 1; }
    else
        echo "skip: no clang, and not root to install it (scripts/deps.sh test, as root, does)"
        exit 77
    fi
fi
command -v gcc >/dev/null || { echo "skip: no gcc"; exit 77; }
command -v readelf >/dev/null || { echo "skip: no readelf to tell a build's DWARF version and PIE"; exit 77; }
# every C suite of tests/cli (test_layout's and test_live's programs trace no values)
full=(lesson learner cvalues typed whose statics static_links calls textview args run pytutor options json2)
# compiler, flags, suites
rows=("clang||${full[*]}"
      "clang|-gdwarf-4|lesson"
      "clang|-fno-pie -no-pie|lesson"
      "gcc|-gdwarf-4|lesson"
      "gcc|-fno-pie -no-pie|lesson")

# what a row's flags give: "DWARF N" and "PIE"/"no PIE", from a program built with them
probe() {
    local cc=$1 flags=$2 exe="$work/probe"
    # shellcheck disable=SC2086   # the flags are words
    "$cc" $flags -g -O0 -o "$exe" "$cli/args.c" 2>/dev/null || { echo "? ?"; return; }
    local v type
    v=$(readelf --debug-dump=info "$exe" 2>/dev/null | sed -n 's/^ *Version: *\([0-9]*\).*/\1/p' | sort -u | tail -1)
    type=$(readelf -h "$exe" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
    echo "${v:-?} $([ "$type" = DYN ] && echo PIE || echo no-PIE)"
}

status=0
table=()
for row in "${rows[@]}"; do
    IFS='|' read -r cc flags suites <<< "$row"
    read -r dwarf pie <<< "$(probe "$cc" "$flags")"
    suites_start "$cc $flags"
    for s in $suites; do
        run_suite "test_$s" env SH_TEST_CC="$cc" SH_TEST_CFLAGS="$flags" SH_TEST_C_ONLY=1 \
            bash "$cli/test_$s.sh"
    done
    result=$(suites_result) || status=1
    what=$suites; [ "$suites" = "${full[*]}" ] && what="all C suites"
    table+=("$(printf '%-6s %-5s %-7s %-13s %s' "$cc" "$dwarf" "$pie" "$what" "$result")")
done
printf '%-6s %-5s %-7s %-13s %s\n' compiler DWARF PIE suites result
printf '%s\n' "${table[@]}"
exit $status

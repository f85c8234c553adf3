#!/usr/bin/env bash
# tests/matrix/rustc_versions.sh — the Rust fact suites of tests/cli once more, with the programs
# built by another rustc: Debian's /usr/bin/rustc (1.63 on Debian 12, `apt-get install rustc`)
# when it is installed and is not the rustc first in PATH, which the tests/cli runs use
# already. SH_MATRIX_RUSTC="/path/a /path/b" names others. Prints a table (rustc, suite,
# result) and fails if a suite failed; skipped (77) when no other rustc is here. A suite's
# FAIL lines follow the table.
set -u
: "${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}" "${SH_SOURCE_DIR:?set SH_SOURCE_DIR}"
suites=(lesson owners rust_std statics whose learner calls json2)
first=$(command -v rustc || true)
version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

compilers=()
for c in ${SH_MATRIX_RUSTC:-/usr/bin/rustc}; do
    [ -x "$c" ] || continue
    # the same compiler as PATH's first: the tests/cli runs have checked it
    [ -z "${SH_MATRIX_RUSTC:-}" ] && [ -n "$first" ] && [ "$(version "$c")" = "$(version "$first")" ] && continue
    compilers+=("$c")
done
if [ ${#compilers[@]} -eq 0 ]; then
    echo "skip: no rustc besides ${first:-none} (install Debian's: apt-get install rustc)"
    exit 77
fi

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
failed=0
echo "the tests/cli runs build with ${first:-no rustc}${first:+ ($(version "$first"))}; these with:"
printf '%-8s %-18s %-10s %s\n' rustc path suite result
for c in "${compilers[@]}"; do
    v=$(version "$c")
    for s in "${suites[@]}"; do
        out="$log/$v-$s.log"
        SH_TEST_RUSTC=$c bash "$SH_SOURCE_DIR/tests/cli/test_$s.sh" > "$out" 2>&1
        rc=$?
        case $rc in
            0)  result=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1) ;;
            77) result="skipped: $(grep -m1 '^skip' "$out")" ;;
            *)  result="FAILED (exit $rc): $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)"
                failed=$((failed + 1)) ;;
        esac
        printf '%-8s %-18s %-10s %s\n' "$v" "$c" "$s" "$result"
    done
done
for f in "$log"/*.log; do
    if grep -q '^FAIL\|Traceback' "$f"; then
        echo
        echo "== $(basename "$f" .log)"
        grep -A3 '^FAIL\|Traceback' "$f" | cut -c1-400
    fi
done
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# tests/own/valgrind.sh — every own and stack test binary under Valgrind's memcheck.
#
# check.h runs each test in a forked child (there is no single-process mode); Valgrind
# follows forks by itself, and --trace-children=yes also follows the exec'd children
# (test_checked re-executes itself in checked mode and spawns leak-report children).
# A memory error or a leak in any process makes that process exit 1, so the test fails.
# Death tests end in abort() by design: Valgrind passes the signal on. Note that the
# blocks of the stackheap heap come from mmap, so memcheck sees reads outside mappings,
# uninitialised values and libc-level leaks, not the heap's own bookkeeping.
set -euo pipefail

if ! command -v valgrind >/dev/null; then
    echo "skipped: valgrind not installed"
    exit 77
fi
dir="${SH_BINARY_DIR:?SH_BINARY_DIR not set}"
supp="$(cd "$(dirname "$0")" && pwd)/valgrind.supp"
status=0
for bin in "$dir"/own_test_* "$dir"/stack_test_*; do
    [ -x "$bin" ] || continue
    echo "== $(basename "$bin")"
    if ! valgrind -q --error-exitcode=1 --leak-check=full --trace-children=yes --suppressions="$supp" \
            --child-silent-after-fork=no "$bin" > "$dir/valgrind-$(basename "$bin").log" 2>&1; then
        if grep -q "unhandled dwarf2 abbrev form" "$dir/valgrind-$(basename "$bin").log"; then
            echo "skipped: this valgrind cannot read the binaries' debug info (DWARF 5 as" \
                 "clang writes it); build with -gdwarf-4 to run it"
            exit 77
        fi
        cat "$dir/valgrind-$(basename "$bin").log"
        echo "FAIL: $(basename "$bin") under valgrind"
        status=1
    else
        tail -1 "$dir/valgrind-$(basename "$bin").log"
    fi
done
exit $status

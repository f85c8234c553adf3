#!/usr/bin/env bash
# tests/cli/test_cvalues.sh — C's values decoded as gdb decodes them and written in C's
# notation (tests/cli/cvalues_facts.py says which): a 2-D array, bitfields, a VLA, long
# double, __int128, _Complex, char arrays and chars, pointers into an array and a struct, a
# const array, a pointer return's title. Each fact is compared with gdb's output for the same
# program when gdb is installed, else with what gdb 13 printed. Needs cc and python3.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
command -v cc >/dev/null || { echo "skip: no cc to build the test program"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3 to read the JSON trace"; exit 77; }
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
python3 "$src/tests/cli/cvalues_facts.py" "$bin" "$work"

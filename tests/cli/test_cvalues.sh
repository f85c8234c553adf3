#!/usr/bin/env bash
# tests/cli/test_cvalues.sh — C's values decoded as gdb decodes them and written in C's
# notation (tests/cli/cvalues_facts.py says which): a 2-D array, bitfields, a VLA, long
# double, __int128, _Complex, char arrays and chars, pointers into an array and a struct, a
# const array, a pointer return's title. Each fact is compared with gdb's output for the same
# program when gdb is installed, else with what gdb 13 printed. Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/cvalues_facts.py" "$bin" "$work"

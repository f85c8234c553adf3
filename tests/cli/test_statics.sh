#!/usr/bin/env bash
# tests/cli/test_statics.sh — the Static/Global region (tests/cli/statics_facts.py says
# which facts): globals, a file static struct, a function's static counter, a const local
# array in .rodata and a string literal, in the JSON trace, the text view and the Python
# Tutor export, compared with gdb when it is installed. Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/statics_facts.py" "$bin" "$src/tests/cli/statics.c" "$work"

#!/usr/bin/env bash
# tests/cli/test_typed.sh — heap blocks typed by the pointers that reach them: a C
# program's list, tree, int and char buffers, a void block and an array of structs, read
# from the JSON trace and the text view (tests/cli/typed_facts.py says which). Needs cc and
# python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/typed_facts.py" "$bin" "$src" "$work"

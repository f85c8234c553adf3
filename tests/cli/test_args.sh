#!/usr/bin/env bash
# tests/cli/test_args.sh — the program's arguments (argv's array and its texts) in the
# Static/Global region of the JSON, the text view and the Python Tutor export, compared with
# gdb when it is installed (tests/cli/args_facts.py says which facts). Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/args_facts.py" "$bin" "$src" "$work"

#!/usr/bin/env bash
# tests/matrix/builds.sh — the ways a learner builds a program, each traced truly or refused
# clearly: gcc -static (its heap watched through its own malloc), -m32 and -fsanitize=address
# (refused before they run), gcc -Og/-O2, clang -O2, gcc -g1, rustc -C opt-level=1/2 and
# -C debuginfo=1 (the lesson's facts that survive optimisation, a note saying how it was
# built, values the compiler dropped shown as optimised out). Checked from the JSON (and the
# exit status and message of a refusal), compared with gdb where it is installed; ends with
# a table (build, result). tests/matrix/builds_facts.py says which facts. Needs cc, python3.
set -u
source "$(dirname "$0")/../cli/common.bash"
python3 "$src/tests/matrix/builds_facts.py" "$bin" "$src" "$work"

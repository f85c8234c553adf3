#!/usr/bin/env bash
# tests/cli/test_learner.sh — the programs a learner writes first, traced and read as a
# learner reads them (tests/cli/learner_facts.py says which facts): in C a hash table with
# chaining, a 2-D array of row pointers and a binary search tree; in Rust a Box<Point>, a
# String moved into a HashMap, a tuple and a struct holding Strings, a Vec<Vec<i32>>, a
# String through a function and an Option<String> set and taken. Values are compared with
# gdb when it is installed. Needs python3; the Rust part is skipped without rustc.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/learner_facts.py" "$bin" "$src" "$work"

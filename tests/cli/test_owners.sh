#!/usr/bin/env bash
# tests/cli/test_owners.sh — owning handles found anywhere and one owner per block (tests/cli/
# owners_facts.py says which facts): a Vec<String>, a Box of a struct with a String field,
# an Option<Box<Node>> list and a tree of Boxes, moves by push, Box::new, vec![] and `let`,
# the drops named by the owners' paths in Rust's real free order; and C's own.h handles
# (the lesson's heap_types) as before. Values and the free order are compared with gdb when
# it is installed. Needs rustc (skipped without it) and python3.
set -u
source "$(dirname "$0")/common.bash"
[ -n "$rustc" ] || { echo "skip: no rustc to build the test programs"; exit 77; }
python3 "$src/tests/cli/owners_facts.py" "$bin" "$src" "$SH_BINARY_DIR" "$work"

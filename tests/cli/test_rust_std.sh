#!/usr/bin/env bash
# tests/cli/test_rust_std.sh — Rust's Rc/Arc/Weak, Cell, Box<dyn Trait>, Box<[T]>, HashMap,
# HashSet and VecDeque as the tracer decodes them, read from the JSON trace
# (tests/cli/rust_std_facts.py says which). Needs rustc and python3.
set -u
source "$(dirname "$0")/common.bash"
[ -n "$rustc" ] || { echo "skip: no rustc to build the test programs"; exit 77; }
python3 "$src/tests/cli/rust_std_facts.py" "$bin" "$src" "$work"

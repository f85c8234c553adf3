#!/usr/bin/env bash
# tests/trace/api_example.sh — examples/trace_api.c, the public API's example, traced over the
# lesson's add.c: every value it prints checked with gdb stopped at the same line, and its
# steps, lines and titles the same as `stackheap run --json` gives (one way in).
set -u
source "$(dirname "$0")/../cli/common.bash"
python3 "$src/tests/trace/api_example_facts.py" "$bin" "$src" "$work"

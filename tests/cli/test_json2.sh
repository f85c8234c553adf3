#!/usr/bin/env bash
# tests/cli/test_json2.sh — the JSON trace's version 2 against version 1
# (tests/cli/json2_facts.py says which facts): every program the tracer's tests trace, the
# lesson's programs and the benchmark's loop, their steps rebuilt by docs/read_trace.py
# equal to version 1's. Needs cc and python3 (rustc for the Rust programs).
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/json2_facts.py" "$SH_BINARY_DIR" "$src" "$work"

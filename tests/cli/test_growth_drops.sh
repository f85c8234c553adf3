#!/usr/bin/env bash
# tests/cli/test_growth_drops.sh — a HashMap's growth is no drop, a reassignment is one
# (tests/cli/growth_facts.py says which facts). Needs rustc and python3.
set -u
source "$(dirname "$0")/common.bash"
[ -n "$rustc" ] || { echo "skip: no rustc to build the test program"; exit 77; }
"${to[@]}" python3 "$src/tests/cli/growth_facts.py" "$bin" "$src" "$work"

#!/usr/bin/env bash
# tests/cli/test_static_links.sh — links between the Static/Global region and the heap (a
# global list head, nodes pointing to a global and to literals) in the JSON, the text view
# and the Python Tutor export, compared with gdb when it is installed
# (tests/cli/static_links_facts.py says which facts). Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/static_links_facts.py" "$bin" "$src" "$work"

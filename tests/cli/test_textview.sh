#!/usr/bin/env bash
# tests/cli/test_textview.sh — the text view fits the terminal's width: values too wide
# wrap instead of being cut, COLUMNS is respected, boxes and arrows stay aligned, on
# tests/cli/textview.c (tests/cli/textview_facts.py says which facts). Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/textview_facts.py" "$bin" "$src" "$work"

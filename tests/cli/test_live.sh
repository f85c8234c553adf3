#!/usr/bin/env bash
# tests/cli/test_live.sh — the run as it happens and its bounds: the text view streamed (a
# prompt's step out before the program reads its stdin), SIGINT/SIGTERM killing the program
# and leaving valid files, output files opened before the program starts, output bytes
# passed whole (NUL), --timeout ending a loop in code without -g, and the tracer living
# under `ulimit -s 160` (tests/cli/live_facts.py says which). Needs cc and python3.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/live_facts.py" "$bin" "$src" "$work"

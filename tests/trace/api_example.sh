#!/usr/bin/env bash
# tests/trace/api_example.sh — examples/trace_api.c, the public API's example, traced over the
# lesson's add.c: every value it prints checked with gdb stopped at the same line, and its
# steps, lines and titles the same as `stackheap run --json` gives (one way in).
set -u
# In the sanitizer build the traced programs are built with ASan too, and LeakSanitizer
# cannot work under ptrace: it ends each run with a message holding its pid, so two runs
# of one program (version 1, then version 2) would differ. Leaks are checked elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
source "$(dirname "$0")/../cli/common.bash"
python3 "$src/tests/trace/api_example_facts.py" "$bin" "$src" "$work"

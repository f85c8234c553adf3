#!/usr/bin/env bash
# tests/cli/test_whose.sh — whose blocks: those libc, a shared library of the user's or
# Rust's std allocate for a user line and the program keeps are drawn as its (strdup,
# getline, asprintf, open_memstream, realpath, read_line), the runtime's own are not (stdio
# buffers, a panic's backtrace), and the leaks are valgrind's. tests/cli/whose_facts.py says
# which facts. Needs cc and python3; the Rust facts need rustc.
set -u
source "$(dirname "$0")/common.bash"
python3 "$src/tests/cli/whose_facts.py" "$bin" "$src" "$work"

#!/usr/bin/env bash
# tests/cli/test_lesson.sh — the lesson's facts from `stackheap run --json` of its programs in
# C and Rust, and of a few more (tests/cli/lesson_facts.py says which). Needs cc and python3;
# the Rust half is skipped, and said so, without rustc.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
source "$(dirname "$0")/cc.bash"
command -v python3 >/dev/null || { echo "skip: no python3 to read the JSON traces"; exit 77; }
[ -x "$SH_BINARY_DIR/lesson/add" ] || { echo "FAIL the lesson's programs are not built in $SH_BINARY_DIR/lesson"; exit 1; }
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
exec python3 "$src/tests/cli/lesson_facts.py" "$bin" "$src" "$SH_BINARY_DIR" "$work"

#!/usr/bin/env bash
# tests/cli/test_typed.sh — heap blocks typed by the pointers that reach them: a C
# program's list, tree, int and char buffers, a void block and an array of structs, read
# from the JSON trace and the text view (tests/cli/typed_facts.py says which). Needs cc and
# python3.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
command -v cc >/dev/null || { echo "skip: no cc to build the test program"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3 to read the JSON trace"; exit 77; }
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
python3 "$src/tests/cli/typed_facts.py" "$bin" "$src" "$work"

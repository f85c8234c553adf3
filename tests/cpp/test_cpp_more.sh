#!/usr/bin/env bash
# tests/cpp/test_cpp_more.sh — std::list, forward_list, optional and unique_ptr<T[]> drawn as
# handles with typed blocks
# (tests/cpp/cpp_more_facts.py says which facts): each program built with g++ and with
# clang++ (-g -O0), values compared with gdb's pretty printers when gdb is installed.
# Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
cxxs=()
for c in g++ clang++; do command -v "$c" >/dev/null && cxxs+=("$c"); done
[ ${#cxxs[@]} -gt 0 ] || { echo "skip: no g++ or clang++ to build the test programs"; exit 77; }
rc=0
for c in "${cxxs[@]}"; do
    "${to[@]}" python3 "$src/tests/cpp/cpp_more_facts.py" "$bin" "$src" "$work" "$c" || rc=1
done
for c in g++ clang++; do command -v "$c" >/dev/null || echo "note: no $c: its half was not run"; done
exit $rc

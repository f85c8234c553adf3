#!/usr/bin/env bash
# tests/cpp/test_cpp_learner.sh — C++ programs a learner writes next, nobody designed the
# tracer around (tests/cpp/learner_*.cpp: a linked list with a copy constructor, word counts
# in a std::map, shapes behind unique_ptr, a struct copied and moved, recursion and a stack
# overflow, a weak_ptr cycle); tests/cpp/learner_facts.py says which facts, against gdb.
# Each built with g++ and with clang++. Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
cxxs=()
for c in g++ clang++; do command -v "$c" >/dev/null && cxxs+=("$c"); done
[ ${#cxxs[@]} -gt 0 ] || { echo "skip: no g++ or clang++ to build the test programs"; exit 77; }
rc=0
for c in "${cxxs[@]}"; do
    "${to[@]}" python3 "$src/tests/cpp/learner_facts.py" "$bin" "$src" "$work" "$c" || rc=1
done
for c in g++ clang++; do command -v "$c" >/dev/null || echo "note: no $c: its half was not run"; done
exit $rc

#!/usr/bin/env bash
# tests/cpp/test_cpp_learner.sh — C++ programs a learner writes next, nobody designed the
# tracer around (tests/cpp/learner_*.cpp: a linked list with a copy constructor, word counts
# in a std::map, shapes behind unique_ptr, a struct copied and moved, recursion and a stack
# overflow, a weak_ptr cycle); tests/cpp/learner_facts.py says which facts, against gdb.
# Each built with g++ and with clang++ (-std=c++17 -g -O0, after $SH_TEST_CXXFLAGS;
# $SH_TEST_CXX picks one: tests/cpp/cxx.bash). Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
source "$(dirname "$0")/cxx.bash"
cxx_facts learner_facts.py

#!/usr/bin/env bash
# tests/cpp/test_cpp_more.sh — std::list, forward_list, deque, optional and unique_ptr<T[]>
# drawn as handles with typed blocks (tests/cpp/cpp_more_facts.py says which facts): each
# program built with g++ and with clang++ (-std=c++17 -g -O0, after $SH_TEST_CXXFLAGS;
# $SH_TEST_CXX picks one: tests/cpp/cxx.bash), values compared with gdb's pretty printers
# when gdb is installed. Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
source "$(dirname "$0")/cxx.bash"
cxx_facts cpp_more_facts.py

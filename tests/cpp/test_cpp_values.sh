#!/usr/bin/env bash
# tests/cpp/test_cpp_values.sh — libstdc++'s std::string, vector, unique_ptr, shared_ptr, map
# and unordered_map drawn as handles with typed blocks, and C++ type names as written
# (tests/cpp/cpp_values_facts.py says which facts): each program built with g++ and with
# clang++ (-g -O0, after $SH_TEST_CXXFLAGS; $SH_TEST_CXX picks one: tests/cpp/cxx.bash), values
# compared with gdb's pretty printers when gdb is installed. Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
source "$(dirname "$0")/cxx.bash"
cxx_facts cpp_values_facts.py

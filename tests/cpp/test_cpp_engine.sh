#!/usr/bin/env bash
# tests/cpp/test_cpp_engine.sh — C++ programs' lifetimes (tests/cpp/cpp_engine_facts.py says
# which facts): new/delete of a struct, new[]/delete[] of ints, a class's constructor, method
# and destructor, three objects destroyed in reverse order, a user class deleted from the
# heap, a throw caught two frames up, a vector<std::string> growing; each built with g++ and
# with clang++ (-g -O0, after $SH_TEST_CXXFLAGS; $SH_TEST_CXX picks one: tests/cpp/cxx.bash),
# values compared with gdb when it is installed. Skipped without a C++ compiler.
set -u
source "$(dirname "$0")/../cli/common.bash"
source "$(dirname "$0")/cxx.bash"
cxx_facts cpp_engine_facts.py

#!/usr/bin/env bash
# The lesson's programs, in C (built with the library), in Rust (when rustc is here) and,
# for heap_types, in C++ (when CMake found a C++ compiler), run side by side: the same lines
# come out of all. Usage: scripts/lesson.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: scripts/lesson.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
rust_out=$(mktemp -d)
trap 'rm -rf "$rust_out"' EXIT

if [ -x "$build/stackheap" ]; then
  echo
  echo "  The lesson's first diagram, from a real process: stackheap layout -- examples/add"
  "$build/stackheap" layout -- "$build/examples/add"
fi

# the first rustc in PATH, else rustup's (make run by sudo may not have ~/.cargo/bin in PATH);
# scripts/deps.sh demo installs Debian's when there is neither
have_rustc=0
rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
if [ -n "$rustc" ]; then
  have_rustc=1
  for name in stack_types heap_types add; do
    "$rustc" -g -o "$rust_out/$name" "$top/examples/rust/$name.rs" 2>/dev/null
  done
fi

# trace PROGRAM TITLE: one traced run, every step drawn
trace() {
  echo
  echo "  $2"
  echo
  "$build/stackheap" run -- "$1"
}

if [ -x "$build/stackheap" ] && [ -x "$build/lesson/add" ]; then
  trace "$build/lesson/add" "The lesson's add() in C, line by line: stackheap run -- build/lesson/add"
  if [ $have_rustc -eq 1 ]; then
    trace "$rust_out/stack_types" "The lesson's stack_types.rs (rustc -g), line by line: stackheap run -- ./stack_types"
    trace "$rust_out/heap_types" "The lesson's heap_types.rs (rustc -g): String, Vec and Box on the heap, dropped at the closing brace"
  else
    echo
    echo "  (rustc is not installed: the Rust programs are not traced; the C versions follow)"
    trace "$build/lesson/stack_types" "The lesson's stack_types in C: stackheap run -- build/lesson/stack_types"
  fi
  trace "$build/lesson/heap_types" "The same heap_types in C with stackheap's sh_string, sh_vec_i32 and sh_box_i32"
  if [ -x "$build/lesson/heap_types_cpp" ]; then
    trace "$build/lesson/heap_types_cpp" "The same heap_types in C++ (-g -O0): std::string, std::vector<int> and std::unique_ptr<int>, destroyed at the closing brace"
  fi
fi

echo
echo "  The lesson's programs, in C with stackheap and in Rust"
echo "  ──────────────────────────────────────────────────────"
for name in stack_types heap_types add; do
  echo
  echo "  examples/$name.c"
  "$build/examples/$name" | sed 's/^/    /'
  if [ "$name" = heap_types ] && [ -x "$build/examples/heap_types_cpp" ]; then
    echo "  examples/heap_types.cpp"
    "$build/examples/heap_types_cpp" | sed 's/^/    /'
  fi
  if [ $have_rustc -eq 1 ]; then
    echo "  examples/rust/$name.rs"
    "$rust_out/$name" | sed 's/^/    /'
  else
    echo "  examples/rust/$name.rs: skipped (rustc is not installed)"
  fi
done
echo
echo "  examples/drop_order.c: owned values dropped at the closing brace, last declared first"
"$build/examples/drop_order" | sed 's/^/    /'
echo
echo "  examples/stack_frames.c: the stack as a frame allocator (push, bump, pop, overflow)"
"$build/examples/stack_frames" | sed 's/^/  /'

#!/usr/bin/env bash
# The lesson's programs, in C (built with the library) and in Rust (when rustc is here),
# run side by side: the same lines come out of both. Usage: scripts/lesson.sh BUILD_DIR
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

if [ -x "$build/stackheap" ] && [ -x "$build/lesson/add" ]; then
  for name in add stack_types; do
    echo
    echo "  The lesson's examples/$name.c traced line by line: stackheap run -- build/lesson/$name"
    echo
    "$build/stackheap" run -- "$build/lesson/$name"
  done
fi

echo
echo "  The lesson's programs, in C with stackheap and in Rust"
echo "  ──────────────────────────────────────────────────────"
for name in stack_types heap_types add; do
  echo
  echo "  examples/$name.c"
  "$build/examples/$name" | sed 's/^/    /'
  if command -v rustc >/dev/null 2>&1; then
    rustc -g -o "$rust_out/$name" "$top/examples/rust/$name.rs" 2>/dev/null
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

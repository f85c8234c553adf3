#!/usr/bin/env bash
# tests/html/test_steps.sh — the page's reader of version 2 of the JSON trace
# (src/trace/render/html/steps.js), under node: tests/html/steps_check.js holds it to the
# rules of version 2 on small documents written by hand, then to version 1 on real traces:
# the lesson's programs (build/lesson), tests/html/pointers.c, tests/cli's statics,
# static_links, learner_bst and typed_heap, a recursion deeper than a step keeps (deep.c), and the
# Rust heap_types.rs and owners_list.rs when rustc is here. Each is traced once as version 1
# and rebuilt from version 2, as tests/html/v1_to_v2.js writes it and as the tracer writes it
# for the same program.
# Exits 77 (skipped) without node.
set -u
# In the sanitizer build the traced programs are built with ASan too, and LeakSanitizer
# cannot work under ptrace: it ends each run with a message holding its pid, so two runs
# of one program (version 1, then version 2) would differ. Leaks are checked elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
here="$src/tests/html"
[ -x "$bin" ] || { echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; }
command -v node >/dev/null || { echo "skip: no node (scripts/deps.sh browser installs it)"; exit 77; }
command -v cc >/dev/null || { echo "skip: no cc to build the test programs"; exit 77; }

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
to=(); command -v timeout >/dev/null && to=(timeout 300)
fails=0 traces=()
# trace NAME PROGRAM...: NAME.json (version 1), and NAME.v2.json.
trace() {
    local name=$1; shift
    if ! (cd "$work" && "${to[@]}" "$bin" run --json-version 1 --json "$name.json" -- "$@" >"$name.out" 2>&1); then
        echo "FAIL stackheap run --json -- $*: $(tail -2 "$work/$name.out")"; fails=$((fails + 1)); return
    fi
    traces+=("$work/$name.json")
    if (cd "$work" && "${to[@]}" "$bin" run --json "$name.v2.json" -- "$@" >"$name.out" 2>&1); then
        traces+=("$work/$name.json=$work/$name.v2.json")
    else
        echo "FAIL stackheap run --json (version 2) -- $*"; fails=$((fails + 1))
    fi
}

for name in add stack_types heap_types drop_order; do
    if [ -x "$SH_BINARY_DIR/lesson/$name" ]; then trace "$name" "$SH_BINARY_DIR/lesson/$name"
    else echo "FAIL $SH_BINARY_DIR/lesson/$name is not built"; fails=$((fails + 1)); fi
done
cc -g -O0 -o "$work/pointers" "$here/pointers.c" && trace pointers ./pointers
for name in statics static_links learner_bst typed_heap; do
    cc -g -O0 -o "$work/$name" "$src/tests/cli/$name.c" && trace "$name" "./$name"
done
cc -g -O0 -o "$work/deep" "$here/deep.c" && trace deep ./deep
rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
if [ -n "$rustc" ]; then
    "$rustc" -g -o "$work/heap_types_rs" "$src/examples/rust/heap_types.rs" 2>/dev/null && trace heap_types_rs ./heap_types_rs
    "$rustc" -g -o "$work/owners_list" "$src/tests/cli/owners_list.rs" 2>/dev/null && trace owners_list ./owners_list
else
    echo "note: no rustc: the Rust traces are not checked"
fi

node "$here/steps_check.js" "${traces[@]}"
rc=$?
if [ $fails -ne 0 ]; then echo "FAIL $fails trace(s) could not be made"; exit 1; fi
exit $rc

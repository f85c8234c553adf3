#!/usr/bin/env bash
# tests/html/test_page_v2.sh — the lesson page draws a trace of version 2 of the JSON trace
# exactly as it draws the same run's version 1, step by step, in headless Chromium
# (tests/html/page_v2.js): the lesson's programs (build/lesson), tests/html/pointers.c,
# tests/cli/statics.c, a recursion deeper than a step keeps (deep.c), and the Rust heap_types.rs
# when rustc is here. Version 2 is the tracer's own (a second run of the program).
# Exits 77 (skipped) when Chromium, node or playwright-core cannot be installed.
set -u
# In the sanitizer build the traced programs are built with ASan too, and LeakSanitizer
# cannot work under ptrace: it ends each run with a message holding its pid, so two runs
# of one program (version 1, then version 2) would differ. Leaks are checked elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
here="$src/tests/html"
[ -x "$bin" ] || { echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; }
chromium=${SH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -f "$here/node_modules/playwright-core/package.json" ] || ! command -v node >/dev/null; then
    "$src/scripts/deps.sh" browser || true
fi
if [ ! -x "$chromium" ] || ! command -v node >/dev/null || [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    echo "skip: Chromium, node or playwright-core is missing (install with: scripts/deps.sh browser, as root)"
    exit 77
fi
command -v cc >/dev/null || { echo "skip: no cc to build the test programs"; exit 77; }

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
to=(); command -v timeout >/dev/null && to=(timeout 300)
fails=0 pages=()
# page NAME PROGRAM...: NAME.html and NAME.json (version 1) from one run, NAME.v2.json
# from another.
page() {
    local name=$1; shift
    if ! (cd "$work" && "${to[@]}" "$bin" run --json-version 1 --json "$name.json" --html "$name.html" -- "$@" >"$name.out" 2>&1); then
        echo "FAIL stackheap run --html -- $*: $(tail -2 "$work/$name.out")"; fails=$((fails + 1)); return
    fi
    if (cd "$work" && "${to[@]}" "$bin" run --json "$name.v2.json" -- "$@" >"$name.out" 2>&1); then
        pages+=("$name=$work/$name.html:$work/$name.json:$work/$name.v2.json")
    else
        echo "FAIL stackheap run --json (version 2) -- $*"; fails=$((fails + 1))
    fi
}

for name in add heap_types drop_order; do
    if [ -x "$SH_BINARY_DIR/lesson/$name" ]; then page "$name" "$SH_BINARY_DIR/lesson/$name"
    else echo "FAIL $SH_BINARY_DIR/lesson/$name is not built"; fails=$((fails + 1)); fi
done
cc -g -O0 -o "$work/pointers" "$here/pointers.c" && page pointers ./pointers
cc -g -O0 -o "$work/statics" "$src/tests/cli/statics.c" && page statics ./statics
cc -g -O0 -o "$work/deep" "$here/deep.c" && page deep ./deep
rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
if [ -n "$rustc" ]; then
    "$rustc" -g -o "$work/heap_types_rs" "$src/examples/rust/heap_types.rs" 2>/dev/null && page heap_types_rs ./heap_types_rs
else
    echo "note: no rustc: the Rust page is not checked"
fi

node "$here/page_v2.js" "${pages[@]}"
rc=$?
if [ $fails -ne 0 ]; then echo "FAIL $fails page(s) could not be made"; exit 1; fi
exit $rc

#!/usr/bin/env bash
# tests/html/test_page.sh — the lesson page of `stackheap run --html` in a real browser.
#
# Traces the lesson's add (build/lesson/add), tests/html/pointers.c (built here with
# cc -g -O0: an int array, a string and a struct on the heap, a call, output, frees) and,
# when rustc is here, the lesson's heap_types.rs (String, Vec, Box: numbers.ptr must end at
# the block [1, 2, 3, _]), writing each run's JSON trace beside its page; then
# tests/html/page_check.js opens the pages from disk in headless Chromium and holds what
# they show to the JSON (docs/html.md lists the checks). Screenshots go to
# $SH_BINARY_DIR/html-shots/pages/ (not in git).
#
# Needs Debian's chromium and playwright-core (scripts/deps.sh browser installs both; it
# is run here when one is missing). Exits 77 (skipped) when they cannot be installed.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
here="$src/tests/html"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi

chromium=${SH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -f "$here/node_modules/playwright-core/package.json" ] || ! command -v node >/dev/null; then
    echo "the browser or playwright-core is missing: scripts/deps.sh browser"
    "$src/scripts/deps.sh" browser || true
fi
if [ ! -x "$chromium" ] || ! command -v node >/dev/null; then
    echo "skip: no Chromium at $chromium or no node (install with: scripts/deps.sh browser, as root)"
    exit 77
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    echo "skip: playwright-core is not installed in tests/html/node_modules (scripts/deps.sh browser)"
    exit 77
fi
command -v cc >/dev/null || { echo "skip: no cc to build the test program"; exit 77; }

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
shots="$SH_BINARY_DIR/html-shots/pages"
rm -rf "$shots"
to=(); command -v timeout >/dev/null && to=(timeout 300)
fails=0
# page NAME PROGRAM...: NAME.html and NAME.json in $work from one run of the program.
page() {
    local name=$1; shift
    if ! (cd "$work" && "${to[@]}" "$bin" run --json-version 1 --json "$name.json" --html "$name.html" -- "$@" \
            > "$work/$name.out" 2>&1); then
        echo "FAIL stackheap run --html -- $*: $(tail -3 "$work/$name.out")"
        fails=$((fails + 1))
        return 1
    fi
    pages+=("$name=$work/$name.html:$work/$name.json")
}
pages=()

if [ -x "$SH_BINARY_DIR/lesson/add" ]; then
    page add "$SH_BINARY_DIR/lesson/add"
else
    echo "FAIL $SH_BINARY_DIR/lesson/add is not built"; fails=$((fails + 1))
fi
cc -g -O0 -o "$work/pointers" "$here/pointers.c" && page pointers ./pointers
# the same program with its source gone: the page must say so
mkdir -p "$work/gone"
cp "$here/pointers.c" "$work/gone/pointers.c"
(cd "$work/gone" && cc -g -O0 -o ../pointers_nosrc pointers.c) && rm -rf "$work/gone" &&
    page nosource ./pointers_nosrc
# a recursion 110 calls deep: the page notes the frames the trace leaves out (main and the
# innermost 99 are kept)
printf '%s\n' 'static int down(int n) {' '    if (n == 0) return 0;' '    return down(n - 1) + 1;' '}' \
    'int main(void) {' '    return down(110) == 110 ? 0 : 1;' '}' > "$work/deep.c"
cc -g -O0 -o "$work/deep" "$work/deep.c" && page deep ./deep
# a struct passed by pointer: an arrow from the callee's p into the caller's origin
printf '%s\n' 'struct point { int x, y; };' 'static void by_pointer(struct point *p) {' \
    '    p->x = 10;' '}' 'int main(void) {' '    struct point origin = {1, 2};' \
    '    by_pointer(&origin);' '    return origin.x == 10 ? 0 : 1;' '}' > "$work/stackptr.c"
cc -g -O0 -o "$work/stackptr" "$work/stackptr.c" && page stackptr ./stackptr
# the Static/Global region: globals, a function's static counter, a .rodata array, "hi"
cc -g -O0 -o "$work/statics" "$src/tests/cli/statics.c" && page statics ./statics
# the region and the heap linked (a global list head, nodes pointing to a global), and the
# program's arguments in the region
cc -g -O0 -o "$work/static_links" "$src/tests/cli/static_links.c" && page static_links ./static_links
cc -g -O0 -o "$work/args" "$src/tests/cli/args.c" && page args ./args one "two words"
rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
if [ -n "$rustc" ]; then
    "$rustc" -g -o "$work/heap_types_rs" "$src/examples/rust/heap_types.rs" 2>/dev/null &&
        page rust_heap_types ./heap_types_rs
else
    echo "note: no rustc: the Rust page (numbers.ptr -> [1, 2, 3, _]) is not checked"
fi

if [ ${#pages[@]} -eq 0 ]; then echo "0 passed, $fails failed"; exit 1; fi
node "$here/page_check.js" "$shots" "${pages[@]}" | tee "$work/check.out"
rc=${PIPESTATUS[0]}
echo "screenshots: $shots"
if [ $fails -ne 0 ]; then echo "FAIL $fails page(s) could not be made"; exit 1; fi
exit "$rc"

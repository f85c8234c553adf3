#!/usr/bin/env bash
# tests/html/test_lessons.sh — what `make demo` writes: scripts/lessons.sh traces the
# lesson's programs (C from $SH_BINARY_DIR/lesson, Rust when rustc is here) into
# $SH_BINARY_DIR/lessons/, and every page the index links opens in headless Chromium and
# draws each of its steps as its own trace says (tests/html/page_check.js --index).
# Exits 77 (skipped) when Chromium or playwright-core cannot be installed.
set -u
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
build="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}"
here="$src/tests/html"
chromium=${SH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -f "$here/node_modules/playwright-core/package.json" ] || ! command -v node >/dev/null; then
    "$src/scripts/deps.sh" browser || true
fi
if [ ! -x "$chromium" ] || ! command -v node >/dev/null || [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    echo "skip: Chromium, node or playwright-core is missing (install with: scripts/deps.sh browser, as root)"
    exit 77
fi
out=$("$src/scripts/lessons.sh" "$build" 2>&1)
rc=$?
echo "$out"
if [ $rc -ne 0 ] || [ ! -f "$build/lessons/index.html" ]; then
    echo "FAIL scripts/lessons.sh $build (exit $rc) wrote no index"
    echo "0 passed, 1 failed"
    exit 1
fi
rm -rf "$build/html-shots/lessons"
node "$here/page_check.js" "$build/html-shots/lessons" "--index=$build/lessons/index.html"

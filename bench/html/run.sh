#!/usr/bin/env bash
# bench/html/run.sh BUILD_DIR — the lesson page of a long trace in a real browser: does a
# page of 10,000 steps open, and reach its last step, within budget?
#
# Traces bench/html/loop.c (built here with cc -g -O0; it never ends) with
# `BUILD_DIR/stackheap run --max-steps N --html` for N = 1,000 and 10,000, then opens each
# page from disk in headless Chromium (Debian's, driven by playwright-core: scripts/deps.sh
# browser installs both) RUNS times in fresh contexts (bench/html/measure.js) and keeps the
# best and the median of: opening (navigation to step 1 drawn), the End key and scrolling
# to the bottom (to the last step drawn), and a #step-N link to the last step. Prints a
# Markdown table and writes it, with the date, machine and browser, to
# bench/out/RESULTS-html.md (replaced each run). Without Chromium it says so and exits 0.
# Environment: BENCH_QUICK=1 runs 2 times instead of 5.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: bench/html/run.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
bin=$build/stackheap
[ -x "$bin" ] || { echo "bench/html/run.sh: $bin not found (build $1 first)" >&2; exit 1; }
"$root/scripts/deps.sh" browser >/dev/null 2>&1 || true
if [ ! -x "${SH_CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null ||
   [ ! -f "$root/tests/html/node_modules/playwright-core/package.json" ]; then
    echo "bench/html/run.sh: no Chromium, node or playwright-core (scripts/deps.sh browser, as root): not measured" >&2
    exit 0
fi

work=$build/bench/html
mkdir -p "$work" "$root/bench/out"
cc -g -O0 -o "$work/loop" "$here/loop.c"
runs=5
[ "${BENCH_QUICK:-0}" = 1 ] && runs=2

# Budgets for the 10,000-step page (median of the runs, this machine's size: 2 cores).
budget_open=2000 budget_last=100
declare -A trace_s size_mb
pages=()
for n in 1000 10000; do
    start=$(date +%s.%N)
    "$bin" run --max-steps "$n" --html "$work/loop-$n.html" -- "$work/loop" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    [ -f "$work/loop-$n.html" ] || { echo "bench/html/run.sh: stackheap wrote no page for $n steps" >&2; exit 1; }
    trace_s[$n]=$(awk "BEGIN { printf(\"%.1f\", $end - $start) }")
    size_mb[$n]=$(awk "BEGIN { printf(\"%.1f\", $(stat -c %s "$work/loop-$n.html") / 1048576) }")
    pages+=("$work/loop-$n.html")
done

results=$(node "$here/measure.js" "$runs" "${pages[@]}")
# One row per page from measure.js's JSON lines (node reads them: no jq needed).
table=$(node -e '
const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
const [trace, size, bOpen, bLast] = process.argv.slice(1);
const ts = JSON.parse(trace), sz = JSON.parse(size);
const ms = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + " ms";
const pair = (o) => ms(o.median) + " (" + ms(o.best) + ")";
console.log("| steps | page | trace + write | open: step 1 drawn | End key: last step drawn | scroll to the end: last step drawn | link #step-N: last step drawn | DOM elements | JS heap | budget (10,000 steps: open ≤ " + bOpen + " ms, last step ≤ " + bLast + " ms) |");
console.log("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
for (const r of lines) {
  let verdict = "";
  if (r.steps >= 10000) {
    const ok = r.open.median <= bOpen && r.end.median <= bLast && r.scroll.median <= bLast;
    verdict = ok ? "met" : "**missed**";
  }
  if (r.errors.length) verdict += " console errors: " + r.errors.join("; ");
  console.log("| " + r.steps.toLocaleString("en") + " | " + sz[r.steps] + " MB | " + ts[r.steps] + " s | " + pair(r.open) + " | " +
    pair(r.end) + " | " + pair(r.scroll) + " | " + pair(r.link) + " | " + r.elements + " | " +
    (r.heap / 1048576).toFixed(0) + " MB | " + verdict + " |");
}
' "{\"1000\": ${trace_s[1000]}, \"10000\": ${trace_s[10000]}}" "{\"1000\": ${size_mb[1000]}, \"10000\": ${size_mb[10000]}}" \
  "$budget_open" "$budget_last" <<<"$results")
browser=$(echo "$results" | head -1 | sed 's/.*"version":"\([^"]*\)".*/\1/')
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
    echo "## html: the lesson page of a long trace in Chromium — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $cpu, $(nproc) CPUs; Chromium $browser headless (playwright-core), 1280×800;" \
         "median (best) of $runs runs, each in a fresh context; \`bench/html/run.sh $1\`"
    echo
    echo "$table"
    echo
    echo "The page is bench/html/loop.c traced by \`stackheap run --max-steps N --html\` (each step: main and"
    echo "a call or main alone, a heap block of 16 ints). Only the current step is drawn and only the cards on"
    echo "screen exist, so the DOM has the same size at 1,000 and 10,000 steps; opening is parsing the page and"
    echo "its JSON. Times are measured in the page (performance.now(), until the frame after the step is drawn)."
    echo
} | tee "$root/bench/out/RESULTS-html.md"

#!/usr/bin/env bash
# tests/trace/api_exports.sh — libstackheap-trace.so exports exactly the API of
# include/stackheap/trace.h: every function the header declares, and no other name (the
# layers' shi_* and the heap's sh_* linked in stay inside: src/trace/api/trace.map).
set -u
lib="${SH_BINARY_DIR:?}/libstackheap-trace.so"
header="${SH_SOURCE_DIR:?}/include/stackheap/trace.h"
command -v nm >/dev/null || { echo "skip: no nm"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

[ -f "$lib" ] || { echo "FAIL no $lib"; echo "0 passed, 1 failed"; exit 1; }
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
declared=$(grep -oE '\bsh_trace_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
others=$(grep -v '^sh_trace_' <<<"$exported")
if [ -z "$others" ]; then pass "only sh_trace_* names are exported ($(wc -l <<<"$exported"))"
else fail "only sh_trace_* names are exported" "$(echo $others | head -c 300)"; fi
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -z "$missing" ]; then pass "every function of trace.h is exported ($(wc -l <<<"$declared"))"
else fail "every function of trace.h is exported" "$(echo $missing)"; fi
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
if [ -z "$extra" ]; then pass "nothing exported that trace.h does not declare"
else fail "nothing exported that trace.h does not declare" "$(echo $extra)"; fi
# the example, a program of the API's users, needs nothing else
ex="${SH_BINARY_DIR}/examples/trace_api"
if [ -x "$ex" ] && nm -u "$ex" | awk '{print $2}' | grep -E '^(sh|shi)_' | grep -qv '^sh_trace_'; then
    fail "the example uses only sh_trace_* names"
else pass "the example uses only sh_trace_* names"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# tests/heap/exports.sh LIB — libstackheap-malloc.so exports the malloc API and nothing else.
#
# The drop-in is loaded into every process of a program run under LD_PRELOAD: any other
# name it exported (the sh_* calls, the own and stack modules) would be a symbol those
# processes could bind to by accident. `nm -D --defined-only` must list exactly these.
#
#     bash tests/heap/exports.sh build/libstackheap-malloc.so
set -u

source "$(dirname "$0")/common.bash" "${1:-}"
heap_tool nm

want="aligned_alloc calloc free malloc malloc_trim malloc_usable_size memalign posix_memalign
pvalloc realloc reallocarray valloc"
got=$(nm -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | sort)
if [ "$got" = "$(tr ' ' '\n' <<<"$want" | sort)" ]; then
    echo "ok   the drop-in exports exactly the malloc API ($(wc -w <<<"$got") names)"
    echo "1 passed, 0 failed"
    exit 0
fi
echo "FAIL the drop-in exports other names than the malloc API:"
diff <(tr ' ' '\n' <<<"$want" | sort) <(echo "$got") | sed 's/^/    /' | head -40
echo "    ($(wc -l <<<"$got") names in all; < expected and missing, > exported and not expected)"
echo "0 passed, 1 failed"
exit 1

# tests/heap/common.bash — what the heap's test scripts share; sourced, not run (CTest runs
# tests/*/*.sh only). After `source common.bash "$1"`: $lib is the drop-in's absolute path;
# the script has exited 1 with a usage line if it was not given one, and 77 (skipped) if the
# library is built with sanitizers (it cannot be preloaded into programs built without).
# heap_tool NAME...: exit 77 unless each command is here. heap_workdir PREFIX: $work, a
# scratch directory removed at exit. pass/fail NAME [WHY]: a result line, counted; finish:
# the closing "N passed, N failed" line and the exit status.

lib=${1:-}
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
    echo "usage: $0 /path/to/libstackheap-malloc.so (got '${lib}')"
    echo "0 passed, 1 failed"
    exit 1
fi
lib=$(realpath "$lib")
if ldd "$lib" 2>/dev/null | grep -q 'libasan\|libubsan'; then
    echo "skip: the library is built with sanitizers"
    exit 77
fi

heap_tool() {
    local t
    for t in "$@"; do command -v "$t" >/dev/null || { echo "skip: no $t here"; exit 77; }; done
}

heap_workdir() {
    work=$(mktemp -d -t "$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
}

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

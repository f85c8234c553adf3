#!/usr/bin/env bash
# tests/cli/test_layout.sh — the stackheap command and `stackheap layout`, end to end.
#
# A small program compiled here (test_cc -g) prints where its main, a global, a .bss array, a
# local and a malloc'd block are; each address must fall in the right row of the diagram
# and the right region of the JSON, for both ways of finding a process: `layout -- prog`
# (run under ptrace; --stop exit lets it print first) and `layout -p PID` (a running one).
# Also: rows in address order, ASLR off, --ascii, the error messages and exit statuses.
# Every child is killed and reaped on the way out. Prints "ok"/"FAIL" per check.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
source "$(dirname "$0")/cc.bash"

work=$(mktemp -d)
bg_pids=()
cleanup() {
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
export LANG=C.UTF-8 LC_ALL=
unset NO_COLOR

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"
# check NAME COMMAND...: passes when the command succeeds.

cat > "$work/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int global_counter = 42;            /* .data */
static char zeroed[1 << 16];        /* .bss */
int main(int argc, char **argv) {
    int local = 7;
    char *block = malloc(100);
    printf("main=%p global=%p bss=%p local=%p heap=%p\n", (void *)main,
           (void *)&global_counter, (void *)zeroed, (void *)&local, (void *)block);
    fflush(stdout);
    if (argc > 1) sleep((unsigned)atoi(argv[1]));
    free(block);
    return zeroed[0];
}
EOF
test_cc -g -o "$work/prog" "$work/prog.c" || { echo "FAIL cc"; echo "0 passed, 1 failed"; exit 1; }

# run NAME ARGS...: runs stackheap, output in $work/NAME.out, .err, status in $rc.
run() { local name=$1; shift; "$bin" "$@" > "$work/$name.out" 2> "$work/$name.err"; rc=$?; }

# The rows of a diagram with an address range: "title|lo|hi", top row first.
rows() {
    sed -nE 's/^ *(│|\|) ([A-Za-z][A-Za-z/(), -]*[a-z)]) +(0x[0-9a-f]+) (–|-) (0x[0-9a-f]+).*/\2|\3|\5/p' "$1"
}
# row_of ADDR FILE: the title of the row whose range holds ADDR, or "none".
row_of() {
    local addr=$(($1)) title lo hi
    while IFS='|' read -r title lo hi; do
        if ((addr >= lo && addr < hi)); then echo "$title"; return; fi
    done < <(rows "$2")
    echo none
}
# addresses_in_rows FILE LINE: every address the program printed is in its row.
addresses_in_rows() {
    local file=$1 line=$2 ok=0 want key addr got
    for want in "main:Code (text)" "global:Static/Global" "bss:Static/Global" \
                "local:Stack" "heap:Heap"; do
        key=${want%%:*}
        addr=$(sed -nE "s/.*\b$key=(0x[0-9a-f]+).*/\1/p" <<< "$line")
        got=$(row_of "$addr" "$file")
        if [ "$got" != "${want#*:}" ]; then
            echo "    $key=$addr is in row '$got', expected '${want#*:}'"; ok=1
        fi
    done
    return $ok
}
# Rows top to bottom have falling addresses, and the lesson's order holds. With "any-heap"
# the [heap] may be missing (stackheap itself under ASan: its malloc maps memory).
rows_in_order() {
    local prev="" title lo hi order="" want="Stack;Heap;Static/Global;Code (text);"
    [ "${2:-}" = any-heap ] && ! rows "$1" | grep -q '^Heap|' && want="Stack;Static/Global;Code (text);"
    while IFS='|' read -r title lo hi; do
        if [ -n "$prev" ] && ((hi > prev)); then echo "    $title is above a lower row"; return 1; fi
        prev=$lo
        case $title in Stack|Heap|Static/Global|"Code (text)") order+="$title;" ;; esac
    done < <(rows "$1")
    [ "$order" = "$want" ] || { echo "    order: $order"; return 1; }
}
# json_kinds FILE LINE: in the JSON, each printed address is in a region of the right kind.
json_kinds() {
    python3 - "$1" "$2" <<'EOF'
import json, re, sys
regions = json.load(open(sys.argv[1]))
want = {"main": "code", "global": "static", "bss": "static", "local": "stack", "heap": "heap"}
bad = 0
for key, addr in re.findall(r"(\w+)=(0x[0-9a-f]+)", sys.argv[2]):
    a = int(addr, 16)
    kinds = [r["kind"] for r in regions if int(r["start"], 16) <= a < int(r["end"], 16)]
    if kinds != [want[key]]:
        print(f"    {key}={addr} is in {kinds}, expected {want[key]}"); bad = 1
for r in regions:
    assert set(r) == {"name", "kind", "start", "end", "size", "perms", "path"}, r
    assert int(r["end"], 16) - int(r["start"], 16) == r["size"], r
sys.exit(bad)
EOF
}
has() { grep -qF -- "$2" "$work/$1"; }
only_ascii() { [ "$(LC_ALL=C tr -d '\000-\177' < "$1" | wc -c)" -eq 0 ]; }
no_prog_left() { ! pgrep -f "^$work/prog" >/dev/null; }

# ---- the command --------------------------------------------------------------------------
run help --help
check "--help lists the commands" eval '[ $rc -eq 0 ] && has help.out "layout" && has help.out "run" && has help.out "usage: stackheap <command>"'
run help2 help
check "help is --help" cmp -s "$work/help.out" "$work/help2.out"
run help3 -h
check "-h is --help" cmp -s "$work/help.out" "$work/help3.out"
run version --version
ver=$(sed -n 's/^project(stackheap VERSION \([0-9.]*\).*/\1/p' "${SH_SOURCE_DIR:?}/CMakeLists.txt")
check "--version says project()'s $ver" eval '[ -n "$ver" ] && [ $rc -eq 0 ] && [ "$(cat "$work/version.out")" = "stackheap $ver" ]'
run unknown foo
check "an unknown command: exit 2 and the commands" eval '[ $rc -eq 2 ] && has unknown.err "stackheap: unknown command '"'foo'"'; commands: layout, run"'
run nocmd
check "no command: exit 2" eval '[ $rc -eq 2 ] && has nocmd.err "commands: layout"'
run badopt --frobnicate
check "an unknown option before the command: exit 2" eval '[ $rc -eq 2 ] && has badopt.err "unknown option '"'--frobnicate'"'"'
run runcmd run -- "$work/prog"
check "run: the tracer is listed and runs (tests/cli/test_run.sh tests it)" eval '[ $rc -eq 0 ] && has runcmd.out "Summary"'
run lhelp help layout
check "help layout: the layout options" eval '[ $rc -eq 0 ] && has lhelp.out "--json" && has lhelp.out "-p, --pid"'

# ---- layout -- prog ---------------------------------------------------------------------
run launch layout -- "$work/prog"
check "layout -- prog: exit 0" eval '[ $rc -eq 0 ]'
check "layout -- prog: stopped once the heap exists" has launch.out "stopped after main, when malloc first grew the heap"
check "layout -- prog: rows in address order, Stack > Heap > Static/Global > Code" rows_in_order "$work/launch.out"
check "layout -- prog: the lesson's arrows" eval 'has launch.out "↓ grows downward" && has launch.out "↑ grows upward"'
check "layout -- prog: UTF-8 box drawing by default" has launch.out "┌"
check "layout -- prog: no colour when stdout is not a terminal" eval '! grep -q $'"'\033'"' "$work/launch.out"'
check "layout -- prog: the program was not left running" no_prog_left
run launch2 layout -- "$work/prog"
code1=$(rows "$work/launch.out" | grep '^Code' | head -1)
code2=$(rows "$work/launch2.out" | grep '^Code' | head -1)
check "ASLR off: two runs give the same Code row ($code1)" eval '[ -n "$code1" ] && [ "$code1" = "$code2" ] && has launch.out "ASLR is off"'

run atexit layout --stop exit -- "$work/prog"
line=$(grep -m1 '^main=' "$work/atexit.out")
check "layout --stop exit: the program's own addresses fall in their rows" addresses_in_rows "$work/atexit.out" "$line"
run atmain layout --stop main -- "$work/prog"
check "layout --stop main: stopped at main, before the program printed" eval '[ $rc -eq 0 ] && has atmain.out "stopped at main" && ! has atmain.out "main=0x"'
check "layout --stop main: still a Heap row (the heap may not exist yet)" eval 'grep -q "Heap" "$work/atmain.out"'
run viapath layout -- sh -c 'exit 0'
check "layout -- a program found on PATH (sh)" eval '[ $rc -eq 0 ] && has viapath.out "Code (text)"'

# ---- layout -p PID ----------------------------------------------------------------------
"$work/prog" 60 > "$work/bg.out" &
bg=$!
bg_pids+=("$bg")
for _ in $(seq 50); do grep -q '^main=' "$work/bg.out" && break; sleep 0.1; done
line=$(grep -m1 '^main=' "$work/bg.out")
run pid layout -p "$bg"
check "layout -p PID: exit 0" eval '[ $rc -eq 0 ]'
check "layout -p PID: the program's addresses fall in their rows" addresses_in_rows "$work/pid.out" "$line"
check "layout -p PID: rows in address order" rows_in_order "$work/pid.out"
run pidjson layout -p "$bg" --json
if command -v python3 >/dev/null; then
    check "layout -p PID --json: parses, the addresses are in regions of the right kind" json_kinds "$work/pidjson.out" "$line"
else
    check "layout -p PID --json: a JSON array (no python3 to parse it)" eval 'head -c1 "$work/pidjson.out" | grep -q "\["'
fi
run pidascii layout -p "$bg" --ascii
check "layout --ascii: only ASCII bytes" eval '[ $rc -eq 0 ] && only_ascii "$work/pidascii.out" && has pidascii.out "+---"'
LANG=C "$bin" layout -p "$bg" > "$work/cloc.out" 2>&1
check "layout in the C locale: ASCII without being asked" only_ascii "$work/cloc.out"
if command -v script >/dev/null; then
    script -qec "$bin layout -p $bg" /dev/null > "$work/tty.out" 2>&1
    check "layout on a terminal: colour" grep -q $'\033\\[' "$work/tty.out"
    NO_COLOR=1 script -qec "$bin layout -p $bg" /dev/null > "$work/nocolor.out" 2>&1
    check "layout on a terminal with NO_COLOR: no colour" eval '! grep -q $'"'\033\\['"' "$work/nocolor.out"'
fi
kill "$bg"; wait "$bg" 2>/dev/null

run self layout
check "layout with no program: stackheap itself" eval '[ $rc -eq 0 ] && has self.out "stackheap itself" && rows_in_order "$work/self.out" any-heap'
run selfjson layout --json
if command -v python3 >/dev/null; then
    check "layout --json: parses" eval 'python3 -c "import json,sys; json.load(sys.stdin)" < "$work/selfjson.out"'
fi

# ---- when layout -- prog stops -----------------------------------------------------------
# The heap stop is at the return of libc's sbrk/brk: a direct sbrk(8192) makes an 8 KiB
# [heap] and is seen as such; a program that never grows one is drawn as it exits, and so
# is one that a signal ends.
cat > "$work/prog_sbrk.c" <<'EOF'
#include <stdlib.h>
#include <unistd.h>
int main(void) { void *p = sbrk(8192); (void)p; int *c = calloc(10, 4); return c[0]; }
EOF
cat > "$work/prog_crash.c" <<'EOF'
int main(void) { int *volatile p = 0; return *p; }
EOF
cat > "$work/prog_nomalloc.c" <<'EOF'
int main(void) { return 0; }
EOF
for p in prog_sbrk prog_crash prog_nomalloc; do test_cc -g -o "$work/$p" "$work/$p.c" || fail "cc $p"; done
run sbrk layout -- "$work/prog_sbrk"
check "layout -- prog: the first sbrk that made the heap is the stop (8.0 KiB)" eval '[ $rc -eq 0 ] && has sbrk.out "when malloc first grew the heap" && grep -q "Heap .* 8.0 KiB" "$work/sbrk.out"'
run nomalloc layout -- "$work/prog_nomalloc"
check "layout -- prog that never grows a heap: drawn as it exits" eval '[ $rc -eq 0 ] && has nomalloc.out "stopped as it exits: it never grew a [heap]" && has nomalloc.out "Code (text)"'
run crashexit layout --stop exit -- "$work/prog_crash"
check "layout --stop exit, a program that SIGSEGVs: drawn as it exits" eval '[ $rc -eq 0 ] && has crashexit.out "stopped as it exits" && has crashexit.out "Stack"'
run crashmain layout --stop main -- "$work/prog_crash"
check "layout --stop main, a program that SIGSEGVs later: at main" eval '[ $rc -eq 0 ] && has crashmain.out "stopped at main"'
cp "$work/prog" "$work/prog_stripped" && strip "$work/prog_stripped"
run stripped layout --stop main -- "$work/prog_stripped"
check "layout -- a stripped program: at its entry point" eval '[ $rc -eq 0 ] && has stripped.out "at its entry point (no symbol main)"'
check "no test program left running after these" no_prog_left

# ---- errors -----------------------------------------------------------------------------
run missing layout -- "$work/no-such-prog"
check "a missing program: exit 1, no such program" eval '[ $rc -eq 1 ] && has missing.err "no such program"'
run bare layout -- no-such-prog-anywhere
check "a missing program without a path: the ./ hint" eval '[ $rc -eq 1 ] && has bare.err "needs ./"'
printf 'not a program\n' > "$work/text.txt"
run noexec layout -- "$work/text.txt"
check "a file that is not executable: exit 1, not executable" eval '[ $rc -eq 1 ] && has noexec.err "is not executable"'
run nopid layout -p 99999999
check "a PID that does not exist: exit 1, no process" eval '[ $rc -eq 1 ] && has nopid.err "no process with PID 99999999"'
run badpid layout -p abc
check "-p abc: exit 2, what -p needs and what it got" eval '[ $rc -eq 2 ] && has badpid.err "-p needs a process id, got '"'abc'"'"'
run nopidarg layout -p
check "-p without a PID: exit 2" eval '[ $rc -eq 2 ] && has nopidarg.err "-p needs a process id"'
run both layout -p 1 -- "$work/prog"
check "-p and a program: exit 2" eval '[ $rc -eq 2 ] && has both.err "not both"'
run dashdash layout --
check "-- and nothing after: exit 2" eval '[ $rc -eq 2 ] && has dashdash.err "no program after"'
run lbadopt layout --frob
check "layout --frob: exit 2, names the option" eval '[ $rc -eq 2 ] && has lbadopt.err "unknown option '"'--frob'"'"'
run badstop layout --stop soon -- "$work/prog"
check "--stop soon: exit 2, what --stop needs and what it got" eval '[ $rc -eq 2 ] && has badstop.err "--stop needs main, heap or exit, got '"'soon'"'"'
check "no test program left running" no_prog_left

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

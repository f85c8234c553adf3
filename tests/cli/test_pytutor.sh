#!/usr/bin/env bash
# tests/cli/test_pytutor.sh — `stackheap run --pytutor` on small C programs built here with
# `cc -g -O0`, each export held to the encoding of Python Tutor's C backend by
# tests/cli/pytutor_check.py (which says what it checks), then to facts of its own: a struct
# with two pointers, an array of structs, a matrix, chars, unsigned/long/double values, a
# linked list on the heap, a function returning a value, a vec of doubles, a two-file
# program, a crash and a --max-steps cut; and the size Python Tutor opens (10 MiB, what its
# own server hands its front end): an export past it refused with a message, the other
# outputs written. Prints "ok"/"FAIL" per check and "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
# run NAME ARGS...: `stackheap run ARGS...` in $work, its status in $rc.
run() { local name=$1; shift; (cd "$work" && "${to[@]}" "$bin" run "$@" > "$work/$name.out" 2> "$work/$name.err"); rc=$?; }
# py NAME FILE CODE: CODE with `d` the validated export (pytutor_check's helpers imported).
py() {
    check "$1" python3 -c "import sys
sys.path.insert(0, '$src/tests/cli')
from pytutor_check import *
d = validate(load('$2'))
tr = d['trace']
$3"
}

# ---- structs, arrays, chars, numbers, the heap, a return value --------------------------------
cat > "$work/values.c" <<'EOF2'
#include <stdlib.h>
struct point { int x, y; };
struct pair { int *a; int *b; };
typedef struct { char c; unsigned int u; long l; double d; } Mixed;
struct node { int value; struct node *next; };
static long twice(long v) {
    long r = v * 2;
    return r;
}
int main(void) {
    int one = 1, two = 2;
    struct pair p = { &one, &two };
    struct point pts[2] = { {1, 2}, {3, 4} };
    Mixed m = { 'a', 4000000000u, -5, 1.5 };
    char word[3] = "hi";
    int grid[2][3] = { {1, 2, 3}, {4, 5, 6} };
    unsigned char *bytes = malloc(4);
    bytes[0] = 200; bytes[1] = 1; bytes[2] = 2; bytes[3] = 3;
    struct node *second = malloc(sizeof *second);
    second->value = 2; second->next = NULL;
    struct node *head = malloc(sizeof *head);
    head->value = 1; head->next = second;
    long t = twice(21);
    free(bytes); free(head); free(second);
    return (int)(t - 42) + p.a[0] - one + pts[0].x - 1 + m.c - 'a' + word[2] + grid[1][2] - 6;
}
EOF2
test_cc -g -O0 -o "$work/values" "$work/values.c" || { echo "FAIL cc values.c"; echo "0 passed, 1 failed"; exit 1; }
run values --pytutor values.json -- ./values
check "values: traced, exit 0" eval '[ $rc -eq 0 ] && [ -s "$work/values.json" ]'
py "values: the export is in the C backend's encoding" "$work/values.json" "pass"
py "values: a struct with two pointers, each field at its own address" "$work/values.json" "
e = next(e for e in tr if local(e, 'p')[0] == 'C_STRUCT')
p = local(e, 'p')
assert p[2] == 'pair', p[2]
a, b = field(p, 'a'), field(p, 'b')
assert a[1] == p[1] and int(b[1], 16) == int(p[1], 16) + 8, (a, b)
assert a[2] == b[2] == 'pointer'
assert a[3] == local(e, 'one')[1] and b[3] == local(e, 'two')[1]"
py "values: an array of structs, elements and fields at their own addresses" "$work/values.json" "
pts = next(local(e, 'pts') for e in tr if local(e, 'pts')[0] == 'C_ARRAY')
base = int(pts[1], 16)
assert [x[0] for x in pts[2:]] == ['C_STRUCT', 'C_STRUCT'] and pts[3][2] == 'point'
assert [int(x[1], 16) - base for x in pts[2:]] == [0, 8]
assert field(pts[3], 'x')[1:] == [hex(base + 8), 'int', 3]
assert field(pts[3], 'y')[1:] == [hex(base + 12), 'int', 4]"
py "values: char, unsigned int, long int, double as gcc names them" "$work/values.json" "
m = next(local(e, 'm') for e in tr if local(e, 'm')[0] == 'C_STRUCT')
assert m[2] == 'Mixed'
assert field(m, 'c')[2:] == ['char', 'a'], field(m, 'c')
assert field(m, 'u')[2:] == ['unsigned int', 4000000000]
assert field(m, 'l')[2:] == ['long int', -5]
assert field(m, 'd')[2:] == ['double', 1.5]
w = next(local(e, 'word') for e in tr if local(e, 'word')[0] == 'C_ARRAY')
assert [x[2:] for x in w[2:]] == [['char', 'h'], ['char', 'i'], ['char', '\\\\0']], w
assert local(tr[-2], 't')[2:] == ['long int', 42]"
py "values: a matrix as the backend writes one, its dimensions then its elements" "$work/values.json" "
g = local(tr[-2], 'grid', 0)
base = int(g[1], 16)
assert g[0] == 'C_MULTIDIMENSIONAL_ARRAY' and g[2] == [2, 3], g
assert [x[2:] for x in g[3:]] == [['int', n] for n in range(1, 7)]
assert [int(x[1], 16) - base for x in g[3:]] == [0, 4, 8, 12, 16, 20]"
py "values: heap bytes are unsigned (200), a node's block is its struct, next a pointer to the node" "$work/values.json" "
e = [e for e in tr if len(e['heap']) == 3][-1]
blk = e['heap'][local(e, 'bytes', 0)[3]]
assert blk[2] == ['C_DATA', blk[1], 'unsigned char', 200], blk[2]
head = e['heap'][local(e, 'head', 0)[3]]
assert len(head) == 3 and head[2][0] == 'C_STRUCT' and head[2][2] == 'node', head
nxt = field(head[2], 'next')
assert nxt[2] == 'pointer' and nxt[3] == local(e, 'second', 0)[3], head
assert int(nxt[1], 16) == int(head[1], 16) + 8"
py "values: the first entry is a step_line, twice's call and its return with 42" "$work/values.json" "
ev = [e['event'] for e in tr]
assert ev[0] == 'step_line' and ev.count('call') == 1 and ev[-1] == 'return', ev
c = ev.index('call')
assert top(tr[c])['func_name'] == 'twice' and code_line(d, tr[c]['line']).strip() == 'long r = v * 2;'
r = next(i for i, e in enumerate(tr) if e['event'] == 'return' and top(e)['func_name'] == 'twice')
assert local(tr[r], '__return__')[2:] == ['long int', 42], local(tr[r], '__return__')
assert code_line(d, tr[r]['line']).strip() in ('return r;', '}')
assert tr[r + 1]['func_name'] == 'main' and tr[r + 1]['event'] == 'step_line'
assert sum('__return__' in f['encoded_locals'] for e in tr for f in e['stack_to_render']) == 1"

# ---- a vec of doubles (stackheap's own sh_vec_f64) -----------------------------------------------
cat > "$work/vecf.c" <<'EOF2'
#include <stackheap/own.h>
int main(void) {
    sh_auto(sh_vec_f64) v = sh_vec_new(sh_vec_f64);
    sh_vec_push(&v, 1.5);
    sh_vec_push(&v, -2.25);
    return 0;
}
EOF2
if [ ! -f "$SH_BINARY_DIR/libstackheap.a" ]; then
    echo "note: no $SH_BINARY_DIR/libstackheap.a: the vec of doubles is not checked"
elif nm "$SH_BINARY_DIR/libstackheap.a" 2>/dev/null | grep -q ' U __asan_'; then
    echo "note: $SH_BINARY_DIR/libstackheap.a is built with ASan: the vec of doubles is not checked"
elif test_cc -g -O0 -I"$src/include" -o "$work/vecf" "$work/vecf.c" "$SH_BINARY_DIR/libstackheap.a" -lpthread 2> "$work/vecf.cc"; then
    run vecf --pytutor vecf.json -- ./vecf
    py "vec of doubles: its block holds 1.5 and -2.25 as doubles, spare slots uninitialised" "$work/vecf.json" "
e = next(e for e in tr if e['heap'] and field(local(e, 'v'), 'len')[3] == 2)
blk = e['heap'][field(local(e, 'v'), 'ptr')[3]]
assert [x[2:] for x in blk[2:]] == [['double', 1.5], ['double', -2.25], ['double', '<UNINITIALIZED>'],
                                     ['double', '<UNINITIALIZED>']], blk"
else
    fail "vec of doubles: cc with libstackheap.a" "$(head -3 "$work/vecf.cc")"
fi

# ---- a program in two files -----------------------------------------------------------------------
cat > "$work/main2.c" <<'EOF2'
int add(int a, int b);
int main(void) {
    int x = add(2, 3);
    return x - 5;
}
EOF2
cat > "$work/util2.c" <<'EOF2'
int add(int a, int b) {
    int s = a + b;
    return s;
}
EOF2
(cd "$work" && test_cc -g -O0 -o two main2.c util2.c)
run two --pytutor two.json -- ./two
py "two files: both are in the code, each step's line is its own file's line" "$work/two.json" "
assert 'int x = add(2, 3);' in d['code'] and 'int s = a + b;' in d['code']
lines = {'main': [], 'add': []}
for e in tr:
    if e['stack_to_render']: lines[top(e)['func_name']].append(code_line(d, e['line']).strip())
assert 'int s = a + b;' in lines['add'] and 'return s;' in lines['add'], lines
assert 'int x = add(2, 3);' in lines['main'], lines
a = next(e for e in tr if top(e)['func_name'] == 'add')
assert code_line(d, a['stack_to_render'][0]['line']).strip() == 'int x = add(2, 3);'
r = next(e for e in tr if e['event'] == 'return' and top(e)['func_name'] == 'add')
assert local(r, '__return__')[2:] == ['int', 5]"

# ---- a crash ----------------------------------------------------------------------------------------
cat > "$work/crash.c" <<'EOF2'
int main(void) {
    int *p = 0;
    *p = 1;
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/crash" "$work/crash.c"
run crash --pytutor crash.json -- ./crash
py "crash: the last entry is an exception naming SIGSEGV, at the faulting line" "$work/crash.json" "
assert tr[-1]['event'] == 'exception' and 'SIGSEGV' in tr[-1]['exception_msg']
assert code_line(d, tr[-1]['line']).strip() == '*p = 1;'"

# ---- a --max-steps cut -------------------------------------------------------------------------------
endless=endless_py_$$
cat > "$work/$endless.c" <<'EOF2'
int main(void) {
    volatile int i = 0;
    for (;;)
        i++;
}
EOF2
test_cc -g -O0 -o "$work/$endless" "$work/$endless.c"
run loop --max-steps 20 --pytutor loop.json -- "./$endless"
check "--max-steps 20: non-zero exit, the export written" eval '[ $rc -ne 0 ] && [ -s "$work/loop.json" ]'
py "--max-steps 20: 20 steps, then instruction_limit_reached with the message" "$work/loop.json" "
assert len(tr) == 21 and tr[-1]['event'] == 'instruction_limit_reached', [e['event'] for e in tr]
assert '--max-steps 20' in tr[-1]['exception_msg']
assert tr[-2]['event'] != 'return'
assert tr[-1]['stack_to_render'] == tr[-2]['stack_to_render']"

# ---- past what Python Tutor opens ---------------------------------------------------------------
# 400 blocks, each in every later step's heap: the export grows with steps x blocks, past
# 10 MiB in about 140 steps of 1,605 (1,604 under clang: main's `}` has no line row)
cat > "$work/blocks.c" <<'EOF2'
#include <stdlib.h>
int main(void) {
    void *p[400];
    for (int i = 0; i < 400; i++)
        p[i] = malloc(16);
    for (int i = 0; i < 400; i++)
        free(p[i]);
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/blocks" "$work/blocks.c"
echo "an old export" > "$work/old.json"
run big --pytutor big.json --json big-trace.json --html big.html -- ./blocks
check "too big: exit 1" [ "$rc" = 1 ]
check "too big: no export written" [ ! -e "$work/big.json" ]
check "too big: the JSON trace and the page are written all the same" \
    eval '[ -s "$work/big-trace.json" ] && grep -q "</html>" "$work/big.html"'
msg=$(cat "$work/big.err")
check "too big: the message names the file, the steps and the export's size" \
    grep -Eq "not writing big.json: the Python Tutor export of these 160[45] steps would be [0-9.]+ MiB" <<< "$msg"
size=$(grep -Eo "would be [0-9.]+" <<< "$msg" | grep -Eo "[0-9.]+$")
check "too big: the size is counted, not guessed (618.2 MiB when measured)" \
    python3 -c "import sys; sys.exit(not 500 <= float('$size') <= 750)"
check "too big: one message, no 'writing failed'" eval '! grep -q "writing big.json failed" "$work/big.err"'
check "too big: says the limit, 10 MiB, and why" grep -q "Python Tutor opens at most 10 MiB, what its own server hands its front end" <<< "$msg"
check "too big: says what fits and what to use instead" \
    grep -Eq "The first [0-9]+ steps fit: trace fewer \(--max-steps [0-9]+,.*or write --html or --json" <<< "$msg"
fit=$(grep -Eo -- "--max-steps [0-9]+" <<< "$msg" | grep -Eo "[0-9]+$")
run fit --max-steps "$fit" --pytutor fit.json -- ./blocks
py "--max-steps as the message says: the export is written, under 10 MiB" "$work/fit.json" "
import os
assert os.path.getsize('$work/fit.json') <= 10 << 20
assert len(tr) == $fit + 1 and tr[-1]['event'] == 'instruction_limit_reached'"
run kept --pytutor old.json -- ./blocks
check "too big: a file that was there is left as it was, with the one message" \
    eval '[ "$(cat "$work/old.json")" = "an old export" ] && ! grep -q "failed" "$work/kept.err"'

finish

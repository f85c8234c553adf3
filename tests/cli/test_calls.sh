#!/usr/bin/env bash
# tests/cli/test_calls.sh — every call and every return is a step of its own (issue 10, item
# 5), on small C programs built here with `cc -g -O0` and read from `stackheap run --json`:
# calls at one depth (two calls on one line, a recursion whose sibling calls reuse one stack
# address), a comparator called from qsort as many times as the program counts, a longjmp
# naming the frames it popped, `?` for a local a recursive call never reached, and an
# allocation on the step of the line that made it.
# Prints "ok"/"FAIL" per check and "N passed, N failed"; exits non-zero on a failure.
set -u
source "$(dirname "$0")/common.bash"
# py NAME JSONFILE CODE: runs CODE with `t` the loaded trace; passes when it exits 0 (what
# it prints is shown on a failure).
py() {
    local name=$1 file=$2 code=$3 out
    if out=$(python3 -c "import json,sys
sys.path.insert(0, '$src/tests/cli'); from factcheck import load_trace; t=load_trace('$file')
def evs(s, k): return [e for e in s['events'] if e['kind']==k]
def all_evs(k): return [e for s in t['steps'] for e in evs(s, k)]
def var(f, n): return next((v for v in f['vars'] if v['name']==n), None)
def val(f, n):
    v=var(f, n); return None if v is None else (v['value'].get('value') if v['value']['kind']!='uninit' else '?')
$code" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -3)"; fi
}
# trace NAME: builds NAME.c and traces it into NAME.json
trace() {
    cc -g -O0 -o "$work/$1" "$work/$1.c" || { fail "cc $1.c"; return 1; }
    (cd "$work" && "${to[@]}" "$bin" run --json "$1.json" -- "./$1" > "$1.out" 2> "$1.err") ||
        { fail "$1: traced" "$(tail -2 "$work/$1.err")"; return 1; }
}

# ---- recursion on one line: sibling calls share one CFA ------------------------------------
cat > "$work/fib.c" <<'EOF'
static int fib(int n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }
int main(void) {
    int r = fib(4);
    return r - 3;
}
EOF
if trace fib; then
    py "fib(4): 9 calls and 9 returns of fib" "$work/fib.json" "
c=[e for e in all_evs('call') if e['function']=='fib']; r=[e for e in all_evs('return') if e['function']=='fib']
print(len(c), len(r)); sys.exit(not (len(c)==9 and len(r)==9))"
    py "fib(4): the returns give 0,0,1,1,1,1,1,2,3 (3 last)" "$work/fib.json" "
r=[e.get('value') for e in all_evs('return') if e['function']=='fib']
print(r); sys.exit(not (sorted(r)==[0,0,1,1,1,1,1,2,3] and r[-1]==3))"
    py "fib(4): no step holds two calls or two returns" "$work/fib.json" "
sys.exit(any(len(evs(s,'call'))>1 or len(evs(s,'return'))>1 for s in t['steps']))"
    py "fib(4): each call's step shows the new frame with its own n" "$work/fib.json" "
ns=[val(s['frames'][-1],'n') for s in t['steps'] if evs(s,'call') and s['frames'][-1]['function']=='fib']
print(ns); sys.exit(ns!=[4,3,2,1,0,1,2,1,0])"
fi

# ---- two calls on one line ------------------------------------------------------------------
cat > "$work/two.c" <<'EOF'
static int f(int x) { return x * 10; }
int main(void) {
    int a = f(1) + f(2);
    return a - 30;
}
EOF
if trace two; then
    py "f(1) + f(2): two calls, two returns 10 and 20" "$work/two.json" "
c=[e for e in all_evs('call') if e['function']=='f']; r=[e.get('value') for e in all_evs('return') if e['function']=='f']
print(len(c), r); sys.exit(not (len(c)==2 and r==[10,20]))"
    py "f(1) + f(2): f's frames have x = 1, then x = 2" "$work/two.json" "
xs=[val(s['frames'][-1],'x') for s in t['steps'] if evs(s,'call') and s['frames'][-1]['function']=='f']
print(xs); sys.exit(xs!=[1,2])"
fi

# ---- a comparator called from qsort ---------------------------------------------------------
cat > "$work/qs.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
static int calls;
static int cmp(const void *pa, const void *pb) {
    int a = *(const int *)pa;
    int b = *(const int *)pb;
    calls++;
    return (a > b) - (a < b);
}
int main(void) {
    int v[5] = {5, 3, 4, 1, 2};
    qsort(v, 5, sizeof v[0], cmp);
    printf("calls %d\n", calls);
    return v[0] - 1;
}
EOF
if trace qs; then
    py "qsort: as many cmp calls and returns as the program counted" "$work/qs.json" "
import re
out=''.join(e.get('text') or '' for e in all_evs('output'))
n=int(re.search(r'calls (\d+)', out).group(1))
c=[e for e in all_evs('call') if e['function']=='cmp']; r=[e for e in all_evs('return') if e['function']=='cmp']
print(n, len(c), len(r)); sys.exit(not (n>=4 and len(c)==n and len(r)==n))"
    # gdb, the reference: a breakpoint on cmp that never stops (ignore count) counts its hits
    if command -v gdb >/dev/null; then
        hits=$(cd "$work" && "${to[@]}" gdb -nx -batch -ex 'break cmp' -ex 'ignore 1 1000000' -ex run \
               -ex 'info breakpoints' ./qs 2>/dev/null | sed -n 's/.*already hit \([0-9]*\) time.*/\1/p')
        py "qsort: as many cmp calls as gdb counts (${hits:-none})" "$work/qs.json" "
c=[e for e in all_evs('call') if e['function']=='cmp']
print(len(c), '$hits'); sys.exit(not ('$hits'.isdigit() and len(c)==int('$hits')))"
    fi
    py "qsort: each cmp call starts a new frame with a and b not yet set" "$work/qs.json" "
st=[s for s in t['steps'] if evs(s,'call') and s['frames'][-1]['function']=='cmp']
bad=[s['index'] for s in st if not s['frames'][-1]['new'] or val(s['frames'][-1],'a')!='?' or val(s['frames'][-1],'b')!='?']
print(len(st), bad); sys.exit(bool(bad) or not st)"
    py "qsort: each return is a step of its own, with main on top and cmp's value" "$work/qs.json" "
st=[s for s in t['steps'] if any(e['function']=='cmp' for e in evs(s,'return'))]
bad=[s['index'] for s in st if s['frames'][-1]['function']!='main' or len(evs(s,'return'))!=1 or evs(s,'call') or evs(s,'return')[0].get('value') not in (-1,0,1)]
print(len(st), bad); sys.exit(bool(bad) or not st)"
fi

# ---- a return's step is at the line that made the call -------------------------------------
# gdb is the reference: `finish` from push() stops "in main () at where.c:22", from fib()
# "in fib (n=2) at where.c:12" then ":13", and from fib(3) in main at 25; for bump(&x), a
# call ending its line, finish stops at line 25's first address, and `bt` in bump names the
# calling line, "#1 main () at where.c:24": the step is the call's line, 24. The old steps
# were at the next stop's line (21, the loop, for push's returns).
cat > "$work/where.c" <<'EOF'
#include <stdlib.h>
struct node { int value; struct node *next; };
static struct node *push(struct node *head, int v) {
    struct node *n = malloc(sizeof *n);
    n->value = v;
    n->next = head;
    return n;
}
static int fib(int n) {
    if (n < 2)
        return n;
    int a = fib(n - 1);
    int b = fib(n - 2);
    return a + b;
}
static void bump(int *p) {
    *p += 1;
}
int main(void) {
    struct node *head = NULL;
    for (int i = 1; i <= 2; i++)
        head = push(head, i);
    int x = 0;
    bump(&x);
    x += fib(3);
    free(head->next);
    free(head);
    return x - 3;
}
EOF
if trace where; then
    py "returns: each return step is at its call's line (22 22 24 12 13 12 13 25, as gdb)" "$work/where.json" "
r=[(evs(s,'return')[0]['function'], s['line'], s['frames'][-1]['line']) for s in t['steps'] if evs(s,'return') and evs(s,'return')[0]['function']!='main']
print(r); sys.exit(r!=[('push',22,22),('push',22,22),('bump',24,24),('fib',12,12),('fib',13,13),('fib',12,12),('fib',13,13),('fib',25,25)])"
    py "returns: push's return step shows head holding the returned address" "$work/where.json" "
st=[s for s in t['steps'] if evs(s,'return') and evs(s,'return')[0]['function']=='push']
got=[(evs(s,'return')[0].get('value'), var(s['frames'][-1],'head')['value'].get('addr')) for s in st]
print(got); sys.exit(len(got)!=2 or any(v is None or h is None or int(h,16)!=v for v,h in got))"
    py "returns: the loop line after a return is a step of its own" "$work/where.json" "
ix=[s['index'] for s in t['steps'] if evs(s,'return') and evs(s,'return')[0]['function']=='push']
nxt=[t['steps'][i+1]['line'] for i in ix]
print(nxt); sys.exit(nxt!=[21,21])"
fi

# put()'s return step is shown at its call's line, 9, though the program stands at line 10's
# start: the step after it is titled by the line that ran since (10's free), not the call's
cat > "$work/after.c" <<'EOF'
#include <stdlib.h>
static unsigned hash(const char *s) { unsigned h = 0; while (*s) h = h * 31 + (unsigned char)*s++; return h % 4; }
static int *put(const char *key) {
    unsigned h = hash(key);
    int *p = malloc(sizeof *p * (h + 1));
    return p;
}
int main(void) {
    int *p = put("ab");
    free(p);
    return 0;
}
EOF
if trace after; then
    py "returns: the step after a return is titled by the line that ran since" "$work/after.json" "
st=[s for s in t['steps'] if evs(s,'free')]
print(st[0]['title'] if st else None); sys.exit(not st or not st[0]['title'].startswith('free(p)'))"
fi

# ---- longjmp past three frames --------------------------------------------------------------
cat > "$work/jmp.c" <<'EOF'
#include <setjmp.h>
static jmp_buf env;
static void deep(int n) {
    int d = n * 2;
    longjmp(env, d);
}
static void mid(int n) {
    deep(n + 1);
}
static void top(int n) {
    mid(n + 1);
}
int main(void) {
    int got = setjmp(env);
    if (got == 0)
        top(1);
    return got - 6;
}
EOF
if trace jmp; then
    py "longjmp: one step says it popped deep(), mid(), top()" "$work/jmp.json" "
st=[s for s in t['steps'] if s['title']=='longjmp: popped deep(), mid(), top()']
print([s['title'] for s in t['steps']]); sys.exit(len(st)!=1 or [s['function'] for s in st[0]['frames']]!=['main'])"
    py "longjmp: its return events name each frame and say longjmp, no frame 'returned'" "$work/jmp.json" "
r=[(e['function'], e.get('text')) for e in all_evs('return') if e['function']!='main']
print(r); sys.exit(r!=[('deep','longjmp'),('mid','longjmp'),('top','longjmp')])"
fi

# ---- a local a recursive call never reached -------------------------------------------------
cat > "$work/rest.c" <<'EOF'
static int fib(int n) {
    if (n < 2) return n;
    int rest = fib(n - 1);
    return rest + fib(n - 2);
}
int main(void) {
    int r = fib(3);
    return r - 2;
}
EOF
if trace rest; then
    py "recursion: rest is ? in every call that returned early (n < 2)" "$work/rest.json" "
bad=[(s['index'], val(f,'n'), val(f,'rest')) for s in t['steps'] for f in s['frames'] if f['function']=='fib' and val(f,'n')<2 and val(f,'rest')!='?']
seen=[1 for s in t['steps'] for f in s['frames'] if f['function']=='fib' and val(f,'n')<2]
print(bad); sys.exit(bool(bad) or not seen)"
    py "recursion: rest keeps its value in the callers once set" "$work/rest.json" "
sys.exit(not any(f['function']=='fib' and val(f,'n')==3 and val(f,'rest')==1 for s in t['steps'] for f in s['frames']))"
fi

# ---- a caller's local set earlier on the calling line ---------------------------------------
cat > "$work/sq.c" <<'EOF'
static int sq(int x) {
    int y = x * x;
    return y;
}
int main(void) {
    int a = 4; int r = sq(a);
    return r - 16;
}
EOF
if trace sq; then
    py "int a = 4; int r = sq(a);: main shows a = 4 and r = ? in every step of sq" "$work/sq.json" "
m=[(val(s['frames'][0],'a'), val(s['frames'][0],'r')) for s in t['steps'] if len(s['frames'])==2]
print(m); sys.exit(not m or any(x!=(4,'?') for x in m))"
fi

# ---- atexit handlers: called from libc after main returned -----------------------------------
cat > "$work/ax.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
static void bye(void) {
    int k = 7;
    printf("bye %d\n", k);
}
static void bye2(void) {
    puts("bye2");
}
int main(void) {
    atexit(bye);
    atexit(bye2);
    return 0;
}
EOF
if trace ax; then
    py "atexit: main returns on a step of its own, then bye2 and bye each are called and return" "$work/ax.json" "
seq=[(e['kind'], e['function']) for s in t['steps'] for e in s['events'] if e['kind'] in ('call','return')]
print(seq); sys.exit(seq!=[('call','main'),('return','main'),('call','bye2'),('return','bye2'),('call','bye'),('return','bye')])"
    py "atexit: bye's own frame shows k = ? then k = 7" "$work/ax.json" "
ks=[val(s['frames'][-1],'k') for s in t['steps'] if s['frames'] and s['frames'][-1]['function']=='bye']
print(ks); sys.exit(not (ks and ks[0]=='?' and 7 in ks))"
fi

# ---- the same in Rust: fib's sibling calls and f(1) + f(2) ---------------------------------
if [ -n "$rustc" ]; then
    cat > "$work/rf.rs" <<'EOF'
fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib(n - 1) + fib(n - 2)
}

fn f(x: i32) -> i32 {
    x * 10
}

fn main() {
    let a = f(1) + f(2);
    let r = fib(4);
    println!("{} {}", a, r);
}
EOF
    if "$rustc" -g -o "$work/rf" "$work/rf.rs" 2> "$work/rf.cc" &&
       (cd "$work" && "${to[@]}" "$bin" run --json rf.json -- ./rf > rf.out 2> rf.err); then
        py "rust fib(4): 9 calls, 9 returns giving 0,0,1,1,1,1,1,2,3" "$work/rf.json" "
c=[e for e in all_evs('call') if e['function']=='fib']; r=[e.get('value') for e in all_evs('return') if e['function']=='fib']
print(len(c), r); sys.exit(not (len(c)==9 and sorted(r)==[0,0,1,1,1,1,1,2,3]))"
        py "rust f(1) + f(2): two calls, returns 10 then 20" "$work/rf.json" "
c=[e for e in all_evs('call') if e['function']=='f']; r=[e.get('value') for e in all_evs('return') if e['function']=='f']
print(len(c), r); sys.exit(not (len(c)==2 and r==[10,20]))"
        py "rust: no step holds two calls or two returns" "$work/rf.json" "
sys.exit(any(len(evs(s,'call'))>1 or len(evs(s,'return'))>1 for s in t['steps']))"
    else
        fail "rust: rf.rs built and traced" "$(tail -2 "$work/rf.cc" "$work/rf.err" 2>/dev/null)"
    fi
    # vec! allocates before its line's first breakpoint: the block is still that line's
    cat > "$work/al.rs" <<'EOF'
fn main() {
    let n = 3;
    let v: Vec<i32> = vec![1, 2, 3];
    let b = Box::new(n);
    println!("{} {:?} {}", n, v, b);
}
EOF
    if "$rustc" -g -o "$work/al" "$work/al.rs" 2> "$work/al.cc" &&
       (cd "$work" && "${to[@]}" "$bin" run --json al.json -- ./al > al.out 2> al.err); then
        py "rust: vec![1, 2, 3]'s 12 bytes are allocated on its own line's step, not let n = 3's" "$work/al.json" "
st=[s for s in t['steps'] if any(e['size']==12 for e in evs(s,'alloc'))]
print([(s['title'], len(t['steps'][s['index']-1]['heap'])) for s in st])
sys.exit(not (len(st)==1 and st[0]['title'].startswith('let v') and
              not t['steps'][st[0]['index']-1]['heap'] and len(st[0]['heap'])==1))"
    else
        fail "rust: al.rs built and traced" "$(tail -2 "$work/al.cc" "$work/al.err" 2>/dev/null)"
    fi
    # a panic unwinding get(): it did not return. With RUST_BACKTRACE=1 (as the environment
    # may have it): the backtrace's allocations are std's and go unwatched (test_whose.sh).
    cat > "$work/pn.rs" <<'EOF'
fn get(v: &Vec<i32>, i: usize) -> i32 {
    v[i]
}

fn main() {
    let v = vec![1, 2];
    let z = get(&v, 5);
    println!("{}", z);
}
EOF
    if "$rustc" -g -o "$work/pn" "$work/pn.rs" 2> "$work/pn.cc" &&
       (cd "$work" && RUST_BACKTRACE=1 "${to[@]}" "$bin" run --json pn.json -- ./pn > pn.out 2> pn.err; [ -s pn.json ]); then
        py "rust panic: get() is popped by the panic, never 'returned'" "$work/pn.json" "
r=[(e['function'], e.get('text')) for e in all_evs('return') if e['function']=='get']
ti=[s['title'] for s in t['steps'] if 'get()' in s['title']]
print(r, ti); sys.exit(not (r==[('get','panic')] and 'panic: popped get()' in ti and not any('get() returned' in x for x in ti)))"
    else
        fail "rust: pn.rs built and traced" "$(tail -2 "$work/pn.cc" "$work/pn.err" 2>/dev/null)"
    fi
else
    echo "note: no rustc: the Rust checks are skipped"
fi

finish

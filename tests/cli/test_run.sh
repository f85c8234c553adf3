#!/usr/bin/env bash
# tests/cli/test_run.sh — `stackheap run` end to end on small C programs built here with
# `cc -g -O0`: the lesson's add example (frames, `sum = ?`, the return), a recursion, a
# linked list on the heap, a crash, an endless loop stopped by --max-steps, the error
# messages, and the text output. JSON facts are checked with python3 (skipped without it).
# Prints "ok"/"FAIL" per check and "N passed, N failed"; exits non-zero on a failure.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
if [ ! -x "$bin" ]; then echo "FAIL stackheap is not built: $bin"; echo "0 passed, 1 failed"; exit 1; fi
source "$(dirname "$0")/cc.bash"

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export LANG=C.UTF-8 LC_ALL=
unset NO_COLOR

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"
has() { grep -qF -- "$2" "$work/$1"; }
have_py=1
command -v python3 >/dev/null || { have_py=0; echo "note: no python3: the JSON checks are skipped"; }
# py NAME JSONFILE CODE: runs CODE with `t` the loaded trace; passes when it exits 0.
py() {
    local name=$1 file=$2 code=$3
    [ $have_py -eq 1 ] || return 0
    check "$name" python3 -c "import json,sys
sys.path.insert(0, '$src/tests/cli'); from factcheck import load_trace; t=load_trace('$file')
def frames(s): return s['frames']
def var(f, n): return next((v for v in f['vars'] if v['name']==n), None)
def val(f, n):
    v=var(f, n); return None if v is None else (v['value'].get('value') if v['value']['kind']!='uninit' else '?')
$code"
}
# run NAME ARGS...: `stackheap run ARGS...`'s output in $work/NAME.out, .err, status in $rc.
to=(); command -v timeout >/dev/null && to=(timeout 120)   # a hang fails, not blocks
run() { local name=$1; shift; (cd "$work" && "${to[@]}" "$bin" run "$@" > "$work/$name.out" 2> "$work/$name.err"); rc=$?; }

test_cc -g -O0 -o "$work/add" "$src/examples/add.c" || { echo "FAIL cc add.c"; echo "0 passed, 1 failed"; exit 1; }

# ---- the lesson's add ---------------------------------------------------------------------
run add_json --json t.json -- ./add
check "add: exit 0" [ $rc -eq 0 ]
py "add: main has x=5, y=10 and sum uninitialised" "$work/t.json" "
sys.exit(not any(len(frames(s))==1 and val(s['frames'][0],'x')==5 and val(s['frames'][0],'y')==10 and val(s['frames'][0],'sum')=='?' for s in t['steps']))"
py "add: add's frame on top with a=5, b=10" "$work/t.json" "
sys.exit(not any(len(frames(s))==2 and s['frames'][1]['function']=='add' and val(s['frames'][1],'a')==5 and val(s['frames'][1],'b')==10 for s in t['steps']))"
# gcc gives add's closing brace (24) a line row, clang does not (gdb's `next` from 23 leaves add)
py "add: result=15 at add's last line (24, or 23 under clang)" "$work/t.json" "
last=[s for s in t['steps'] if len(frames(s))==2][-1]
sys.exit(not (last['line'] in (23, 24) and val(last['frames'][1],'result')==15))"
py "add: a later step where main has sum=15" "$work/t.json" "
i=next(i for i,s in enumerate(t['steps']) if len(frames(s))==2)
sys.exit(not any(len(frames(s))==1 and val(s['frames'][0],'sum')==15 for s in t['steps'][i:]))"
py "add: the output 'sum = 15' and exit code 0" "$work/t.json" "
out=''.join(e.get('text') or '' for s in t['steps'] for e in s['events'] if e['kind']=='output')
sys.exit(not ('sum = 15' in out and t['exit_code']==0))"
py "add: the return event carries 15" "$work/t.json" "
sys.exit(not any(e['kind']=='return' and e.get('function')=='add' and e.get('value')==15 for s in t['steps'] for e in s['events']))"

# ---- text output ---------------------------------------------------------------------------
run add_text -- ./add
check "text: Step 2 and ← top" eval '[ $rc -eq 0 ] && has add_text.out "Step 2" && has add_text.out "← top"'
check "text: the output and the summary" eval 'has add_text.out "sum = 15" && has add_text.out "exit code: 0"'
check "text: no colour when not a terminal" eval '! grep -q $'"'"'\x1b\['"'"' "$work/add_text.out"'
run add_ascii --ascii -- ./add
check "text --ascii: <- top, no box drawing" eval '[ $rc -eq 0 ] && has add_ascii.out "<- top" && ! has add_ascii.out "│"'
run add_py --pytutor py.json -- ./add
check "--pytutor writes a file" eval '[ $rc -eq 0 ] && [ -s "$work/py.json" ]'

# ---- '-' and a standard output that cannot be written ----------------------------------------
run add_dash --json - -- ./add
check "--json -: the trace on stdout, the same as --json FILE, no file '-'" \
  eval '[ $rc -eq 0 ] && [ ! -e "$work/-" ] && cmp -s "$work/add_dash.out" "$work/t.json"'
run two_dashes --json - --html - -- ./add
check "--json - --html -: a usage error naming both" \
  eval '[ $rc -eq 2 ] && has two_dashes.err "only one of --json, --html and --pytutor can be '"'"'-'"'"'"'
if [ -w /dev/full ]; then
  (cd "$work" && "${to[@]}" "$bin" run -- ./add > /dev/full 2> full.err); rc=$?
  check "text to a full disk: exit 1 and 'writing the standard output failed'" \
    eval '[ $rc -eq 1 ] && has full.err "writing the standard output failed"'
  (cd "$work" && "${to[@]}" "$bin" run --json - -- ./add > /dev/full 2> fulljson.err); rc=$?
  check "--json - to a full disk: exit 1 and said" \
    eval '[ $rc -eq 1 ] && has fulljson.err "writing the standard output failed"'
  (cd "$work" && "${to[@]}" "$bin" --version > /dev/full 2> fullver.err); rc=$?
  check "--version to a full disk: exit 1" eval '[ $rc -eq 1 ] && has fullver.err "No space left"'
fi

# ---- recursion -----------------------------------------------------------------------------
cat > "$work/fact.c" <<'EOF2'
#include <stdio.h>
static int factorial(int n) {
    if (n <= 1) return 1;
    return n * factorial(n - 1);
}
int main(void) {
    int r = factorial(5);
    printf("%d\n", r);
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/fact" "$work/fact.c"
run fact --json f.json -- ./fact
check "factorial: exit 0" [ $rc -eq 0 ]
py "factorial(5): the deepest step has 6 frames" "$work/f.json" "
sys.exit(max(len(frames(s)) for s in t['steps'])!=6)"

# ---- a linked list on the heap -------------------------------------------------------------
cat > "$work/list.c" <<'EOF2'
#include <stdlib.h>
struct node { int value; struct node *next; };
int main(void) {
    struct node *head = NULL;
    for (int i = 0; i < 3; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i;
        n->next = head;
        head = n;
    }
    while (head) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/list" "$work/list.c"
run list --json l.json -- ./list
check "list: exit 0" [ $rc -eq 0 ]
py "list: 3 live blocks at some step, 0 at the end" "$work/l.json" "
sys.exit(not (max(len(s['heap']) for s in t['steps'])==3 and len(t['steps'][-1]['heap'])==0))"
py "list: each node's next (+8) points to the node made before it" "$work/l.json" "
links={(b['id'],p['offset'],p['block']) for s in t['steps'] if len(s['heap'])==3 for b in s['heap'] for p in b['pointers']}
sys.exit(links!={(2,8,1),(3,8,2)})"
py "list: alloc and free events" "$work/l.json" "
k=[e['kind'] for s in t['steps'] for e in s['events']]
sys.exit(not (k.count('alloc')==3 and k.count('free')==3))"

# ---- a crash --------------------------------------------------------------------------------
cat > "$work/crash.c" <<'EOF2'
int main(void) {
    int *p = 0;
    int x = 1;
    *p = x;
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/crash" "$work/crash.c"
run crash --json c.json -- ./crash
py "crash: the last step has a SIGSEGV event at line 4" "$work/c.json" "
s=t['steps'][-1]
sys.exit(not (s['line']==4 and any(e['kind']=='signal' and 'SIGSEGV' in (e.get('text') or '') for e in s['events'])))"
run crash_text -- ./crash
check "crash: the text says SIGSEGV" has crash_text.out "SIGSEGV"

# ---- an endless loop ------------------------------------------------------------------------
# (a name of its own: pgrep must not see a benchmark's loop running beside the tests)
endless=endless_$$
cat > "$work/$endless.c" <<'EOF2'
int main(void) {
    volatile int i = 0;
    for (;;)
        i++;
}
EOF2
test_cc -g -O0 -o "$work/$endless" "$work/$endless.c"
run loop --max-steps 50 -- "./$endless"
check "loop --max-steps 50: non-zero exit and the limit message" eval '[ $rc -ne 0 ] && has loop.err "--max-steps 50" && has loop.out "limit"'
check "loop: no traced process left behind" eval "! pgrep -x $endless >/dev/null"

# ---- errors ---------------------------------------------------------------------------------
run missing -- ./no-such-program
check "a missing program: exit 1 and a message" eval '[ $rc -eq 1 ] && has missing.err "no-such-program"'
echo "not a program" > "$work/text.txt"
chmod +x "$work/text.txt"
run notelf -- ./text.txt
check "not an ELF file: exit 1 and a message" eval '[ $rc -eq 1 ] && grep -qi "elf" "$work/notelf.err"'
test_cc -g0 -O0 -o "$work/nodebug" "$src/examples/add.c"
run nodebug -- ./nodebug
check "no -g: exit 1 and 'compile with -g'" eval '[ $rc -eq 1 ] && has nodebug.err "compile with -g"'
run noprog
check "no program: usage error" eval '[ $rc -eq 2 ] && has noprog.err "which program"'
run badsteps --max-steps x -- ./add
check "--max-steps x: usage error" [ $rc -eq 2 ]

# ---- output lands on its step -------------------------------------------------------------
# stdout is a terminal for the program, so C stdio flushes each line when it is printed: the
# output event is on the step after the printf's line, not all on the last step at exit.
cat > "$work/lines.c" <<'EOF2'
#include <stdio.h>
int main(void) {
    printf("one\n");
    int x = 1;
    printf("two %d\n", x);
    x++;
    return x - 2;
}
EOF2
test_cc -g -O0 -o "$work/lines" "$work/lines.c"
run lines --json lines.json -- ./lines
check "lines: exit 0" [ $rc -eq 0 ]
py "lines: 'one' is output on the step of line 4, 'two 1' on line 6, nothing more at exit" "$work/lines.json" "
outs=[(s['line'], e['text']) for s in t['steps'] for e in s['events'] if e['kind']=='output']
sys.exit(outs!=[(4, 'one\n'), (6, 'two 1\n')])"
run lines_text -- ./lines
check "lines: text output has the lines, no carriage return" eval '[ $rc -eq 0 ] && has lines_text.out "two 1" && ! grep -q $'"'"'\r'"'"' "$work/lines_text.out"'

# ---- a program that forks -------------------------------------------------------------------
cat > "$work/forker.c" <<'EOF2'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int status = 0;
    pid_t pid = fork();
    if (pid == 0) {
        printf("child\n");
        return 3;
    }
    waitpid(pid, &status, 0);
    printf("parent: %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status) + 4;
}
EOF2
test_cc -g -O0 -o "$work/forker" "$work/forker.c"
run forker --json forker.json -- ./forker
check "fork: the trace completes with the parent's exit code 7" eval '[ $rc -eq 0 ] && [ -s "$work/forker.json" ]'
check "fork: the note counts 1 child process and 0 threads" has forker.err "note: the program started 1 child process and 0 threads; only its main thread is traced"
py "fork: exit code 7, the parent's lines are steps, the child's branch is not" "$work/forker.json" "
lines={s['line'] for s in t['steps']}
sys.exit(not (t['exit_code']==7 and {6, 11, 12, 13} <= lines and 8 not in lines and 9 not in lines))"
py "fork: both processes' output is there" "$work/forker.json" "
out=''.join(e.get('text') or '' for s in t['steps'] for e in s['events'] if e['kind']=='output')
sys.exit(not ('child\n' in out and 'parent: 3\n' in out))"
run forker_text -- ./forker
check "fork: text mode prints the note on stdout, exit code 7 in the summary" eval '[ $rc -eq 0 ] && has forker_text.out "started 1 child process and 0 threads" && has forker_text.out "exit code: 7"'

# ---- a program that starts two threads ------------------------------------------------------
cat > "$work/threads.c" <<'EOF2'
#include <pthread.h>
#include <stdio.h>
static int results[2];
static void *work(void *arg) {
    int i = *(int *)arg;
    results[i] = (i + 1) * 10;
    return NULL;
}
int main(void) {
    pthread_t t[2];
    int ids[2] = {0, 1};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, &ids[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("%d %d\n", results[0], results[1]);
    return results[0] + results[1] - 25;
}
EOF2
test_cc -g -O0 -pthread -o "$work/threads" "$work/threads.c"
run threads --json threads.json -- ./threads
check "threads: the trace completes" eval '[ $rc -eq 0 ] && [ -s "$work/threads.json" ]'
check "threads: the note counts 0 child processes and 2 threads" has threads.err "note: the program started 0 child processes and 2 threads; only its main thread is traced"
py "threads: exit code 5, main's steps are there, none in the threads' work()" "$work/threads.json" "
lines={s['line'] for s in t['steps']}
fns={f['function'] for s in t['steps'] for f in s['frames']}
sys.exit(not (t['exit_code']==5 and {11, 13, 15, 16, 17} <= lines and fns=={'main'}))"
py "threads: the output '10 20' on the step of the return line" "$work/threads.json" "
outs=[(s['line'], e['text']) for s in t['steps'] for e in s['events'] if e['kind']=='output']
sys.exit(outs!=[(17, '10 20\n')])"
run threads_text -- ./threads
check "threads: text mode prints the note, exit code 5 in the summary" eval '[ $rc -eq 0 ] && has threads_text.out "started 0 child processes and 2 threads" && has threads_text.out "exit code: 5"'

# ---- --stdin ----------------------------------------------------------------------------------
printf '21\n' > "$work/in.txt"
cat > "$work/twice.c" <<'EOF2'
#include <stdio.h>
int main(void) {
    int n = 0;
    if (scanf("%d", &n) != 1) return 1;
    printf("%d\n", 2 * n);
    return 0;
}
EOF2
test_cc -g -O0 -o "$work/twice" "$work/twice.c"
run twice --stdin in.txt --json twice.json -- ./twice
check "--stdin FILE: the program reads it, exit 0" [ $rc -eq 0 ]
py "--stdin FILE: its output '42' on the step after the printf's line" "$work/twice.json" "
outs=[(s['line'], e['text']) for s in t['steps'] for e in s['events'] if e['kind']=='output']
sys.exit(outs!=[(6, '42\n')])"

# ---- a program found in PATH, as a shell would find it ---------------------------------------
mkdir -p "$work/pathbin"
cp "$work/add" "$work/pathbin/sh_add_in_path"
(cd "$work" && PATH="$work/pathbin:$PATH" "${to[@]}" "$bin" run --json path.json -- sh_add_in_path > path.out 2> path.err); rc=$?
check "PATH: a program named without a slash is found in PATH and traced" eval '[ $rc -eq 0 ] && [ -s "$work/path.json" ]'
run nopath -- sh_no_such_program_here
check "PATH: a name found nowhere is said so" eval '[ $rc -ne 0 ] && has nopath.err "no such program"'

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

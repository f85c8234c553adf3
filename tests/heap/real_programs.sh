#!/usr/bin/env bash
# tests/heap/real_programs.sh LIB — real programs nobody here wrote, run on the stackheap heap.
#
# Each case runs a program twice, once as it is and once with LD_PRELOAD=LIB and
# STACKHEAP_STATS=1, and compares what it printed and how it exited. The preloaded run must
# also mention "stackheap" on stderr (the heap's statistics at exit) and the plain run must
# not, which shows that the library really was the allocator and not silently left out.
#
#     bash tests/heap/real_programs.sh build/libstackheap-malloc.so
#
# Prints "ok NAME", "FAIL NAME" with a diff, or "skip NAME (why)" for a program this machine
# lacks, then the line "N passed, N failed"; exits non-zero if any case failed.
set -u

lib=${1:-}
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
    echo "usage: $0 /path/to/libstackheap-malloc.so (got '${lib}')" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
lib=$(realpath "$lib")
work=$(mktemp -d -t rp.XXXXXX)
trap 'rm -rf "$work"' EXIT

limit=${SH_REAL_TIMEOUT:-300}   # seconds per run: a deadlocked heap fails instead of hanging
passed=0 failed=0 skipped=0

pass() { echo "ok $1"; passed=$((passed + 1)); }
skip() { echo "skip $1 ($2)"; skipped=$((skipped + 1)); }
fail() {
    echo "FAIL $1: $2"
    [ -n "${3:-}" ] && sed 's/^/    /' "$3" | head -60
    failed=$((failed + 1))
}

# run NAME TAG DIR CMD...: runs CMD in DIR, plain (TAG=plain) or on the heap (TAG=heap), with
# stdout, stderr and exit status in $work/NAME.TAG.{out,err,rc}. Both runs set
# STACKHEAP_STATS=1 so that only the library can make the difference on stderr.
run() {
    local name=$1 tag=$2 dir=$3
    shift 3
    local pre=()
    [ "$tag" = heap ] && pre=(LD_PRELOAD="$lib")
    (cd "$dir" && timeout -k 10 "$limit" env "${pre[@]}" STACKHEAP_STATS=1 "$@") \
        >"$work/$name.$tag.out" 2>"$work/$name.$tag.err" </dev/null
    echo $? >"$work/$name.$tag.rc"
}

# check NAME [EXPECTED_RC]: compares the two runs of NAME and reports the case.
check() {
    local name=$1 want_rc=${2:-0} base="$work/$1"
    local rc_plain rc_heap
    rc_plain=$(cat "$base.plain.rc") rc_heap=$(cat "$base.heap.rc")
    if [ "$rc_heap" = 124 ] || [ "$rc_heap" = 137 ]; then
        fail "$name" "timed out after ${limit}s on the stackheap heap (exit $rc_heap)" "$base.heap.err"
    elif [ "$rc_plain" != "$want_rc" ]; then
        fail "$name" "the plain run itself exited $rc_plain (expected $want_rc)" "$base.plain.err"
    elif [ "$rc_heap" != "$rc_plain" ]; then
        fail "$name" "exit status $rc_heap on the stackheap heap, $rc_plain without" "$base.heap.err"
    elif ! diff -u "$base.plain.out" "$base.heap.out" >"$base.diff"; then
        fail "$name" "output differs (- plain, + stackheap)" "$base.diff"
    elif [ ! -s "$base.plain.out" ]; then
        fail "$name" "the program printed nothing, so there was nothing to compare"
    elif ! grep -qi stackheap "$base.heap.err"; then
        fail "$name" "no 'stackheap' on stderr with STACKHEAP_STATS=1: was the library loaded?" \
            "$base.heap.err"
    elif grep -qi stackheap "$base.plain.err"; then
        fail "$name" "'stackheap' shows on stderr even without the library: the load check proves nothing" \
            "$base.plain.err"
    else
        pass "$name"
    fi
}

# both NAME DIR_PLAIN DIR_HEAP CMD...: the two runs, each in its own directory.
both() {
    local name=$1 dplain=$2 dheap=$3
    shift 3
    run "$name" plain "$dplain" "$@"
    run "$name" heap "$dheap" "$@"
}

# ---- the library is loaded at all --------------------------------------------------------
# The statistics are printed by exit(), so each case's outermost process must end with
# exit() and keep stderr open: coreutils close stderr at exit and dash leaves with _exit, so
# those run under bash here (LD_PRELOAD reaches them through the environment all the same).
mkdir -p "$work/ls"
both library_loaded "$work/ls" "$work/ls" bash -c 'ls -la /usr/bin | sort -k9 | wc -l'
check library_loaded

# ---- python3: dicts, lists, strings, json, sort, threads ---------------------------------
if py=$(command -v python3); then
    # A pyenv shim is a shell script: run the interpreter itself, so the case measures Python.
    py=$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$py")
    mkdir -p "$work/py"
    cat >"$work/py/alloc_heavy.py" <<'EOF'
import gc, hashlib, json, random, threading

random.seed(12345)
h = hashlib.sha256()

# Many small objects of many sizes: dict entries, lists of floats, strings.
d = {}
for i in range(150000):
    key = "key-%d-%s" % (random.randrange(10**9), "x" * random.randrange(0, 40))
    d[key] = [random.random() for _ in range(random.randrange(1, 9))]
text = json.dumps(d, sort_keys=True)
back = json.loads(text)
assert back == d
h.update(text.encode())

# Sorting builds and drops big lists; string joins and slicing make big strings.
words = sorted(back, key=lambda w: (len(w), w[::-1]))
h.update("".join(words[::7]).encode())
pairs = sorted(((v[0], k) for k, v in back.items()), reverse=True)
h.update(repr(pairs[:1000]).encode())

# Buffers that grow into the medium and huge tiers, then shrink again.
buf = bytearray()
for i in range(2000):
    buf += bytes([i % 251]) * random.randrange(100, 5000)
h.update(hashlib.sha256(buf).digest())
del buf[len(buf) // 3:]
h.update(bytes(buf[-100:]))

# Reference cycles the collector must free.
class Node:
    def __init__(self, n):
        self.n, self.peer = n, None
nodes = [Node(i) for i in range(100000)]
for a, b in zip(nodes, nodes[1:]):
    a.peer, b.peer = b, a
del nodes
h.update(str(gc.collect() > 0).encode())

# Threads allocate at the same time (the GIL switches between them mid-work).
results = [None] * 4
def work(t):
    r = random.Random(t)
    local = {}
    for i in range(40000):
        local[r.randrange(10**6)] = "v" * r.randrange(1, 200)
    results[t] = sum(len(v) for v in local.values()) + len(local)
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
h.update(repr(results).encode())

print(len(d), len(text), results)
print(h.hexdigest())
EOF
    both python3 "$work/py" "$work/py" "$py" alloc_heavy.py
    check python3
else
    skip python3 "python3 not installed"
fi

# ---- gcc: compile a C program; the program's output and the object code must match --------
if command -v gcc >/dev/null; then
    mkdir -p "$work/gcc.plain" "$work/gcc.heap"
    for d in "$work/gcc.plain" "$work/gcc.heap"; do
        cat >"$d/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item { char name[24]; unsigned long value; };

static int by_value(const void *a, const void *b) {
    const struct item *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value ? 1 : strcmp(x->name, y->name);
}

int main(void) {
    unsigned long seed = 7, sum = 0;
    size_t n = 0, cap = 4;
    struct item *items = malloc(cap * sizeof *items);
    for (int i = 0; i < 100000; i++) {
        if (n == cap) items = realloc(items, (cap *= 2) * sizeof *items);
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        snprintf(items[n].name, sizeof items[n].name, "item%lu", seed >> 44);
        items[n++].value = seed >> 33;
    }
    qsort(items, n, sizeof *items, by_value);
    for (size_t i = 0; i < n; i += 997) sum = sum * 31 + items[i].value + strlen(items[i].name);
    printf("%zu items, first %s, last %s, checksum %lu\n", n, items[0].name, items[n - 1].name, sum);
    free(items);
    return 0;
}
EOF
    done
    # -O2 with -c and -o: the compiler's allocations are under test; the object must not change.
    both gcc_compile "$work/gcc.plain" "$work/gcc.heap" \
        sh -c 'gcc -O2 -Wall -c prog.c -o prog.o && gcc prog.o -o prog && ./prog'
    if [ "$(cat "$work/gcc_compile.heap.rc")" = 0 ] && [ "$(cat "$work/gcc_compile.plain.rc")" = 0 ] &&
       ! cmp -s "$work/gcc.plain/prog.o" "$work/gcc.heap/prog.o"; then
        echo "gcc produced a different object file on the stackheap heap" >>"$work/gcc_compile.heap.out"
    fi
    check gcc_compile
else
    skip gcc_compile "gcc not installed"
fi

# ---- g++: compile a C++ program (new/delete, vector, string, map), then run it on the heap --
if command -v g++ >/dev/null; then
    mkdir -p "$work/cxx.plain" "$work/cxx.heap"
    cat >"$work/cxx.plain/prog.cpp" <<'EOF'
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct Node {
    std::string name;
    std::vector<std::unique_ptr<Node>> kids;
    explicit Node(std::string n) : name(std::move(n)) {}
};

static unsigned long walk(const Node &n) {
    unsigned long s = n.name.size();
    for (auto &k : n.kids) s = s * 3 + walk(*k);
    return s % 1000000007ul;
}

int main() {
    unsigned long seed = 99, sum = 0;
    auto next = [&] { return seed = seed * 6364136223846793005ul + 1442695040888963407ul; };
    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < 60000; i++) {
        std::string k = "k" + std::to_string(next() >> 50);
        m[k].push_back(i);
    }
    for (auto &kv : m) sum = sum * 31 + kv.first.size() + kv.second.size();

    Node root("root");
    std::vector<Node *> all{&root};
    for (int i = 0; i < 50000; i++) {
        Node *parent = all[next() % all.size()];
        parent->kids.push_back(std::make_unique<Node>(std::string(next() % 60, 'n')));
        all.push_back(parent->kids.back().get());
    }
    sum += walk(root);

    int caught = 0;   // exceptions are allocated with malloc too
    for (int i = 0; i < 2000; i++) {
        try { throw std::runtime_error(std::string(100 + i % 50, 'e')); }
        catch (const std::exception &e) { caught += e.what()[0] == 'e'; }
    }

    std::vector<unsigned long> per(4);   // threads allocate and free each other's strings
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([t, &per] {
            std::unordered_map<int, std::string> u;
            unsigned long s = t + 1;
            for (int i = 0; i < 100000; i++) {
                s = s * 2862933555777941757ul + 3037000493ul;
                u[int(s >> 48)] = std::string(s % 300, 'a' + t);
                if (i % 3 == 0) u.erase(int((s >> 20) & 0xffff));
            }
            for (auto &kv : u) per[t] += kv.second.size();
        });
    for (auto &t : ts) t.join();

    std::printf("%zu keys, checksum %lu, caught %d, threads %lu %lu %lu %lu\n", m.size(), sum,
                caught, per[0], per[1], per[2], per[3]);
}
EOF
    cp "$work/cxx.plain/prog.cpp" "$work/cxx.heap/prog.cpp"
    # The compiler on the heap (cc1plus is allocation-heavy): the executable must come out
    # byte for byte the same, so its checksum is the output compared.
    both cxx_compile "$work/cxx.plain" "$work/cxx.heap" \
        bash -c 'g++ -O1 -std=c++17 -pthread prog.cpp -o prog && md5sum prog'
    check cxx_compile
    # Then the program itself, the same executable on either heap.
    if [ -x "$work/cxx.plain/prog" ]; then
        both cxx_program "$work/cxx.plain" "$work/cxx.plain" ./prog
        check cxx_program
    else
        skip cxx_program "g++ could not build it"
    fi
else
    skip cxx_compile "g++ not installed"
    skip cxx_program "g++ not installed"
fi

# ---- sqlite3: 100k rows from a recursive CTE, an index, aggregates ------------------------
if command -v sqlite3 >/dev/null; then
    mkdir -p "$work/sql.plain" "$work/sql.heap"
    cat >"$work/work.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
INSERT INTO t(grp, name, val)
SELECT (i * 7919) % 97, printf('name-%d-%s', i, substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26)),
       (i * 104729 % 1000003) / 7.0
FROM c;
CREATE INDEX t_grp ON t(grp, val);
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(length(name)), printf('%.3f', sum(val)) FROM t;
SELECT grp, count(*), printf('%.3f', avg(val)), min(name), max(name)
FROM t GROUP BY grp ORDER BY grp LIMIT 20;
SELECT name FROM t WHERE name LIKE 'name-99%' ORDER BY val DESC LIMIT 5;
SELECT group_concat(id, ',') FROM (SELECT id FROM t WHERE grp = 3 ORDER BY val LIMIT 30);
UPDATE t SET name = name || name WHERE id % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
VACUUM;
SELECT count(*), sum(length(name)) FROM t;
PRAGMA integrity_check;
EOF
    both sqlite3 "$work/sql.plain" "$work/sql.heap" sh -c "sqlite3 db.sqlite < '$work/work.sql'"
    check sqlite3
else
    skip sqlite3 "sqlite3 not installed"
fi

# ---- git: a repository with history, fsck and gc; dates and names fixed, so hashes match --
if command -v git >/dev/null; then
    mkdir -p "$work/git.plain" "$work/git.heap"
    cat >"$work/git.sh" <<'EOF'
set -e
export HOME="$PWD/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=t@example.invalid
mkdir -p home repo && cd repo
git init -q -b main .
for round in 1 2 3 4 5; do
    export GIT_AUTHOR_DATE="2024-01-0$round 12:00:00 +0000" GIT_COMMITTER_DATE="2024-01-0$round 12:00:00 +0000"
    for f in 1 2 3 4 5 6 7 8; do
        seq $((round * f * 100)) | sed "s/^/line $f $round /" >"file$f.txt"
    done
    mkdir -p "dir$round" && seq 5000 | sort -r >"dir$round/data.txt"
    git add -A
    git commit -q -m "round $round"
done
git log --format='%H %an %ad %s' --date=iso
git log -p --stat HEAD~2..HEAD | md5sum
git diff --stat HEAD~4 HEAD
git -c pack.threads=2 gc -q --aggressive
git count-objects -v | grep -v -e size-pack -e size-garbage
git fsck --full --strict
git rev-list --objects --all | sort | md5sum
EOF
    both git "$work/git.plain" "$work/git.heap" bash "$work/git.sh"
    check git
else
    skip git "git not installed"
fi

# ---- coreutils sort: several threads sorting through temporary files --------------------
if command -v sort >/dev/null && sort --parallel=2 </dev/null >/dev/null 2>&1; then
    mkdir -p "$work/sort"
    awk 'BEGIN { s = 1; for (i = 0; i < 300000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
                 printf "%d key%d %s\n", i, s % 100000, substr("abcdefghij", 1 + s % 10) } }' \
        >"$work/sort/in.txt"
    both sort_parallel "$work/sort" "$work/sort" \
        bash -c 'sort --parallel=2 -S 4M -T . -k2,2 -k1,1n in.txt | md5sum; sort -u -k3,3 in.txt | wc -l'
    check sort_parallel
else
    skip sort_parallel "sort with --parallel not available"
fi

[ "$skipped" -gt 0 ] && echo "$skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env python3
"""tests/cli/whose_facts.py — whose blocks (docs/trace-json.md, "Heap block"): blocks a
library allocates for a user line are the program's once something of its reaches them,
the runtime's own stay hidden and cost nothing. Read from `stackheap run --json` and the
text view of:

- whose.c: strdup, strndup, asprintf, getline (grown by a second, longer line),
  open_memstream, realpath: each block drawn from the step after its line, with that line,
  typed as text through the char * that holds it, its text right; the leaks at exit are the
  four valgrind finds (valgrind run when present, else its count for this program, 4);
- whose_returned.c: blocks strdup and strndup return to a line that keeps nothing
  (`strlen(strdup(s))`, a callee's argument): drawn, and valgrind's 3 leaks;
- whose_calls.c: strdup from a thread, from qsort's comparator (each call) and from a
  function a longjmp leaves: all drawn, valgrind's 2 leaks;
- whose_stdio.c: printf, fprintf(stderr), puts: no stdio buffer in any step, in the JSON or
  the text view, only the program's own block;
- whose_uselib.c + whose_lib.c: a block a -g shared library of the user's allocates and
  returns, the caller's (its line, its struct, its leak; valgrind's count);
- whose_read.rs (stdin from the test): read_line's String, lines()'s Strings and
  read_to_end's Vec drawn with their blocks, not stale, with their text; no leak;
- whose_panic.rs under RUST_BACKTRACE=1: no more blocks than the program's two, no leaks,
  the unwinding drop of the panicking function's Vec narrated, and the program's output
  (the backtrace on stderr) the same as when it runs alone;
- whose_thread.rs under RUST_BACKTRACE=1: a spawned thread's panic leaves a handful of
  blocks and no leaks (the backtrace's blocks are std's).

Run by test_whose.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: whose_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check, finish, find_var as var, find_block as block, load_trace  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
HERE = os.path.join(SRC, "tests", "cli")
TIMEOUT = 120


def source_line(path, needle):
    lines = open(path).read().splitlines()
    return next(i + 1 for i, l in enumerate(lines) if needle in l)


def trace(prog, name, stdin=None, env=None, view=True):
    """The JSON trace and (with view) the text view of one run; None, None if stackheap
    failed."""
    out = os.path.join(WORK, name + ".json")
    args = [BIN, "run", "--json", out]
    if stdin:
        args += ["--stdin", stdin]
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(args + ["--", prog], capture_output=True, env=e, timeout=TIMEOUT)
    if r.returncode != 0 or not os.path.exists(out):
        print(r.stderr.decode(errors="replace")[-400:])
        return None, None
    if not view:
        return load_trace(out), ""
    args = [BIN, "run"] + (["--stdin", stdin] if stdin else []) + ["--", prog]
    text = subprocess.run(args, capture_output=True, env=e, timeout=TIMEOUT).stdout.decode()
    return load_trace(out), text


def step_after(t, line):
    """The first step past `line` (the line has run)."""
    seen = False
    for s in t["steps"]:
        if seen and s["line"] != line:
            return s
        seen = seen or s["line"] == line
    return None






def target(step, name):
    v = var(step, name)
    return block(step, v["value"].get("block")) if v else None


def text_of(b):
    """A char block's text up to its NUL, from its decoded elements."""
    if not b or not b.get("value") or b["value"].get("kind") != "array":
        return None
    chars = []
    for e in b["value"].get("elements", []):
        if e.get("kind") != "char" or e.get("value") == 0:
            break
        chars.append(chr(e["value"]))
    return "".join(chars)


def valgrind_lost(prog, default):
    """valgrind's count of definitely lost blocks, else the count it gave when checked."""
    if not shutil.which("valgrind"):
        return default
    r = subprocess.run(["valgrind", "--leak-check=full", prog], capture_output=True,
                       timeout=TIMEOUT)
    m = re.search(r"definitely lost: [\d,]+ bytes in ([\d,]+) blocks", r.stderr.decode())
    return int(m.group(1).replace(",", "")) if m else 0


def ids_ever(t):
    return {b["id"] for s in t["steps"] for b in s["heap"]}


# ---- C: libc's blocks for the program ------------------------------------------------------

c_src = os.path.join(HERE, "whose.c")
c_prog = os.path.join(WORK, "whose")
subprocess.run(["cc", "-g", "-O0", "-o", c_prog, c_src], check=True)
t, text = trace(c_prog, "whose")
check("c: traced", t is not None)
if t:
    cases = [("strdup", "name", "strdup(", "alice"),
             ("strndup", "part", "strndup(", "bob"),
             ("asprintf", "msg", "asprintf(", "alice has 42"),
             ("realpath", "where", "realpath(", "/tmp")]
    for what, name, needle, want in cases:
        ln = source_line(c_src, needle)
        s = step_after(t, ln)
        b = target(s, name) if s else None
        check(f"c: {what}'s block is drawn at the step after line {ln}, {name} pointing to it",
              b is not None, s and var(s, name))
        if not b:
            continue
        check(f"c: {what}'s block was allocated at line {ln}", b.get("alloc_line") == ln,
              b.get("alloc_line"))
        check(f"c: {what}'s block is typed as text by the char * ({b.get('type')})",
              (b.get("type") or "").startswith("char"), b.get("type"))
        check(f"c: {what}'s block holds {want!r}", text_of(b) == want, text_of(b))
        ev = [e for e in s["events"] if e["kind"] == "alloc" and e.get("block_id") == b["id"]]
        check(f"c: {what}'s allocation is an event of that step", len(ev) == 1, s["events"])

    first = source_line(c_src, "ssize_t got = getline(")
    s1 = step_after(t, first)
    b1 = target(s1, "line") if s1 else None
    check("c: getline's buffer is drawn after the first getline, line pointing to it",
          b1 is not None)
    check("c: getline's buffer holds the first line", text_of(b1) == "short\n", text_of(b1))
    check("c: getline's buffer was allocated at the getline line",
          b1 is not None and b1.get("alloc_line") == first)
    s2 = step_after(t, first + 1)
    b2 = target(s2, "line") if s2 else None
    check("c: the second getline grows the same block (same number, bigger)",
          b1 is not None and b2 is not None and b2["id"] == b1["id"] and b2["size"] > b1["size"],
          (b1 and b1["size"], b2 and b2["size"]))
    check("c: the growth is told as a realloc of that block",
          b2 is not None and any(e["kind"] == "realloc" and e.get("block_id") == b2["id"]
                                 for e in s2["events"]))
    # (a long array is cut after its first elements: the start tells)
    check("c: the grown buffer holds the long line",
          (text_of(b2) or "").startswith("a much longer li"), text_of(b2))

    ms = source_line(c_src, "FILE *mem = open_memstream(")
    close = source_line(c_src, "fclose(mem);")
    s = step_after(t, close)
    b = target(s, "text") if s else None
    check("c: open_memstream's buffer is drawn once fclose hands it to text",
          b is not None and text_of(b) == "memstream 12", text_of(b))
    check("c: open_memstream's buffer is the open_memstream line's", b is not None and
          b.get("alloc_line") == ms, b and b.get("alloc_line"))
    before = step_after(t, close - 1)
    check("c: before fclose the memstream buffer is not drawn (nothing of the program's "
          "reaches it yet)", before is not None and target(before, "text") is None)

    big = [b["size"] for s in t["steps"] for b in s["heap"] if b["size"] >= 1024]
    check("c: no stdio buffer is drawn (no block of 1 KiB or more)", not big, big)
    fm = source_line(c_src, "FILE *words = fmemopen(")
    s = step_after(t, fm)
    fb = target(s, "words") if s else None
    check("c: the FILE fmemopen returns is the program's (words reaches it)",
          fb is not None and fb.get("alloc_line") == fm)
    check("c: the FILE's own cookie and buffer are not (one block for the FILE's line)",
          s is not None and sum(b.get("alloc_line") == fm for b in s["heap"]) == 1,
          s and [(b["size"], b.get("alloc_line")) for b in s["heap"]])

    dangling = [(s["index"], b["id"], p["block"]) for s in t["steps"] for b in s["heap"]
                for p in b["pointers"] if p["block"] not in {x["id"] for x in s["heap"]}]
    check("c: every pointer between blocks names a block of its step (none to libc's)",
          not dangling, dangling[:5])
    lost = valgrind_lost(c_prog, 4)
    check(f"c: leaks at exit: {len(t['leaks'])}, valgrind's definitely lost: {lost}",
          len(t["leaks"]) == lost, t["leaks"])
    want = {source_line(c_src, n) for n in ("strdup(", "asprintf(", "ssize_t got = getline(",
                                             "open_memstream(")}
    got = {int(m.group(1)) for m in (re.search(r":(\d+)$", l) for l in t["leaks"]) if m}
    check("c: the leaks are strdup's, asprintf's, getline's and open_memstream's",
          got == want, (sorted(got), sorted(want)))
    check("c: the text view lists 4 leaks", "leaks: 4 blocks never freed" in text)

# ---- C: what a libc call returns is the program's, kept or not ---------------------------

rt_src = os.path.join(HERE, "whose_returned.c")
rt_prog = os.path.join(WORK, "whose_returned")
subprocess.run(["cc", "-g", "-O0", "-o", rt_prog, rt_src], check=True)
t, text = trace(rt_prog, "whose_returned", view=False)
check("returned: traced", t is not None)
if t:
    for needle, size in (('strlen(strdup("lost"))', 5), ('puts(strdup("also lost"))', 10),
                         ('strndup("gone too", 4)', 5)):
        ln = source_line(rt_src, needle)
        s = step_after(t, ln)
        got = [b for b in (s["heap"] if s else []) if b.get("alloc_line") == ln]
        check(f"returned: {needle}'s block is drawn after its line ({size} bytes)",
              len(got) == 1 and got[0]["size"] == size, s and s["heap"])
    lost = valgrind_lost(rt_prog, 3)
    check(f"returned: leaks at exit: {len(t['leaks'])}, valgrind's definitely lost: {lost}",
          len(t["leaks"]) == lost, t["leaks"])
    check("returned: no stdio buffer (puts's and printf's results are not blocks)",
          all(b["size"] < 1024 for s in t["steps"] for b in s["heap"]))

# ---- C: a thread's, a callback's and a longjmp'd function's strdup ---------------------

cl_src = os.path.join(HERE, "whose_calls.c")
cl_prog = os.path.join(WORK, "whose_calls")
subprocess.run(["cc", "-g", "-O0", "-pthread", "-o", cl_prog, cl_src], check=True)
t, text = trace(cl_prog, "whose_calls", view=False)
check("calls: traced", t is not None)
if t:
    evs = [e for s in t["steps"] for e in s["events"]]
    ids = {}
    for s in t["steps"]:
        for b in s["heap"]:
            ids[b["id"]] = b.get("alloc_line")
    cmp_ln = source_line(cl_src, 'strdup("cmp")')
    ncalls = sum(1 for e in evs if e["kind"] == "call" and e.get("function") == "cmp")
    check(f"calls: each of the comparator's {ncalls} calls makes a block of its line, freed",
          ncalls >= 5 and sum(1 for l in ids.values() if l == cmp_ln) == ncalls and
          sum(1 for e in evs if e["kind"] == "free" and ids.get(e.get("block_id")) == cmp_ln)
          == ncalls, sorted(ids.items()))
    th_ln = source_line(cl_src, "strdup((const char *)arg)")
    check("calls: the thread's copy is drawn once joined, with the thread's line",
          th_ln in ids.values(), sorted(ids.items()))
    jl = source_line(cl_src, 'strdup("before jump")')
    check("calls: the copy made before the longjmp is drawn", jl in ids.values())
    lost = valgrind_lost(cl_prog, 2)
    check(f"calls: leaks at exit: {len(t['leaks'])}, valgrind's definitely lost: {lost}",
          len(t["leaks"]) == lost, t["leaks"])

# ---- C: stdio's buffers stay libc's --------------------------------------------------------

io_src = os.path.join(HERE, "whose_stdio.c")
io_prog = os.path.join(WORK, "whose_stdio")
subprocess.run(["cc", "-g", "-O0", "-o", io_prog, io_src], check=True)
t, text = trace(io_prog, "whose_stdio")
check("stdio: traced", t is not None)
if t:
    check("stdio: one block in the whole trace, the program's malloc", ids_ever(t) == {1},
          ids_ever(t))
    ml = source_line(io_src, "malloc(")
    check("stdio: that block is the malloc line's",
          all(b.get("alloc_line") == ml for s in t["steps"] for b in s["heap"]))
    shown = set(re.findall(r"#(\d+) at 0x", text))
    check("stdio: the text view draws block #1 only", shown == {"1"}, shown)
    check("stdio: no leaks", not t["leaks"] and "leaks: none" in text, t["leaks"])
    out = "".join(e["text"] for s in t["steps"] for e in s["events"] if e["kind"] == "output")
    check("stdio: the output is all there", "square 3 = 9" in out and "note 3" in out and
          "done" in out)

# ---- C: a shared library of the user's ------------------------------------------------------

lib = os.path.join(WORK, "libwhose.so")
use_src = os.path.join(HERE, "whose_uselib.c")
use_prog = os.path.join(WORK, "whose_uselib")
subprocess.run(["cc", "-g", "-O0", "-shared", "-fPIC", "-o", lib,
                os.path.join(HERE, "whose_lib.c")], check=True)
subprocess.run(["cc", "-g", "-O0", "-o", use_prog, use_src, "-L" + WORK, "-lwhose",
                "-Wl,-rpath," + WORK], check=True)
t, text = trace(use_prog, "whose_uselib")
check("lib: traced", t is not None)
if t:
    ln = source_line(use_src, "make_pair(3, 4)")
    s = step_after(t, ln)
    b = target(s, "p") if s else None
    check("lib: make_pair's block is drawn, p pointing to it", b is not None)
    check("lib: its line is the caller's", b is not None and b.get("alloc_line") == ln)
    check("lib: it is a struct pair {a: 3, b: 4}", b is not None and
          b.get("type") == "struct pair" and (b.get("value") or {}).get("text") == "{a: 3, b: 4}",
          b and (b.get("type"), b.get("value")))
    lost = valgrind_lost(use_prog, 1)
    check(f"lib: leaks at exit: {len(t['leaks'])}, valgrind's definitely lost: {lost}",
          len(t["leaks"]) == lost, t["leaks"])

# ---- Rust -----------------------------------------------------------------------------------

if not RUSTC:
    print("skip: no rustc for the Rust facts")
    finish()

rs_src = os.path.join(HERE, "whose_read.rs")
rs_prog = os.path.join(WORK, "whose_read")
subprocess.run([RUSTC, "-g", "-o", rs_prog, rs_src], check=True, capture_output=True)
feed = os.path.join(WORK, "feed.txt")
with open(feed, "w") as f:
    f.write("alice\nbob\ncarol\nthe rest\n")
t, text = trace(rs_prog, "whose_read", stdin=feed)
check("rust read: traced", t is not None)
if t:
    rl = source_line(rs_src, "read_line(&mut line)")
    s = step_after(t, rl)
    v = var(s, "line") if s else None
    b = target(s, "line") if s else None
    check("rust read: read_line's String has its block", b is not None, v)
    check("rust read: the String is not stale", v is not None and
          not v["value"].get("stale"), v)
    check("rust read: the block is the read_line line's", b is not None and
          b.get("alloc_line") == rl, b and b.get("alloc_line"))
    check("rust read: len 6 of 'alice\\n'", v is not None and v["value"].get("len") == 6)
    lines_ln = source_line(rs_src, ".lines()")
    s = step_after(t, lines_ln)
    w = target(s, "words") if s else None
    inner = [block(s, p["block"]) for p in (w or {}).get("pointers", [])] if w else []
    check("rust read: both Strings of lines() are drawn, reached from the Vec's block",
          len([x for x in inner if x]) == 2, w and w.get("pointers"))
    rt = source_line(rs_src, "read_to_end(&mut rest)")
    s = step_after(t, rt)
    v = var(s, "rest") if s else None
    check("rust read: read_to_end's Vec has its block, not stale",
          target(s, "rest") is not None and not v["value"].get("stale"), v)
    stale = [(st["index"], x["name"]) for st in t["steps"] for f in st["frames"]
             for x in f["vars"] if x["value"].get("stale")]
    check("rust read: no handle is ever drawn stale", not stale, stale)
    check("rust read: no leaks", not t["leaks"], t["leaks"])
    check("rust read: stdin's buffer is not drawn (no 8 KiB block)",
          all(b["size"] < 1024 for st in t["steps"] for b in st["heap"]))

pn_src = os.path.join(HERE, "whose_panic.rs")
pn_prog = os.path.join(WORK, "whose_panic")
subprocess.run([RUSTC, "-g", "-o", pn_prog, pn_src], check=True, capture_output=True)
t, text = trace(pn_prog, "whose_panic", env={"RUST_BACKTRACE": "1"}, view=False)
check("rust panic: traced with RUST_BACKTRACE=1", t is not None)
if t:
    check("rust panic: exit code 101", t["exit_code"] == 101, t["exit_code"])
    ids = ids_ever(t)
    check(f"rust panic: the program's 2 blocks only ({len(ids)} in the trace)", len(ids) == 2,
          sorted(ids)[:10])
    check("rust panic: no leaks", not t["leaks"], t["leaks"][:5])
    evs = [e for s in t["steps"] for e in s["events"]]
    drops = [e["function"] for e in evs if e["kind"] == "drop"]
    check("rust panic: the unwinding drops scores, then name", drops == ["scores", "name"], drops)
    untold = [(s["title"], e["function"]) for s in t["steps"] for e in s["events"]
              if e["kind"] == "drop" and f"drop({e['function']})" not in s["title"]]
    check("rust panic: every drop is named in its step's title (rustc 1.63: the pop's step, "
          "\"panic: popped pick(); drop(scores)\")", not untold, untold)
    vl = source_line(pn_src, "vec![10, 20, 30]")
    freed = [e["block_id"] for e in evs if e["kind"] == "free"]
    allocs = {e["block_id"]: e for e in evs if e["kind"] == "alloc"}
    check("rust panic: both blocks freed, no other free told", sorted(freed) == sorted(allocs),
          (freed, list(allocs)))
    check("rust panic: the Vec's block is the vec! line's",
          any(b.get("alloc_line") == vl for s in t["steps"] for b in s["heap"]))
    out = "".join(e["text"] for e in evs if e["kind"] == "output")
    alone = subprocess.run([pn_prog], capture_output=True, env=dict(os.environ, RUST_BACKTRACE="1"),
                           timeout=TIMEOUT)
    norm = lambda s: re.sub(r"thread 'main' \(\d+\)", "thread 'main' (N)", s).strip()
    check("rust panic: a backtrace is printed", "stack backtrace:" in out, out[:200])
    check("rust panic: the output is the program's own run's (backtrace included)",
          norm(out) == norm(alone.stdout.decode() + alone.stderr.decode()),
          (out[:300], alone.stderr.decode()[:300]))
    check("rust panic: the JSON stays small (under 100 KB)",
          os.path.getsize(os.path.join(WORK, "whose_panic.json")) < 100_000,
          os.path.getsize(os.path.join(WORK, "whose_panic.json")))

th_src = os.path.join(HERE, "whose_thread.rs")
th_prog = os.path.join(WORK, "whose_thread")
subprocess.run([RUSTC, "-g", "-o", th_prog, th_src], check=True, capture_output=True)
t, text = trace(th_prog, "whose_thread", env={"RUST_BACKTRACE": "1"}, view=False)
check("thread panic: traced with RUST_BACKTRACE=1", t is not None)
if t:
    ids = ids_ever(t)
    check(f"thread panic: a handful of blocks, the program's ({len(ids)} in the trace)",
          len(ids) <= 6, sorted(ids)[:10])
    check("thread panic: no leaks", not t["leaks"], t["leaks"][:5])
    out = "".join(e["text"] for s in t["steps"] for e in s["events"] if e["kind"] == "output")
    check("thread panic: the thread's backtrace is printed and main goes on",
          "stack backtrace:" in out and "true" in out, out[-200:])

finish()

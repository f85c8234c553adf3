#!/usr/bin/env python3
"""tests/cli/statics_facts.py — the Static/Global region of tests/cli/statics.c, from
`stackheap run --json` (and its other outputs): globals, a file static struct, a function's
static counter after each call, a const local array gcc put in .rodata (never in a frame),
and `char *s = "hi"` pointing at the literal in the region; the same in the text view's
Static/Global box and in the Python Tutor export's globals; and, when rustc is here, the
statics of tests/cli/statics.rs (a `static mut` counter). Values at the last line are
compared with gdb's when it is installed (else with GDB_SAID, what gdb 13 printed). Run by
test_statics.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: statics_facts.py STACKHEAP_BIN PROGRAM_C WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check, finish, load_trace  # noqa: E402

BIN, PROGRAM, WORK = sys.argv[1:4]
LAST_LINE = 26   # the printf: everything is set

# gdb -batch at LAST_LINE: print total, squares, origin, next_ticket::count, primes, s, p
GDB_SAID = {"total": "3", "squares": "{0, 1, 4, 11}", "origin": "{x = 1, y = 3}",
            "next_ticket::count": "2",
            "primes": "{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59}",
            "s": '0x555555556020 "hi"', "p": "(int *) 0x555555558038 <squares+8>"}


def run_gdb(exe):
    cmds = ["-ex", f"break statics.c:{LAST_LINE}", "-ex", "run"]
    for k in GDB_SAID:
        cmds += ["-ex", f"print {k}"]
    r = subprocess.run(["gdb", "-nx", "-batch", *cmds, exe], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, DEBUGINFOD_URLS=""))
    said = re.findall(r"^\$\d+ = (.*)$", r.stdout, re.M)
    return dict(zip(GDB_SAID, said))


def ints(text):
    return [int(x) for x in re.findall(r"-?\d+", text)]


def plain(v):
    if v["kind"] in ("int", "uint"):
        return v["value"]
    if v["kind"] == "array":
        return [plain(e) for e in v["elements"]]
    if v["kind"] == "struct":
        return {f["name"]: plain(f["value"]) for f in v["fields"]}
    return v.get("text")


def main():
    exe = os.path.join(WORK, "statics")
    subprocess.run(["cc", "-g", "-O0", "-o", exe, PROGRAM], check=True)
    tj = os.path.join(WORK, "t.json")
    subprocess.run([BIN, "run", "--json", tj, "--", exe], capture_output=True, check=True)
    text = subprocess.run([BIN, "run", "--", exe], capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="120", LANG="C")).stdout
    t = load_trace(tj)
    steps = t["steps"]
    if shutil.which("gdb") and not os.environ.get("SH_TEST_NO_GDB"):
        gdb = run_gdb(exe)
        check("gdb answered every question", len(gdb) == len(GDB_SAID), gdb)
        print("note: the facts are compared with gdb's own output")
    else:
        gdb = GDB_SAID
        print("note: no gdb: the facts are compared with what gdb 13 printed")

    def statics(s):
        return {(v["function"], v["name"]): v for v in s.get("statics", [])}

    first = statics(steps[0])
    check("JSON: every step has a statics region", all("statics" in s for s in steps))
    check("JSON: globals, the file static, the function static and the .rodata array are in it",
          all(k in first for k in [(None, "total"), (None, "squares"), (None, "origin"),
                                   ("main", "primes"), ("next_ticket", "count")]),
          sorted(map(str, first)))
    if ("next_ticket", "count") not in first:
        check("the region holds next_ticket's count", False)
        finish(" (the rest needs the region)")
    check("JSON: their values before main's first line: 5, {0, 1, 4, 9}, {1, 2}, count 0",
          first.get((None, "total"), {}).get("value", {}).get("value") == 5 and
          plain(first[(None, "squares")]["value"]) == [0, 1, 4, 9] and
          plain(first[(None, "origin")]["value"]) == {"x": 1, "y": 2} and
          plain(first[("next_ticket", "count")]["value"]) == 0)
    in_frames = [(s["index"], f["function"], v["name"]) for s in steps for f in s["frames"]
                 for v in f["vars"] if v["name"] in ("primes", "count")]
    check("JSON: the static counter and the .rodata array are in no frame", not in_frames,
          in_frames[:3])

    # the counter after each call: the step after each return of next_ticket
    after = [plain(statics(s)[("next_ticket", "count")]["value"]) for s in steps
             if any(e["kind"] == "return" and e.get("function") == "next_ticket"
                    for e in s["events"])]
    check("JSON: the static counter is 1 after the first call, 2 after the second",
          after == [1, 2], after)
    counts = [plain(statics(s)[("next_ticket", "count")]["value"]) for s in steps
              if ("next_ticket", "count") in statics(s)]
    check("JSON: the counter only goes up, 0 to 2", counts == sorted(counts) and
          counts[0] == 0 and counts[-1] == 2, counts)
    marked = [s["index"] for s in steps if ("next_ticket", "count") in statics(s) and
              statics(s)[("next_ticket", "count")]["changed"]]
    changes = [s["index"] for i, s in enumerate(steps) if i and
               ("next_ticket", "count") in statics(s) and
               plain(statics(s)[("next_ticket", "count")]["value"]) !=
               plain(statics(steps[i - 1])[("next_ticket", "count")]["value"])]
    check("JSON: the counter is marked changed exactly where it changed", marked == changes
          and len(changes) == 2, (marked, changes))

    last = [s for s in steps if s["line"] == LAST_LINE and s["frames"]][0]
    L = statics(last)
    check("gdb: total at the printf", str(plain(L[(None, "total")]["value"])) == gdb["total"],
          (plain(L[(None, "total")]["value"]), gdb["total"]))
    check("gdb: squares at the printf", plain(L[(None, "squares")]["value"]) == ints(gdb["squares"]))
    check("gdb: origin at the printf",
          list(plain(L[(None, "origin")]["value"]).values()) == ints(gdb["origin"]))
    check("gdb: next_ticket's count at the printf",
          str(plain(L[("next_ticket", "count")]["value"])) == gdb["next_ticket::count"])
    pr = L[("main", "primes")]
    check("gdb: primes (const, in .rodata) at the printf, 16 shown and 1 left out",
          plain(pr["value"]) + [59] == ints(gdb["primes"]) and pr["value"]["truncated"] == 1)
    check("JSON: addresses of the region are gdb's (origin, squares)",
          int(L[(None, "squares")]["addr"], 16) + 8 == int(gdb["p"].split()[2], 16))

    main_vars = {v["name"]: v for v in last["frames"][0]["vars"]}
    sv = main_vars["s"]["value"]
    lit = last["statics"][sv["static"]] if sv.get("static") is not None else {}
    check('JSON: s points at the literal "hi" in the static region',
          lit.get("literal") is True and lit.get("name") == '"hi"' and
          int(lit.get("addr", "0"), 16) == int(sv["addr"], 16) and
          int(sv["addr"], 16) == int(gdb["s"].split()[0], 16), (sv, lit))
    pv = main_vars["p"]["value"]
    tgt = last["statics"][pv["static"]] if pv.get("static") is not None else {}
    check("JSON: p = &squares[2] points into squares in the static region",
          tgt.get("name") == "squares" and pv.get("block") is None, pv)
    check("JSON: total is marked changed at the step after `total = a + b`",
          [s["line"] for s in steps if (None, "total") in statics(s) and
           statics(s)[(None, "total")]["changed"]] == [24])

    # the text view: a Static/Global box below Stack | Heap
    blocks = re.split(r"^Step \d+: ", text, flags=re.M)
    tb = blocks[last["index"] + 1] if last["index"] + 1 < len(blocks) else ""
    stack_part, _, region = tb.partition("Static/Global")
    check("text: a Static/Global box after Stack | Heap", region and "Stack" in stack_part
          and "Heap" in stack_part, tb[:300])
    rows = [r.strip(" |*") for r in region.splitlines()]
    check("text: total, squares and origin in it, as C writes them",
          "total : int (4 bytes) = 3" in rows and "squares : int[4] (16 bytes) = {0, 1, 4, 11}" in rows
          and "origin : struct point (8 bytes) = {x: 1, y: 3}" in rows, rows)
    i = rows.index("in next_ticket()") if "in next_ticket()" in rows else -1
    check("text: next_ticket's count = 2 under `in next_ticket()`",
          i >= 0 and rows[i + 1] == "count : int (4 bytes) = 2", rows)
    check("text: primes under `in main()`, not in main's frame",
          "in main()" in rows and any(r.startswith("primes : const int[17]") for r in rows)
          and "primes" not in stack_part, rows)
    check('text: the literal "hi" in it, read-only', '"hi" : char[3] (3 bytes) read-only' in rows,
          rows)
    check("text: p = &squares[2] (a pointer into the region, by name)",
          "p : int * (8 bytes) = &squares[2]" in [r.strip(" |*") for r in stack_part.splitlines()])

    # the Python Tutor export: the region in globals / ordered_globals, as the C backend has them
    pj = os.path.join(WORK, "p.json")
    subprocess.run([BIN, "run", "--pytutor", pj, "--", exe], capture_output=True, check=True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pytutor_check as pc
    try:
        doc = pc.validate(pc.load(pj))
        err = None
    except AssertionError as e:
        doc, err = None, e
    check("pytutor: the export holds to the C backend's encoding (globals too)", doc, err)
    if doc:
        tr = doc["trace"]
        e = tr[last["index"]]
        check("pytutor: ordered_globals in declaration order, a function's static as gdb names it",
              e["ordered_globals"] == ["total", "squares", "origin", "main::primes",
                                       "next_ticket::count", '"hi"'], e["ordered_globals"])
        g = e["globals"]
        check("pytutor: total 3, squares {0, 1, 4, 11}, origin.y 3 at the printf",
              g["total"][3] == 3 and [x[3] for x in g["squares"][2:]] == [0, 1, 4, 11] and
              pc.field(g["origin"], "y")[3] == 3, g)
        counts = [x["globals"]["next_ticket::count"][3] for x in tr]
        check("pytutor: the counter per entry is the JSON's", counts ==
              [plain(statics(s)[("next_ticket", "count")]["value"]) for s in steps], counts)
        check('pytutor: s points at the literal "hi", a char array in globals',
              pc.local(e, "s")[3] == g['"hi"'][1] and
              [x[3] for x in g['"hi"'][2:]] == ["h", "i", "\\0"], (pc.local(e, "s"), g.get('"hi"')))
        check("pytutor: p points at squares[2]", pc.local(e, "p")[3] == g["squares"][4][1])

    rust_facts()
    finish()


def rust_facts():
    """Rust's statics, when rustc is here: COUNTER after each call of bump, LIMITS."""
    rustc = RUSTC or os.path.expanduser("~/.cargo/bin/rustc")
    if not os.path.exists(rustc):
        print("note: no rustc: Rust's statics are not checked")
        return
    exe = os.path.join(WORK, "statics_rs")
    subprocess.run([rustc, "-g", "-o", exe, os.path.abspath(PROGRAM[:-2] + ".rs")], check=True,
                   capture_output=True)
    tj = os.path.join(WORK, "rs.json")
    subprocess.run([BIN, "run", "--json", tj, "--", exe], capture_output=True, check=True)
    steps = load_trace(tj)["steps"]
    names = [v["name"] for v in steps[0]["statics"]]
    check("Rust: LIMITS, COUNTER and GREETING are in the static region",
          all(n in names for n in ("LIMITS", "COUNTER", "GREETING")), names)
    if "COUNTER" not in names:
        return
    val = lambda s, n: next(v for v in s["statics"] if v["name"] == n)["value"]
    after = [val(s, "COUNTER")["value"] for s in steps
             if any(e["kind"] == "return" and e.get("function") == "bump" for e in s["events"])]
    check("Rust: COUNTER is 1 after the first bump(), 2 after the second", after == [1, 2], after)
    check("Rust: LIMITS is [1, 2, 3], GREETING \"hello\"",
          val(steps[0], "LIMITS")["text"] == "[1, 2, 3]" and
          val(steps[0], "GREETING")["text"] == '"hello"',
          (val(steps[0], "LIMITS")["text"], val(steps[0], "GREETING")["text"]))


if __name__ == "__main__":
    main()

"""tests/matrix/cpp_builds_facts.py — the lesson's examples/heap_types.cpp in the C++ builds
tests/matrix/cpp_builds.sh does not cover with the tests/cpp suites:

- optimised (g++ -Og, g++ -O2, clang++ -Og, clang++ -O2): every step at a line of
  heap_types.cpp, never at a line of a libstdc++ header inlined into main; every value shown
  true (name "Hello" then "Hello, world!", numbers a prefix of [1, 2, 3], boxed 42's block or
  nullptr), not there ("?", "optimised out") or stale (its block freed: drawn "(stale)",
  never its bytes), never garbage; at line 38 (the printf) name, numbers and boxed as gdb
  prints them there; the note saying how it was optimised (JSON optimisation, build_note);
  g++'s the lesson's story still (numbers grown by new to 4, 8, 16 bytes, boxed's 4 bytes,
  "boxed dropped, numbers dropped" at the end);
- static (g++ -static, clang++ -static: libstdc++ linked in, operator new and malloc the
  executable's own): every step, frame, variable and block the dynamic build's, addresses
  aside, blocks "by new" and freed "by delete", no std:: code as a frame.

    python3 cpp_builds_facts.py STACKHEAP SOURCE_DIR WORK_DIR

Prints "ok"/"FAIL" per fact, then one "row<TAB>build<TAB>result" line per build for the
table cpp_builds.sh prints, then "N passed, N failed"."""
import os
import re
import shutil
import subprocess
import sys

stackheap, src, work = (os.path.abspath(a) for a in sys.argv[1:4])
sys.path.insert(0, os.path.join(src, "tests", "cli"))
from factcheck import _counts, check, finish, find_block, find_var, load_trace  # noqa: E402

HEAP_TYPES = os.path.join(src, "examples", "heap_types.cpp")
HAVE_GDB = shutil.which("gdb") is not None and not os.environ.get("SH_TEST_NO_GDB")
rows = []


def build(cxx, flags, exe):
    cmd = [cxx, "-g", *flags, "-std=c++17", HEAP_TYPES, "-o", os.path.join(work, exe)]
    return subprocess.run(cmd, cwd=work, capture_output=True, timeout=300).returncode == 0


def run(exe):
    """(stderr, the trace or None) of `stackheap run --json`."""
    out = os.path.join(work, exe + ".json")
    r = subprocess.run([stackheap, "run", "--json", out, "--", os.path.join(work, exe)],
                       cwd=work, capture_output=True, text=True, timeout=120)
    return r.stderr, load_trace(out) if r.returncode == 0 and os.path.exists(out) else None


def first_stmt(exe, line):
    """The address (unrelocated) of the first statement row of heap_types.cpp's `line`."""
    out = subprocess.run(["objdump", "--dwarf=decodedline", os.path.join(work, exe)],
                         capture_output=True, text=True).stdout
    for row in out.splitlines():
        w = row.split()
        if len(w) >= 4 and w[0] == "heap_types.cpp" and w[1] == str(line) and w[-1] == "x":
            return int(w[2], 16)
    return None


def gdb_at(exe, line, exprs):
    """gdb's answers in main's frame at the first statement of `line`, or {} without gdb.
    By address: gdb 13 finds no line of heap_types.cpp in g++'s optimised builds (their rows
    share addresses with the inlined headers'); main's frame: the stop is in an inlined one."""
    addr = first_stmt(exe, line)
    if not HAVE_GDB or addr is None:
        return {}
    with open(os.path.join(work, exe), "rb") as f:
        pie = f.read(18)[16] == 3   # ET_DYN: gdb loads it at 0x555555554000 (no ASLR)
    up = "f = gdb.selected_frame()\\nwhile f.name() != 'main': f = f.older()\\nf.select()"
    cmds = ["-ex", "starti", "-ex", f"break *{hex(addr + (0x555555554000 if pie else 0))}",
            "-ex", "continue", "-ex", f'python exec("{up}")']
    for e in exprs:
        cmds += ["-ex", f"print {e}"]
    r = subprocess.run(["gdb", "-nx", "-batch", *cmds, os.path.join(work, exe)],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, DEBUGINFOD_URLS=""))
    got = dict(zip(exprs, re.findall(r"^\$\d+ = (.*)$", r.stdout, re.M)))
    if len(got) != len(exprs):   # a guard, counted only when it fails
        check(f"{exe}: gdb answered at heap_types.cpp:{line}", False, r.stdout[-300:])
    return got


def what_is_shown(v):
    """A variable's value as the reader sees it: None if it says it is not there."""
    val = v["value"]
    if val["kind"] in ("uninit", "unreadable") or (val["kind"] == "owned" and val["stale"]):
        return None
    return val


def garbage(t):
    """Every value of name, numbers or boxed that is neither true nor said to be not there."""
    bad = []
    for s in t["steps"]:
        for f in s["frames"]:
            for v in f["vars"]:
                val = what_is_shown(v)
                if val is None and v["value"]["kind"] == "unreadable" and \
                        v["value"].get("text") not in ("optimised out", "not saved"):
                    bad.append((s["index"], v["name"], v["value"].get("text")))
                if val is None:
                    continue
                text = val.get("text")
                if v["name"] == "name":
                    ok = text in ('"Hello"', '"Hello, world!"')
                elif v["name"] == "numbers":
                    ok = val.get("owned") == "vec" and text in ("[]", "[1]", "[1, 2]", "[1, 2, 3]")
                elif v["name"] == "boxed":
                    b = find_block(s, val.get("block"))
                    ok = val.get("owned") == "box" and (
                        int(val["ptr"], 16) == 0 or (b is not None and b["value"]["text"] == "42"))
                else:
                    ok = False   # main has no other variable
                if not ok:
                    bad.append((s["index"], v["name"], text))
    return bad


def optimised_row(cxx, opt, note):
    exe = f"heap_types_{cxx.replace('+', 'x')}{opt}"
    name = f"{cxx} {opt} heap_types.cpp"
    if not shutil.which(cxx):
        return f"skipped: no {cxx}"
    if not check(f"{name}: built", build(cxx, [opt], exe)):
        return "FAILED to build"
    err, t = run(exe)
    if not check(f"{name}: traced", t is not None, err):
        return "FAILED: " + err.strip()[:60]
    check(f"{name}: ran to its end, printing the lesson's line",
          t["exit_code"] == 0 and any(e.get("text") == "name=Hello, world!, numbers=[1, 2, 3], "
                                      "boxed=42\n" for s in t["steps"] for e in s["events"]))
    check(f"{name}: the JSON says it was optimised ({note})", t.get("optimisation") == note,
          t.get("optimisation"))
    check(f"{name}: the note says values may be optimised out (stderr too)",
          "optimised out" in (t.get("build_note") or "") and "note: " in err, err)
    where = sorted({(f["file"], f["line"]) for s in t["steps"] for f in s["frames"]} |
                   {(s["file"], s["line"]) for s in t["steps"] if s["frames"]})
    check(f"{name}: every step and frame at a line of heap_types.cpp (none at a libstdc++ "
          "header's line inlined into main)", all(f == HEAP_TYPES for f, _ in where),
          [w for w in where if w[0] != HEAP_TYPES][:4])
    bad = garbage(t)
    check(f"{name}: every value shown is the true one, or says it is not there", not bad, bad[:4])
    # clang++ -O2 keeps boxed as the constant 0 once its (elided) object is gone
    claims = [(s["index"], s["title"]) for s in t["steps"]
              for n in re.findall(r"(\w+) on the heap", s["title"])
              if not (find_var(s, n) or {}).get("value", {}).get("block")]
    check(f"{name}: no title says a handle is on the heap while it holds no block "
          "(an empty unique_ptr reads 'boxed = nullptr')", not claims, claims)
    at = next((s for s in t["steps"] if s["frames"] and s["line"] == 38), None)
    said = gdb_at(exe, 38, ["name", "numbers", "boxed"])
    if at and said:
        got = {n: find_var(at, n)["value"] for n in said}
        mine = {n: "<optimized out>" if v.get("text") == "optimised out" else v.get("text")
                for n, v in got.items()}
        m = re.match(r"std::vector of length (\d+), capacity (\d+) = \{(.*)\}$", said["numbers"])
        theirs = {"name": said["name"],
                  "numbers": f"[{m.group(3)}]" if m else said["numbers"],
                  "boxed": said["boxed"]}
        ptr = re.search(r"get\(\) = (0x[0-9a-f]+)", said["boxed"])
        if ptr and got["boxed"].get("owned") == "box":
            theirs["boxed"], mine["boxed"] = int(ptr.group(1), 16), int(got["boxed"]["ptr"], 16)
        check(f"{name}: at line 38 name, numbers and boxed are gdb's", mine == theirs,
              (mine, theirs))
    elif not at:
        check(f"{name}: a step at line 38 (the printf)", False)
    shown = sum(1 for s in t["steps"] for f in s["frames"] for v in f["vars"]
                if what_is_shown(v) is not None)
    out = sorted({v["name"] for s in t["steps"] for f in s["frames"] for v in f["vars"]
                  if v["value"].get("text") == "optimised out"})
    story = ""
    if cxx == "g++":
        grew = [(e["size"], e.get("text")) for s in t["steps"] for e in s["events"]
                if e["kind"] == "alloc"]
        end = t["steps"][-1]
        check(f"{name}: numbers grows by new to 4, 8, 16 bytes, boxed's 4 bytes by new; the "
              "end tells 'boxed dropped, numbers dropped'",
              grew == [(4, "new"), (8, "new"), (16, "new"), (4, "new")] and
              "boxed dropped, numbers dropped" in end["title"], (grew, end["title"]))
        story = ", the lesson's blocks and drops"
    return (f"traced, note '{note}': {len(t['steps'])} steps at its lines, {shown} values true"
            + (f", optimised out: {', '.join(out)}" if out else "") + story)


def shape(step):
    """What a step shows, addresses aside: title, frames (function, line, variables and
    their texts) and blocks (number, size, type, text), and its events."""
    return (step["title"],
            [(f["function"], f["line"], [(v["name"], v["value"].get("text")) for v in f["vars"]])
             for f in step["frames"]],
            [(b["id"], b["size"], b.get("type"), b["value"].get("text")) for b in step["heap"]],
            [(e["kind"], e.get("size"), e.get("text"), e.get("function")) for e in step["events"]])


def static_row(cxx):
    name = f"{cxx} -static heap_types.cpp"
    tag = cxx.replace("+", "x")
    if not shutil.which(cxx) or not build(cxx, ["-O0", "-static"], f"heap_types_{tag}_static"):
        return f"skipped: no {cxx} or no static libstdc++"
    build(cxx, ["-O0"], f"heap_types_{tag}_dyn")
    err, s = run(f"heap_types_{tag}_static")
    _, d = run(f"heap_types_{tag}_dyn")
    if not check(f"{name}: traced", s is not None and d is not None, err):
        return "FAILED: " + err.strip()[:60]
    same = len(s["steps"]) == len(d["steps"]) and all(
        shape(a) == shape(b) for a, b in zip(s["steps"], d["steps"]))
    check(f"{name}: every step the dynamic build's (titles, frames, values, blocks, events), "
          "addresses aside", same,
          next(((shape(a), shape(b)) for a, b in zip(s["steps"], d["steps"])
                if shape(a) != shape(b)), f"{len(s['steps'])} steps, dynamic {len(d['steps'])}"))
    ops = [(e["kind"], e.get("text")) for st in s["steps"] for e in st["events"]
           if e["kind"] in ("alloc", "free")]
    check(f"{name}: operator new and delete watched in the executable (every block by new, "
          "freed by delete)", ops and all(x in (("alloc", "new"), ("free", "delete"))
                                          for x in ops), ops)
    fns = {f["function"] for st in s["steps"] for f in st["frames"]}
    check(f"{name}: no std:: code as a frame (main's alone)", fns == {"main"}, fns)
    # clang++ declares std::string's _Alloc_hider without defining it: read by the ABI's layout
    names = {v["value"].get("text") for st in d["steps"] for f in st["frames"] for v in f["vars"]
             if v["name"] == "name"}
    check(f"{cxx} -O0 heap_types.cpp: name, numbers and boxed true at every step, name reaching "
          '"Hello, world!"', not garbage(d) and '"Hello, world!"' in names, (garbage(d), names))
    return f"traced: {len(s['steps'])} steps as the dynamic build, {len(ops)} new/delete"


builds = [
    ("g++ -g -Og heap_types.cpp", lambda: optimised_row("g++", "-Og", "-Og")),
    ("g++ -g -O2 heap_types.cpp", lambda: optimised_row("g++", "-O2", "-O2")),
    ("clang++ -g -Og heap_types.cpp", lambda: optimised_row("clang++", "-Og", "optimised")),
    ("clang++ -g -O2 heap_types.cpp", lambda: optimised_row("clang++", "-O2", "optimised")),
    ("g++ -g -static heap_types.cpp", lambda: static_row("g++")),
    ("clang++ -g -static heap_types.cpp", lambda: static_row("clang++")),
]
for label, fn in builds:
    before = _counts["failed"]
    result = fn()
    rows.append((label, result if _counts["failed"] == before
                 else f"FAIL ({_counts['failed'] - before} facts): {result}"))
for label, result in rows:
    print(f"row\t{label}\t{result}")
finish()

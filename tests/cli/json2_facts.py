#!/usr/bin/env python3
"""tests/cli/json2_facts.py — the JSON trace's version 2 (each step a patch on the one
before, docs/trace-json.md) says exactly what version 1 says: for every program the tracer's
tests trace (tests/cli/*.c, *.rs), the lesson's programs (examples/, built into BUILD/examples
and BUILD/lesson) and the benchmark's loop, the steps docs/read_trace.py rebuilds from
`stackheap run --json` equal, key for key, the steps of `stackheap run --json-version 1`
of the same build, and the version 2 file is smaller. Also: a reader refuses a version it
does not know, and `--json-version` takes 1 or 2 only.

Not here: examples/heap_map.c (stackheap's own allocator: its blocks' bytes differ from run
to run, and its 10,000 steps make a 1 GB version 1 file) and tests/cli/live_spin_main.c
(it spins without -g until --timeout kills it: no steps to compare). Each program is
traced once and written in both versions (tests/cli/json_both.c): two runs of one program
may differ (a pid, Rust's hash seeds, a thread's id in a panic message).

Run by test_json2.sh; prints "ok"/"FAIL" per fact and "N passed, N failed"."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from factcheck import RUSTC, c_compiler, check, finish, load_trace  # noqa: E402

BUILD, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
BIN = os.path.join(BUILD, "stackheap")
BOTH = os.path.join(BUILD, "json_both")
sys.path.insert(0, os.path.join(SRC, "docs"))
import read_trace  # noqa: E402


def build_c(name, *extra):
    exe = os.path.join(WORK, name)
    subprocess.run([*c_compiler(), "-g", "-O0", "-o", exe, os.path.join(HERE, name + ".c"), *extra],
                   check=True, cwd=WORK)
    return exe


def build_rs(name):
    exe = os.path.join(WORK, name)
    subprocess.run([RUSTC, "-g", "-o", exe, os.path.join(HERE, name + ".rs")], check=True,
                   cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return exe


def first_difference(a, b, where="step"):
    """Where two JSON values first differ, as a path, or None."""
    if type(a) is not type(b):
        return "%s: %r / %r" % (where, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s: only in %s" % (where, k, "v2" if k in a else "v1")
            d = first_difference(a[k], b[k], "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d / %d items" % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r / %r" % (where, a, b)


def compare(name, argv, max_steps=0, stdin=None, env=None):
    """Traces argv once (json_both), writing both versions; checks the steps rebuilt from
    version 2 equal version 1's."""
    base = os.path.join(WORK, name.replace("/", "_").replace(" ", "_"))
    files = {"1": base + ".v1.json", "2": base + ".v2.json"}
    extra = [str(max_steps)] + ([stdin] if stdin else [])
    subprocess.run([BOTH, files["1"], files["2"], *extra, "--", *argv], cwd=WORK,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, env=env)
    if not all(os.path.exists(f) for f in files.values()):
        check(f"{name}: traced", False)
        return
    v1 = json.load(open(files["1"]))
    v2 = json.load(open(files["2"]))
    ok = v1.get("version") == 1 and v2.get("version") == 2
    header = {k: v for k, v in v1.items() if k not in ("steps", "version")}
    ok = ok and header == {k: v for k, v in v2.items() if k not in ("steps", "version")}
    rebuilt = list(read_trace.steps(v2))
    diff = None
    if len(rebuilt) != len(v1["steps"]):
        diff = "%d steps / %d" % (len(rebuilt), len(v1["steps"]))
    else:
        for i, (x, y) in enumerate(zip(rebuilt, v1["steps"])):
            diff = first_difference(x, y, "step %d" % i)
            if diff:
                break
    n1, n2 = os.path.getsize(files["1"]), os.path.getsize(files["2"])
    steps = max(len(v1["steps"]), 1)
    check(f"{name}: {len(v1['steps'])} steps rebuilt from version 2 equal version 1's "
          f"({n1 // steps} -> {n2 // steps} bytes/step)", ok and diff is None and n2 < n1, diff)
    if name == "recurse_back.c":   # the window of a deep recursion moves, both ways
        cuts = sum(1 for p in v2["steps"] if "cut" in p)
        inserts = sum(1 for p in v2["steps"] if "insert" in p)
        check(f"{name}: the frames' window moves by 'cut' ({cuts} steps) and 'insert' "
              f"({inserts}), not by popping and pushing 99 frames: version 2 under 2% of "
              f"version 1 ({n2} / {n1} bytes)", cuts >= 15 and inserts >= 15 and n2 * 50 < n1)


have_rust = RUSTC is not None

# tests/cli's C programs, each as its test runs it
marker = os.path.join(WORK, "marker")
stdin_file = os.path.join(WORK, "stdin.txt")
with open(stdin_file, "w") as f:
    f.write("Ada\n42\nsome more lines\nof input\n")
lib = os.path.join(WORK, "libwhose.so")
subprocess.run([*c_compiler(), "-g", "-O0", "-shared", "-fPIC", "-o", lib, os.path.join(HERE, "whose_lib.c")],
               check=True)
c_programs = {   # as their tests run them: arguments, steps, stdin
    "args": (["one", "two words"], 0, None),
    "live_marker": ([marker], 0, None),
    "live_ask": ([], 0, stdin_file),
    "options_loop": ([], 300, None),
    "live_recurse": ([], 300, None),   # 8,000 steps of a deep stack: 2.7 GB in version 1
}
for src in sorted(os.listdir(HERE)):
    name, ext = os.path.splitext(src)
    if ext != ".c" or name in ("whose_lib", "live_spin", "live_spin_main", "json_both"):
        continue
    extra = ["-L" + WORK, "-lwhose", "-Wl,-rpath," + WORK] if name == "whose_uselib" else []
    exe = build_c(name, *extra)
    args, steps, stdin = c_programs.get(name, ([], 0, None))
    compare(name + ".c", [exe, *args], steps, stdin)

if have_rust:
    for src in sorted(os.listdir(HERE)):
        name, ext = os.path.splitext(src)
        if ext != ".rs":
            continue
        exe = build_rs(name)
        compare(name + ".rs", [exe], stdin=stdin_file if name == "whose_read" else None,
                env=dict(os.environ, RUST_BACKTRACE="1"))
else:
    print("note: no rustc: tests/cli's Rust programs are not compared")

# the lesson's programs, as CMake builds them
for folder in ("examples", "lesson"):
    d = os.path.join(BUILD, folder)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else ():
        exe = os.path.join(d, name)
        if name == "heap_map" or not os.access(exe, os.X_OK):
            continue
        # the sanitizer variant builds examples/ with ASan, which the tracer refuses
        # (tests/matrix/builds.sh checks that); lesson/ is built without it for the tracer
        with open(exe, "rb") as f:
            if b"__asan_init" in f.read():
                print(f"note: {folder}/{name} is an AddressSanitizer build: not traced")
                continue
        compare(f"{folder}/{name}", [exe])
if have_rust:
    for src in sorted(os.listdir(os.path.join(SRC, "examples", "rust"))):
        name = os.path.splitext(src)[0]
        exe = os.path.join(WORK, "rust_" + name)
        subprocess.run([RUSTC, "-g", "-o", exe, os.path.join(SRC, "examples", "rust", src)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        compare(f"examples/rust/{name}", [exe])

# the benchmark's loop, and a heap of blocks coming and going
loop = os.path.join(WORK, "loop")
subprocess.run([*c_compiler(), "-g", "-O0", "-DITERS=500", "-o", loop,
                os.path.join(SRC, "bench", "trace", "loop.c")], check=True)
compare("bench loop.c (500 iterations)", [loop])

# the tool: version 2 by default, version 1 when asked (--json-version=1 as well)
for opts, want in ((["--json"], 2), (["--json-version=1", "--json"], 1),
                   (["--json-version", "2", "--json"], 2)):
    out = os.path.join(WORK, "cli.json")
    subprocess.run([BIN, "run", *opts, out, "--", loop], stdout=subprocess.DEVNULL, check=True)
    text = open(out).read()
    lines = text.splitlines()
    # 2 x 500 + 5 steps, and main's `}` when the compiler gives it a line row (gcc, not clang)
    n = len(load_trace(out)["steps"])
    shape = n in (1005, 1006) and (len(lines) == n + 2 and lines[1].startswith('{"line":')
                                   if want == 2 else f'"index": {n - 1}' in text)
    check(f"run {' '.join(opts)} F: version {want}" +
          (", one step a line" if want == 2 else ", every step whole"),
          json.loads(text)["version"] == want and shape)

# a reader refuses what it does not know; the option takes 1 or 2
doc = json.load(open(os.path.join(WORK, "args.c.v2.json")))
doc["version"] = 3
try:
    list(read_trace.steps(doc))
    refused = False
except ValueError as e:
    refused = "version 3" in str(e)
check("read_trace refuses version 3, naming it", refused)
r = subprocess.run([BIN, "run", "--json-version", "3", "--json", os.path.join(WORK, "x.json"),
                    "--", loop], capture_output=True, text=True)
check("run --json-version 3: exit 2, says 1 or 2",
      r.returncode == 2 and "--json-version needs 1 or 2, got '3'" in r.stderr, r.stderr)
r = subprocess.run([sys.executable, os.path.join(SRC, "docs", "read_trace.py"),
                    os.path.join(WORK, "args.c.v2.json"), "1"], capture_output=True, text=True)
one = load_trace(os.path.join(WORK, "args.c.v1.json"))["steps"][1]
check("read_trace.py TRACE 1 prints step 1 whole, as version 1 has it",
      r.returncode == 0 and json.loads(r.stdout) == one, r.stderr[-300:])
finish()

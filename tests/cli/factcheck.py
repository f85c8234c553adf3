"""tests/cli/factcheck.py — how the tracer's facts scripts report: check() prints "ok" or
"FAIL" per fact and counts it; finish() prints the closing "N passed, N failed" line and
exits non-zero if any fact failed. RUSTC: the rustc the facts' Rust programs are built with."""
import os
import re
import shutil
import subprocess
import sys

# SH_TEST_RUSTC (tests/cli/common.bash exports it; tests/matrix/rustc_versions.sh names Debian's
# /usr/bin/rustc with it), else the first rustc in PATH, else rustup's; None without one, and
# None under SH_TEST_C_ONLY (tests/matrix/c_compilers.sh varies the C compiler only).
def _find_rustc():
    if os.environ.get("SH_TEST_C_ONLY"):
        return None
    found = os.environ.get("SH_TEST_RUSTC") or shutil.which("rustc") \
        or os.path.expanduser("~/.cargo/bin/rustc")
    return found if os.path.exists(found) else None


RUSTC = _find_rustc()


def rustc_version():
    """RUSTC's (major, minor), (0, 0) without it: std's own choices (VecDeque's capacities, what
    RcInner is called) differ between rustc versions, and the facts say which they expect."""
    if not RUSTC:
        return (0, 0)
    out = subprocess.run([RUSTC, "--version"], capture_output=True, text=True).stdout
    m = re.match(r"rustc (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


_counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        _counts["passed"] += 1
        print(f"ok   {name}")
    else:
        _counts["failed"] += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    return bool(cond)


def finish(note=""):
    print(f"{_counts['passed']} passed, {_counts['failed']} failed{note}")
    sys.exit(1 if _counts["failed"] else 0)


def c_compiler():
    """The command every C test program is built with, before its own flags: $SH_TEST_CC
    (default cc) and the words of $SH_TEST_CFLAGS (tests/cli/common.bash's test_cc, the same)."""
    import os
    import shlex
    return [os.environ.get("SH_TEST_CC") or "cc", *shlex.split(os.environ.get("SH_TEST_CFLAGS", ""))]


def cxx_compiler(cxx):
    """The command a C++ test program is built with by `cxx` (g++ or clang++), before its own
    flags: `cxx` and the words of $SH_TEST_CXXFLAGS (tests/cpp/cxx.bash, the same; tests/matrix/
    cpp_builds.sh sets them: -gdwarf-4, -no-pie, -static)."""
    import shlex
    return [cxx, *shlex.split(os.environ.get("SH_TEST_CXXFLAGS", ""))]


def cxx_facts_setup(*flags):
    """What every tests/cpp facts script starts with: BIN, SRC, WORK, CXX, TAG, build. The
    first four are its arguments (tests/cpp/test_cpp_*.sh: the stackheap command, the source
    tree, a scratch directory, one compiler of tests/cpp/cxx.bash); TAG is that compiler's
    name, which the facts' names start with; build(name, cxx=CXX) builds tests/cpp/NAME.cpp
    into WORK with cxx_compiler(cxx), `flags` and -g -O0, once per compiler and name, and
    returns (exe, source)."""
    bin_, src, work, cxx = sys.argv[1:5]

    def build(name, with_cxx=cxx):
        source = os.path.join(src, "tests", "cpp", name + ".cpp")
        # one executable per compiler: cpp_values_facts builds g++'s too, as gdb's reference
        exe = os.path.join(work, name + "_" + os.path.basename(with_cxx).replace("+", "x"))
        if not os.path.exists(exe):
            subprocess.run([*cxx_compiler(with_cxx), *flags, "-g", "-O0", "-o", exe, source],
                           check=True, cwd=work)
        return exe, source

    return bin_, src, work, cxx, os.path.basename(cxx), build


# gdb loads libstdc++'s pretty printers and xmethods with libstdc++.so (its auto-load
# script); a -static C++ build has no libstdc++.so: they are registered by hand, from where
# GCC installs them, so that gdb answers a static build's questions as a dynamic one's
# (std::vector's elements, unique_ptr's get()). Nothing happens when libstdc++.so is loaded.
GDB_STATIC_LIBSTDCXX = (
    "python import gdb, glob, sys; "
    "d = [] if any('libstdc++' in (o.filename or '') for o in gdb.objfiles()) "
    "else sorted(glob.glob('/usr/share/gcc*/python')); sys.path[:0] = d[-1:]; "
    "d and __import__('libstdcxx.v6', fromlist=['v6']).register_libstdcxx_printers(None); "
    "d and __import__('libstdcxx.v6.xmethods', fromlist=['xmethods'])"
    ".register_libstdcxx_xmethods(None)")


def gdb_answers(prog, where, said, args=(), note_to=print, setup=(), guard=None):
    """What gdb prints for each expression of `said` (a dict: expression -> what gdb 13
    printed) when `prog` (run with `args`) stops at `where` ("file.c:12"): gdb's own answers
    when gdb is installed (and SH_TEST_NO_GDB is unset), checked to be complete, else `said`.
    `setup`: gdb commands run once stopped, before the prints, after the registration of
    libstdc++'s printers for a static build (GDB_STATIC_LIBSTDCXX).
    `guard`: the completeness check's name when it is a guard, counted only if it fails.
    Heap and global addresses agree between gdb and the tracer: both run with ASLR off."""
    import os
    import re
    import shutil
    import subprocess
    if not shutil.which("gdb") or os.environ.get("SH_TEST_NO_GDB"):
        note_to("note: no gdb: the facts are compared with what gdb 13 printed")
        return dict(said)
    cmds = ["-ex", f"break {where}", "-ex", "run"]
    for c in [GDB_STATIC_LIBSTDCXX, *setup, *(f"print {k}" for k in said)]:
        cmds += ["-ex", c]
    r = subprocess.run(["gdb", "-nx", "-batch", *cmds, "--args", prog, *args],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, DEBUGINFOD_URLS=""))
    got = dict(zip(said, re.findall(r"^\$\d+ = (.*)$", r.stdout, re.M)))
    if guard is None:
        check("gdb answered every question", len(got) == len(said), got)
    elif len(got) != len(said):
        check(guard, False, got)
    note_to("note: the facts are compared with gdb's own output")
    return got


def line_of(source, text):
    """The 1-based number of the first line of the file `source` holding `text`."""
    with open(source) as f:
        return next(i + 1 for i, l in enumerate(f) if text in l)


def events(t, kind):
    """(step, event) for every event of `kind` in a loaded trace, in trace order."""
    return [(s, e) for s in t["steps"] for e in s["events"] if e["kind"] == kind]


def hexes(text):
    """The addresses (0x...) written in `text`, as numbers."""
    import re
    return [int(h, 16) for h in re.findall(r"0x[0-9a-f]+", text or "")]


def find_var(step, name):
    """The variable `name` of a JSON step, innermost frame first, or None."""
    for f in reversed(step["frames"]):
        for v in f["vars"]:
            if v["name"] == name:
                return v
    return None


def find_block(step, ident):
    """The heap block numbered `ident` in a JSON step, or None (also for ident None)."""
    return next((b for b in step["heap"] if b["id"] == ident), None) if ident else None


def load_trace(path):
    """A `stackheap run --json` file read back, in whatever version the tool wrote it, its
    steps whole (version 1's shape) as docs/read_trace.py rebuilds them: every fact is
    checked on the steps a reader of the newest version sees."""
    import os
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
    if docs not in sys.path:
        sys.path.insert(0, docs)
    import read_trace
    return read_trace.load(path)


def trace_json(stackheap, exe, cwd):
    """`stackheap run --json` of `exe` (run in `cwd`), read back: the trace as a dict, its
    steps whole (load_trace)."""
    import subprocess
    out = exe + ".json"
    subprocess.run([stackheap, "run", "--json", out, "--", exe], check=True, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return load_trace(out)


def trace_text(stackheap, exe, cwd, columns="120"):
    """The text view of `exe` (run in `cwd`), uncoloured, `columns` wide."""
    import os
    import subprocess
    r = subprocess.run([stackheap, "run", "--", exe], cwd=cwd, capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, NO_COLOR="1", COLUMNS=columns))
    return r.stdout

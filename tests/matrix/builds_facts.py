"""tests/matrix/builds_facts.py — the facts tests/matrix/builds.sh checks, build by build.

    python3 builds_facts.py STACKHEAP SOURCE_DIR WORK_DIR

A build the machine cannot make (no clang, no rustc, no libasan) is skipped and said so in
the table. A build is either traced truly or refused before it runs:
- gcc -static: the linked list's trace is the dynamic build's, step for step (addresses
  aside), and its values at the printf are gdb's; no block of libc's (stdout's buffer).
- gcc -m32, gcc -fsanitize=address, clang -gline-tables-only, no -g: refused, with the
  reason and what to do, nothing run.
- optimised builds of the lesson's add: every value shown is the true one (x 5, y 10,
  sum 15, a 5, b 10, result 15) or says it is not there (`?`, "optimised out"), never a
  garbage number; sum's 15 is shown; the note says how it was optimised (JSON optimisation
  and build_note); gdb's a and b when add is entered.
- gcc -g1, rustc -C debuginfo=1: the calls still shown, frames without variables, and the
  JSON says why (variables false, a build_note)."""
import os
import re
import shutil
import subprocess
import sys

stackheap, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(src, "tests", "cli"))
from factcheck import RUSTC, check, finish, find_var, gdb_answers, load_trace  # noqa: E402

ADD_C = os.path.join(src, "examples", "add.c")
ADD_RS = os.path.join(src, "examples", "rust", "add.rs")
LIST_C = os.path.join(src, "tests", "matrix", "builds_list.c")
REGS_C = os.path.join(src, "tests", "matrix", "builds_regs.c")
TRUE = {"x": 5, "y": 10, "sum": 15, "a": 5, "b": 10, "result": 15}
table = []


def build(cmd):
    r = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    return r.returncode == 0


def run(exe):
    """(exit status, stderr, the trace or None) of `stackheap run --json`."""
    out = os.path.join(work, os.path.basename(exe) + ".json")
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run([stackheap, "run", "--json", out, "--", exe], cwd=work,
                       capture_output=True, text=True, timeout=120)
    trace = load_trace(out) if r.returncode == 0 and os.path.exists(out) else None
    return r.returncode, r.stderr, trace


def values(t):
    """Every (step, frame function, var) of a trace."""
    for s in t["steps"]:
        for f in s["frames"]:
            for v in f["vars"]:
                yield s, f["function"], v


def number(v):
    val = v["value"]
    return val.get("value") if val["kind"] in ("int", "uint") else None


def add_facts(name, t, opt):
    """The lesson's add, optimised: true values or none, sum 15, the note."""
    garbage = []
    for s, fn, v in values(t):
        val = v["value"]
        if v["name"] not in TRUE:
            continue
        if val["kind"] in ("int", "uint"):
            if val["value"] != TRUE[v["name"]]:
                garbage.append(f"step {s['index']} {fn}.{v['name']} = {val['text']}")
        elif val["kind"] == "unreadable" and val.get("text") not in ("optimised out", "not saved"):
            garbage.append(f"step {s['index']} {fn}.{v['name']} <{val.get('text')}>")
        elif val["kind"] not in ("uninit", "unreadable"):
            garbage.append(f"step {s['index']} {fn}.{v['name']} is a {val['kind']}")
    check(f"{name}: every value shown is the true one or says it is not there", not garbage,
          garbage[:3])
    sums = [number(v) for s, fn, v in values(t) if fn == "main" and v["name"] == "sum"]
    check(f"{name}: main's sum is shown as 15", 15 in sums, sums)
    check(f"{name}: the program ran to its end (exit 0, sum = 15 printed)",
          t["exit_code"] == 0 and any(e.get("text") == "sum = 15\n"
                                      for s in t["steps"] for e in s["events"]))
    check(f"{name}: the JSON says it was optimised ({opt})", t.get("optimisation") == opt,
          t.get("optimisation"))
    note = t.get("build_note") or ""
    check(f"{name}: the note says values may be optimised out", "optimised out" in note, note)
    shown = sum(1 for s, fn, v in values(t) if number(v) is not None)
    out = sum(1 for s, fn, v in values(t) if v["value"].get("text") == "optimised out")
    return f"traced, note '{opt}': {shown} values true, {out} optimised out, sum 15"


def add_entered(name, t, exe):
    """add's parameters on entering it, as gdb prints them there."""
    steps = [s for s in t["steps"] if len(s["frames"]) > 1 and s["frames"][-1]["function"] == "add"]
    if not check(f"{name}: add's frame is shown on main's", bool(steps)):
        return
    top = steps[0]["frames"][-1]
    got = {v["name"]: v["value"].get("text") for v in top["vars"]}
    said = gdb_answers(exe, "add", {"a": "5", "b": "10"}, note_to=lambda *_: None)
    check(f"{name}: a and b entering add are gdb's", all(got.get(k) == said[k] for k in said),
          (got, said))
    check(f"{name}: the step entering add says so", "add() called" in steps[0]["title"],
          steps[0]["title"])
    check(f"{name}: add returned 15", any(e.get("kind") == "return" and e.get("function") == "add"
                                         and e.get("value") == 15
                                         for s in t["steps"] for e in s["events"]))


def lines_only_facts(name, t, calls):
    check(f"{name}: the JSON says it has no variables", t.get("variables") is False,
          t.get("variables"))
    note = t.get("build_note") or ""
    check(f"{name}: the note says the frames have no variables", "no variables" in note, note)
    fns = {f["function"] for s in t["steps"] for f in s["frames"]}
    check(f"{name}: the calls are shown ({', '.join(calls)})", set(calls) <= fns, fns)
    check(f"{name}: no frame has variables", not any(f["vars"] for s in t["steps"]
                                                     for f in s["frames"]))
    return "traced, note: no variables; frames " + ", ".join(sorted(fns))


def refused(name, exe, words):
    rc, err, t = run(exe)
    check(f"{name}: refused (exit status 1)", rc == 1, rc)
    check(f"{name}: the message says why and what to do", all(w in err for w in words), err)
    check(f"{name}: no trace was written", not os.path.exists(
        os.path.join(work, os.path.basename(exe) + ".json")))
    return "refused: " + err.strip().split(": ", 1)[-1][:70] + "..."


def sans_addresses(step):
    import json
    s = json.dumps(step, sort_keys=True)
    s = re.sub(r'"(addr|cfa)": "[^"]*"', '"\\1": ""', s)
    s = re.sub(r'"bytes_hex": "[^"]*"', '"bytes_hex": ""', s)
    s = s.replace(os.path.join(work, "list_static"), "PROG").replace(
        os.path.join(work, "list_dyn"), "PROG")
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


# ---- gcc -static --------------------------------------------------------------------------
def static_build():
    if not build(["cc", "-g", "-static", LIST_C, "-o", "list_static"]):
        return "skipped: no static libc (libc6-dev's libc.a)"
    build(["cc", "-g", LIST_C, "-o", "list_dyn"])
    rc, err, t = run("./list_static")
    if not check("gcc -static: traced (its heap watched through its own malloc)",
                 rc == 0 and t is not None, err):
        return "FAILED: " + err.strip()
    _, _, d = run("./list_dyn")
    same = len(t["steps"]) == len(d["steps"]) and all(
        sans_addresses(a) == sans_addresses(b) for a, b in zip(t["steps"], d["steps"]))
    check("gcc -static: every step is the dynamic build's, addresses aside", same,
          f"{len(t['steps'])} steps, dynamic {len(d['steps'])}")
    sizes = {b["size"] for s in t["steps"] for b in s["heap"]}
    check("gcc -static: the heap holds the list's 16-byte nodes only (not libc's stdout buffer)",
          sizes == {16}, sizes)
    check("gcc -static: no leak", t["leaks"] == [], t["leaks"])
    at = [s for s in t["steps"] if s["line"] == 22]
    if check("gcc -static: a step at the printf", bool(at)):
        s = at[0]
        said = gdb_answers(os.path.join(work, "list_static"), "builds_list.c:22",
                           {"sum": "60", "head->value": "30", "head->next->value": "20",
                            "head->next->next->value": "10"}, note_to=lambda *_: None)
        head = find_var(s, "head")["value"]
        blocks = {b["addr"]: b for b in s["heap"]}
        chain, at_addr = [], head["addr"]
        while at_addr in blocks and len(chain) < 5:
            fields = {f["name"]: f["value"] for f in blocks[at_addr]["value"]["fields"]}
            chain.append(str(fields["value"]["value"]))
            at_addr = fields["next"]["addr"]
        check("gcc -static: sum at the printf is gdb's", find_var(s, "sum")["value"]["text"]
              == said["sum"])
        check("gcc -static: the list from head is gdb's (30 -> 20 -> 10)",
              chain == [said["head->value"], said["head->next->value"],
                        said["head->next->next->value"]], (chain, said))
        if shutil.which("gdb") and not os.environ.get("SH_TEST_NO_GDB"):
            addr = gdb_answers(os.path.join(work, "list_static"), "builds_list.c:22",
                               {"head": "?"}, note_to=lambda *_: None)["head"]
            check("gcc -static: head's address is gdb's", addr.endswith(" " + head["addr"]),
                  (addr, head["addr"]))
    return f"traced: {len(t['steps'])} steps as the dynamic build, sum 60, list 30->20->10"


# ---- -m32 ---------------------------------------------------------------------------------
def static_pie_build():
    if not build(["cc", "-g", "-static-pie", LIST_C, "-o", "list_spie"]):
        return "skipped: no static-pie libc (rcrt1.o)"
    build(["cc", "-g", LIST_C, "-o", "list_dyn"])
    rc, err, t = run("./list_spie")
    if not check("gcc -static-pie: traced (its malloc is a local symbol)", t is not None, err):
        return "FAILED: " + err.strip()
    _, _, d = run("./list_dyn")
    same = len(t["steps"]) == len(d["steps"]) and all(
        sans_addresses(a).replace("list_spie", "PROG") == sans_addresses(b)
        for a, b in zip(t["steps"], d["steps"]))
    check("gcc -static-pie: every step is the dynamic build's, addresses aside", same)
    return f"traced: {len(t['steps'])} steps as the dynamic build"


def shape(step):
    """What a step shows, values aside: its title, frames (function, line, variable names)
    and heap blocks (number, size, type)."""
    return (step["title"], [(f["function"], f["line"], [v["name"] for v in f["vars"]])
                            for f in step["frames"]],
            [(b["id"], b["size"], b.get("type")) for b in step["heap"]])


def static_examples_build():
    """The lesson's C programs (examples/*.c) static and dynamic: the same steps, frames,
    variables and blocks (values that are addresses, or bytes never written, differ)."""
    lib = os.path.join(os.path.dirname(stackheap), "libstackheap.a")
    names = ["add", "drop_order", "heap_types", "overrun", "stack_frames", "stack_types"]
    same = []
    for name in names:
        c = os.path.join(src, "examples", name + ".c")
        flags = ["-g", "-I", os.path.join(src, "include"), c, lib, "-lpthread"]
        if not (build(["cc", *flags, "-o", name + "_dyn"]) and
                build(["cc", "-static", *flags, "-o", name + "_static"])):
            return "skipped: the examples do not build statically"
        _, err, s = run("./" + name + "_static")
        _, _, d = run("./" + name + "_dyn")
        ok = s is not None and d is not None and len(s["steps"]) == len(d["steps"]) and all(
            shape(a) == shape(b) for a, b in zip(s["steps"], d["steps"])) and \
            s["exit_code"] == d["exit_code"] and sorted(s["leaks"]) == sorted(d["leaks"])
        check(f"gcc -static {name}.c: the dynamic build's steps, frames, variables and blocks",
              ok, err if s is None else f"{len(s['steps'])} steps, dynamic {len(d['steps'])}")
        if ok:
            same.append(name)
    return f"traced: {len(same)} of {len(names)} as their dynamic builds"


def ubsan_build():
    if not build(["cc", "-g", "-fsanitize=undefined", LIST_C, "-o", "list_ubsan"]):
        return "skipped: cc cannot build -fsanitize=undefined"
    build(["cc", "-g", LIST_C, "-o", "list_dyn"])
    rc, err, t = run("./list_ubsan")
    _, _, d = run("./list_dyn")
    check("-fsanitize=undefined: traced as without it (UBSan keeps libc's malloc)",
          t is not None and [shape(s) for s in t["steps"]] == [shape(s) for s in d["steps"]],
          err)
    return f"traced: {len(t['steps']) if t else 0} steps as without it"


def m32_build():
    # gcc -m32 without gcc-multilib's libc: a freestanding program is still a true 32-bit
    # executable (binutils link i386); without even that, a hand-made ELFCLASS32 header
    with open(os.path.join(work, "m32.c"), "w") as f:
        f.write("int total;\nvoid _start(void) { int x = 5, y = 10; total = x + y;\n"
                "    __asm__ volatile(\"int $0x80\" :: \"a\"(1), \"b\"(0)); }\n")
    how = "gcc -m32"
    if not build(["cc", "-g", "-m32", "-nostdlib", "-static", "-fno-pie", "-no-pie", "m32.c",
                  "-o", "m32"]):
        how = "a hand-made ELF32 file"
        hdr = bytearray(52)
        hdr[0:7] = b"\x7fELF\x01\x01\x01"
        hdr[16:18] = (2).to_bytes(2, "little")    # ET_EXEC
        hdr[18:20] = (3).to_bytes(2, "little")    # EM_386
        hdr[20:24] = (1).to_bytes(4, "little")
        with open(os.path.join(work, "m32"), "wb") as f:
            f.write(bytes(hdr))
        os.chmod(os.path.join(work, "m32"), 0o755)
    r = refused(f"-m32 ({how})", "./m32", ["32-bit", "x86-64"])
    rc = subprocess.run([stackheap, "layout", "--", "./m32"], cwd=work, capture_output=True,
                        text=True, timeout=60)
    check("-m32: stackheap layout refuses it too", rc.returncode != 0 and "32-bit" in rc.stderr,
          rc.stderr)
    return r


def sanitizer_build(flag, words):
    exe = "list_" + flag.split("=")[1]
    if not build(["cc", "-g", flag, LIST_C, "-o", exe]):
        return f"skipped: cc cannot build {flag}"
    return refused(flag, "./" + exe, words)


# ---- optimised C --------------------------------------------------------------------------
def c_opt_build(cc, opt, note, exe, name):
    if not shutil.which(cc):
        return f"skipped: no {cc}"
    if not build([cc, "-g", opt, ADD_C, "-o", exe]):
        return f"skipped: {cc} {opt} failed"
    rc, err, t = run("./" + exe)
    if not check(f"{name}: traced", t is not None, err):
        return "FAILED"
    result = add_facts(name, t, note)
    check(f"{name}: the note is printed too", "note: " in err and "optimised out" in err, err)
    if cc != "clang":   # clang -O2 computes add's result at compile time: no call is left
        add_entered(name, t, os.path.join(work, exe))
    return result


def list_o2_build():
    if not build(["cc", "-g", "-O2", LIST_C, "-o", "list_o2"]):
        return "skipped"
    rc, err, t = run("./list_o2")
    heads = [v["value"] for s, fn, v in values(t) if v["name"] == "head"]
    pointing = [h for h in heads if h["kind"] == "pointer" and h["addr"] != "0x0"]
    check("gcc -O2 list: head (in a register) is a pointer to its heap block",
          pointing and all(h.get("block") for h in pointing), heads[:3])
    sums = [number(v) for s, fn, v in values(t) if v["name"] == "sum"]
    check("gcc -O2 list: sum is 60 at the printf, never a garbage number",
          60 in sums and all(x in (None, 0, 30, 50, 60) for x in sums), sums)
    return f"traced: head a pointer with its arrow in {len(pointing)} steps, sum 60"


def regs_build():
    if not build(["cc", "-g", "-O2", REGS_C, "-o", "regs_o2"]):
        return "skipped"
    rc, err, t = run("./regs_o2")
    if not check("gcc -O2 registers: traced", t is not None, err):
        return "FAILED"
    want = {"neg": "-5", "k": "-5", "half": "2.5", "argc": "1", "d": "10", "r": "10",
            "p": "{a: 3, b: -7}", "s": "10.0", "big": "11.0", "v": "2.5"}
    wrong, seen = [], set()
    for s, fn, v in values(t):
        text = v["value"].get("text")
        # an outer frame's register its call overwrote is "not saved", as gdb says
        if v["name"] not in want or v["value"]["kind"] == "uninit" or text in (
                "optimised out", "not saved"):
            continue
        seen.add(v["name"])
        if text != want[v["name"]]:
            wrong.append(f"step {s['index']} {fn}.{v['name']} = {text}")
    check("gcc -O2 registers: every value shown is the true one (neg -5, not 4294967291)",
          not wrong, wrong[:3])
    check("gcc -O2 registers: neg, k, half, d and s (a double in xmm0) are shown",
          {"neg", "k", "half", "d", "s"} <= seen, seen)
    said = gdb_answers(os.path.join(work, "regs_o2"), "diff", {"k": "-5"},
                       note_to=lambda *_: None)
    ks = [v["value"].get("text") for s, fn, v in values(t) if fn == "diff" and v["name"] == "k"]
    check("gcc -O2 registers: k entering diff is gdb's", ks and ks[0] == said["k"], (ks, said))
    check("gcc -O2 registers: k stays -5 in every step of diff once rdx is reused (its entry "
          "value, from main's call site: gdb's k@entry)", len(ks) >= 2 and set(ks) == {"-5"}, ks)
    out = sorted({v["name"] for s, fn, v in values(t) if v["value"].get("text") == "optimised out"})
    return "traced: neg -5, half 2.5, k -5, s 10.0; optimised out: " + ", ".join(out)


def g1_build():
    if not build(["cc", "-g1", ADD_C, "-o", "add_g1"]):
        return "skipped"
    rc, err, t = run("./add_g1")
    if not check("gcc -g1: traced", t is not None, err):
        return "FAILED"
    return lines_only_facts("gcc -g1", t, ["main", "add"])


def refused_build(cmd, exe, words):
    """A build whose debug information cannot give frames: refused, saying to compile with -g."""
    if not build(cmd):
        return f"skipped: cannot build with {cmd[0]}"
    return refused(" ".join(cmd[:2]), exe, words)


# ---- Rust ---------------------------------------------------------------------------------
def rust_build(flags, exe):
    if not RUSTC:
        return "skipped: no rustc"
    if not build([RUSTC, *flags, ADD_RS, "-o", exe]):
        return "skipped: rustc failed"
    rc, err, t = run("./" + exe)
    name = "rustc " + " ".join(flags)
    if not check(f"{name}: traced", t is not None, err):
        return "FAILED"
    if "debuginfo=1" in " ".join(flags):
        return lines_only_facts(name, t, ["main", "add"])
    return add_facts(name, t, "optimised")


def unoptimised_build(label, cmd, exe):
    """A debug build is not said to be optimised: no sign mistaken for one (rustc's debug
    builds keep a value passed by reference in a location list)."""
    if not shutil.which(cmd[0]) or not build(cmd):
        return f"skipped: no {cmd[0]}"
    rc, err, t = run("./" + exe)
    check(f"{label}: traced without a note (optimisation null)",
          t is not None and t.get("optimisation") is None and not t.get("build_note") and
          "note:" not in err, (t or {}).get("optimisation"))
    return "traced, no note"


builds = [
    ("gcc -g -static", static_build),
    ("gcc -g -static-pie", static_pie_build),
    ("gcc -g -static examples/*.c", static_examples_build),
    ("gcc -g -m32", m32_build),
    ("gcc -g -fsanitize=address",
     lambda: sanitizer_build("-fsanitize=address", ["AddressSanitizer", "without -fsanitize=address"])),
    ("gcc -g -fsanitize=thread",
     lambda: sanitizer_build("-fsanitize=thread", ["ThreadSanitizer", "without -fsanitize=thread"])),
    ("gcc -g -fsanitize=undefined", ubsan_build),
    ("gcc -g -Og", lambda: c_opt_build("cc", "-Og", "-Og", "add_og", "gcc -Og")),
    ("gcc -g -O2", lambda: c_opt_build("cc", "-O2", "-O2", "add_o2", "gcc -O2")),
    ("gcc -g -O2 (list)", list_o2_build),
    ("gcc -g -O2 (registers)", regs_build),
    ("clang -g -O2", lambda: c_opt_build("clang", "-O2", "optimised", "add_clang_o2", "clang -O2")),
    ("gcc -g1", g1_build),
    ("clang -gline-tables-only", lambda: refused_build(
        ["clang", "-gline-tables-only", ADD_C, "-o", "add_glt"], "./add_glt",
        ["line tables", "no functions", "compile with -g"])),
    ("gcc (no -g)", lambda: refused_build(
        ["cc", "-g0", ADD_C, "-o", "add_g0"], "./add_g0", ["no debug information", "compile with -g"])),
    ("rustc -g -C opt-level=1", lambda: rust_build(["-g", "-C", "opt-level=1"], "radd_o1")),
    ("rustc -g -C opt-level=2", lambda: rust_build(["-g", "-C", "opt-level=2"], "radd_o2")),
    ("rustc -C debuginfo=1", lambda: rust_build(["-C", "debuginfo=1"], "radd_g1")),
    ("rustc -g heap_types.rs", lambda: unoptimised_build(
        "rustc -g heap_types.rs", [RUSTC or "rustc", "-g", os.path.join(src, "examples", "rust",
                                                              "heap_types.rs"), "-o", "rheap"],
        "rheap")),
    ("clang -g -O0", lambda: unoptimised_build(
        "clang -g -O0", ["clang", "-g", "-O0", ADD_C, "-o", "add_clang_o0"], "add_clang_o0")),
]
for label, fn in builds:
    table.append((label, fn()))

width = max(len(b) for b, _ in table)
print()
print(f"{'build':<{width}}  result")
print(f"{'-' * width}  {'-' * 60}")
for b, r in table:
    print(f"{b:<{width}}  {r}")
print()
finish()

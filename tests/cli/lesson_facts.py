#!/usr/bin/env python3
"""tests/cli/lesson_facts.py — the lesson's facts, read from `stackheap run --json` traces
of real programs: the lesson's own (examples/, in C and in Rust) and a few more (a struct by
value and by pointer, a growing realloc buffer, a move in Rust, a stack overflow, return
values; the linked list's links are test_run.sh's). Run by test_lesson.sh; prints "ok"/"FAIL"
per fact and "N passed, N failed".

Usage: lesson_facts.py STACKHEAP_BIN SOURCE_DIR BUILD_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, c_compiler, check, finish, load_trace  # noqa: E402

BIN, SRC, BUILD, WORK = sys.argv[1:5]


def trace(name, argv, env=None, limit=None):
    """Runs stackheap run --json on argv; returns the trace (None if it failed)."""
    out = os.path.join(WORK, name + ".json")
    cmd = [BIN, "run", "--json", out] + (["--max-steps", str(limit)] if limit else []) + ["--"] + argv
    r = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=300, env=env)
    if r.returncode != 0 or not os.path.exists(out):
        check(f"{name}: traced", False, f"exit {r.returncode}: {r.stderr.strip()[:300]}")
        return None
    return load_trace(out)


def compile_c(name, text, flags=("-g", "-O0")):
    path = os.path.join(WORK, name + ".c")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run([*c_compiler(), *flags, "-o", os.path.join(WORK, name), path], check=True)
    return os.path.join(WORK, name)




def compile_rust(name, path):
    exe = os.path.join(WORK, name)
    subprocess.run([RUSTC, "-g", "-o", exe, path], check=True, capture_output=True)
    return exe


def compile_rust_text(name, text):
    path = os.path.join(WORK, name + ".rs")
    with open(path, "w") as f:
        f.write(text)
    return compile_rust(name, path)


# ---- reading a trace ---------------------------------------------------------------------

def top(step):
    return step["frames"][-1] if step["frames"] else None


def var(frame, name):
    return next((v for v in frame["vars"] if v["name"] == name), None) if frame else None


def val(frame, name):
    v = var(frame, name)
    if v is None:
        return None
    return "?" if v["value"]["kind"] == "uninit" else v["value"].get("value")


def block(step, v):
    """The heap block a handle or pointer variable points into, or None."""
    bid = v["value"].get("block")
    return next((b for b in step["heap"] if b["id"] == bid), None) if bid is not None else None


def events(t, kind):
    return [(s["index"], e) for s in t["steps"] for e in s["events"] if e["kind"] == kind]


def elems(blk, size, count):
    """`count` little-endian signed elements of `size` bytes from a block's copied bytes."""
    data = bytes.fromhex(blk.get("bytes_hex") or "")
    return [int.from_bytes(data[i * size:(i + 1) * size], "little", signed=True) for i in range(count)
            if (i + 1) * size <= len(data)]


# ---- the lesson's programs ---------------------------------------------------------------

def lesson_add(t, lang):
    steps = t["steps"]
    in_add = [s for s in steps if top(s) and top(s)["function"] == "add"]
    check(f"{lang} add: add() is called with a = 5, b = 10",
          any(val(top(s), "a") == 5 and val(top(s), "b") == 10 for s in in_add))
    check(f"{lang} add: main's sum is ? while add runs",
          in_add and all(val(s["frames"][0], "sum") == "?" for s in in_add))
    rets = [e for _, e in events(t, "return") if e.get("function") == "add"]
    check(f"{lang} add: add() returns 15", any(e.get("value") == 15 for e in rets), rets)
    if lang == "c":   # rustc keeps no debug information for a `let` that is returned as is
        check(f"{lang} add: result = ? and then 15 in add's frame",
              any(val(top(s), "result") == "?" for s in in_add) and
              any(val(top(s), "result") == 15 for s in in_add))
    check(f"{lang} add: sum = 15 in main after the return",
          any(len(s["frames"]) == 1 and val(s["frames"][0], "sum") == 15 for s in steps))
    titles = [s["title"] for s in steps]
    check(f"{lang} add: the steps are titled add() called / add() returned 15",
          "add() called" in titles and "add() returned 15" in titles, titles)
    check(f"{lang} add: two frames at the deepest step, main at the bottom",
          max(len(s["frames"]) for s in steps) == 2 and in_add and in_add[0]["frames"][0]["function"] == "main")


def lesson_stack_types(t, lang):
    want = {"x": 4, "y": 8, "pi": 8, "active": 1, "point": 16, "matrix": 36, "origin": 24}
    best = {}
    for s in t["steps"]:
        f = s["frames"][0] if s["frames"] else None
        for name in want:
            v = var(f, name)
            if v and v["value"]["kind"] != "uninit":
                best[name] = v
    sizes = {n: best[n]["size"] for n in best}
    check(f"{lang} stack_types: sizes x 4, y 8, pi 8, active 1, point 16, matrix 36, origin 24",
          sizes == want, sizes)
    check(f"{lang} stack_types: values x 42, y 1000000, active true",
          best.get("x", {}).get("value", {}).get("value") == 42 and
          best.get("y", {}).get("value", {}).get("value") == 1000000 and
          best.get("active", {}).get("value", {}).get("value") is True,
          {n: best[n]["value"].get("text") for n in best})
    check(f"{lang} stack_types: nothing on the heap", all(not s["heap"] for s in t["steps"]))


def lesson_heap_types(t, lang):
    steps = t["steps"]
    facts = {}
    for s in steps:
        f = s["frames"][0] if s["frames"] else None
        for name in ("name", "numbers", "boxed"):
            v = var(f, name)
            if v and v["value"]["kind"] == "owned" and not v["value"]["stale"] and block(s, v):
                facts[name] = (s, v, block(s, v))
    ok = "name" in facts
    if ok:
        s, v, b = facts["name"]
        text = bytes(elems(b, 1, v["value"]["len"])).decode(errors="replace") if b else ""
        check(f"{lang} heap_types: name {{ptr, len 13, cap 13}} -> \"Hello, world!\"",
              v["value"]["len"] == 13 and v["value"]["cap"] == 13 and text == "Hello, world!",
              (v["value"].get("text"), text))
        check(f"{lang} heap_types: name is 24 bytes on the stack", v["size"] == 24, v["size"])
    else:
        check(f"{lang} heap_types: name points to a heap block", False)
    if "numbers" in facts:
        s, v, b = facts["numbers"]
        check(f"{lang} heap_types: numbers {{ptr, len 3, cap 4}} -> [1, 2, 3, _]",
              v["value"]["len"] == 3 and v["value"]["cap"] == 4 and elems(b, 4, 3) == [1, 2, 3] and
              b["size"] == 16, (v["value"].get("text"), elems(b, 4, 3), b["size"]))
        check(f"{lang} heap_types: numbers is 24 bytes on the stack", v["size"] == 24)
    else:
        check(f"{lang} heap_types: numbers points to a heap block", False)
    if "boxed" in facts:
        s, v, b = facts["boxed"]
        want_line = 31 if lang == "c" else 18   # sh_box_new(...) / Box::new(42)
        check(f"{lang} heap_types: boxed's block was allocated on the line of its Box::new",
              (b["alloc_file"] or "").endswith("heap_types." + ("c" if lang == "c" else "rs")) and
              b["alloc_line"] == want_line, (b["alloc_file"], b["alloc_line"]))
        check(f"{lang} heap_types: boxed {{ptr}} (8 bytes) -> 42 (4 bytes)",
              v["size"] == 8 and elems(b, 4, 1) == [42] and b["size"] == 4, (v["size"], b))
    else:
        check(f"{lang} heap_types: boxed points to a heap block", False)
    drops = [e.get("function") for _, e in events(t, "drop")]
    check(f"{lang} heap_types: dropped in the order boxed, numbers, name", drops == ["boxed", "numbers", "name"], drops)
    frees = [(i, e["block_id"]) for i, e in events(t, "free")]
    check(f"{lang} heap_types: every block freed, no leak", len(frees) == 3 and t["leaks"] == [], (frees, t["leaks"]))
    grew = [s["title"] for s in steps if "push" in s["title"] and "len 3, cap 4" in s["title"]]
    check(f"{lang} heap_types: a step narrates the third push (len 3, cap 4)", grew, [s["title"] for s in steps])
    last = steps[-1]
    check(f"{lang} heap_types: the last step has no frames and an empty heap", not last["frames"] and not last["heap"])
    if lang == "c":   # printf(... over lines 35-37: one step at its first line, no hopping
        lines = [s["line"] for s in steps if s["frames"] and s["frames"][-1]["function"] == "main"]
        check("c heap_types: the printf written over three lines is one step at its first line",
              35 in lines and 36 not in lines and 37 not in lines, lines)
    else:             # the } step: boxed has left DWARF's scope but is not dropped yet
        at_brace = [s for s in steps if s["line"] == 23 and s["frames"]]
        check("rust heap_types: at the closing brace all three handles are still in the frame",
              at_brace and {v["name"] for v in at_brace[0]["frames"][0]["vars"]} >= {"name", "numbers", "boxed"},
              [[v["name"] for v in s["frames"][0]["vars"]] for s in at_brace])


# ---- more programs -----------------------------------------------------------------------

STRUCTS = r"""
struct point { int x, y; };

static int by_value(struct point p) {
    p.x = 100;
    return p.x + p.y;
}

static void by_pointer(struct point *p) {
    p->x = 10;
}

int main(void) {
    struct point origin = {1, 2};
    int sum = by_value(origin);
    by_pointer(&origin);
    return sum + origin.x == 113 ? 0 : 1;
}
"""

REALLOC = r"""
#include <stdlib.h>
#include <string.h>

int main(void) {
    size_t cap = 4;
    char *buf = malloc(cap);
    for (int i = 0; i < 4; i++) {
        cap *= 2;
        buf = realloc(buf, cap);
        memset(buf, 'a' + i, cap);
    }
    free(buf);
    return 0;
}
"""

OVERFLOW = r"""
static int down(int n) {
    char pad[8192];
    pad[0] = (char)n;
    return down(n + 1) + pad[0];
}

int main(void) {
    return down(0);
}
"""

FLOATS = r"""
static double half(double x) {
    return x / 2;
}

static float third(float x) {
    return x / 3;
}

static char grade(int score) {
    return score > 50 ? 'A' : 'F';
}

int main(void) {
    double h = half(5.0);
    float t = third(1.5f);
    char g = grade(70);
    return h == 2.5 && t == 0.5f && g == 'A' ? 0 : 1;
}
"""

VALUES_RS = r"""
#[derive(Debug)]
enum Shape {
    Circle(f64),
    Rect { w: u32, h: u32 },
    Empty,
}

fn main() {
    let a = Shape::Circle(1.5);
    let b = Shape::Rect { w: 3, h: 4 };
    let c = Shape::Empty;
    let o: Option<i32> = Some(7);
    let n: Option<i32> = None;
    let r: Result<u8, bool> = Err(true);
    let s: &str = "hi";
    let sl: &[i32] = &[1, 2, 3];
    println!("{:?} {:?} {:?} {:?} {:?} {:?} {} {:?}", a, b, c, o, n, r, s, sl);
}
"""

MOVE_RS = r"""
fn take(s: String) -> usize {
    let n = s.len();
    n
}

fn main() {
    let a = String::from("moved");
    let b = a;
    let n = take(b);
    let mut v: Vec<i64> = Vec::new();
    for i in 0..5 {
        v.push(i);
    }
    println!("{} {:?}", n, v);
}
"""


def structs(t):
    steps = t["steps"]
    bv = [s for s in steps if top(s) and top(s)["function"] == "by_value"]
    p = var(top(bv[0]), "p") if bv else None
    check("struct by value: by_value's p is a copy {x 1, y 2}, 8 bytes",
          p and p["size"] == 8 and p["value"]["kind"] == "struct" and p["value"].get("text") == "{x: 1, y: 2}",
          p and p["value"].get("text"))
    check("struct by value: main's origin stays {x 1, y 2} while the copy changes",
          any(var(top(s), "p") is not None and var(top(s), "p")["value"].get("text", "").startswith("{x: 100") and
              var(s["frames"][0], "origin")["value"]["text"] == "{x: 1, y: 2}" for s in bv))
    bp = [s for s in steps if top(s) and top(s)["function"] == "by_pointer"]
    ok = False
    for s in bp:
        ptr = var(top(s), "p")
        org = var(s["frames"][0], "origin")
        if ptr and org and ptr["value"]["kind"] == "pointer":
            ok = int(ptr["value"]["addr"], 16) == int(org["addr"], 16) and ptr["size"] == 8
    check("struct by pointer: by_pointer's p (8 bytes) holds the address of main's origin", ok)
    after = [s for s in steps if len(s["frames"]) == 1 and var(s["frames"][0], "origin") and
             var(s["frames"][0], "origin")["value"].get("text") == "{x: 10, y: 2}"]
    check("struct by pointer: main's origin.x is 10 after the call", after)
    rets = [e.get("value") for _, e in events(t, "return") if e.get("function") == "by_value"]
    check("struct by value: by_value returns 102", rets == [102], rets)


def realloc_buffer(t):
    rs = [e for _, e in events(t, "realloc")]
    allocs = [e for _, e in events(t, "alloc")]
    ids = {e["block_id"] for e in rs} | {e["block_id"] for e in allocs}
    check("realloc buffer: one block, grown 4 times to 8, 16, 32, 64 bytes",
          len(allocs) == 1 and [e["size"] for e in rs] == [8, 16, 32, 64] and len(ids) == 1,
          ([e["size"] for e in rs], ids))
    seen = [(s["index"], block(s, var(top(s), "buf"))["size"]) for s in t["steps"]
            if top(s) and var(top(s), "buf") and var(top(s), "buf")["value"]["kind"] == "pointer"
            and block(s, var(top(s), "buf"))]
    check("realloc buffer: buf points into the block at every size",
          sorted({n for _, n in seen}) == [4, 8, 16, 32, 64], seen)
    check("realloc buffer: freed at the end, no leak", len(events(t, "free")) == 1 and t["leaks"] == [])


def overflow(t):
    sig = [e for _, e in events(t, "signal")]
    text = sig[-1].get("text", "") if sig else ""
    check("stack overflow: the last step says stack overflow, the depth and the limit",
          "stack overflow" in text and "frames deep" in text and "1.0 MiB" in text, text)
    last = t["steps"][-1]
    check("stack overflow: the crash step shows the recursion (many down frames, main at the bottom)",
          len(last["frames"]) >= 50 and last["frames"][0]["function"] == "main" and
          last["frames"][-1]["function"] == "down", len(last["frames"]))
    check("stack overflow: the trace records SIGSEGV as the end", t["signal"] == 11, t["signal"])
    check("stack overflow: the step's depth counts every frame, also those left out",
          last["depth"] > len(last["frames"]) == 100 and f"{last['depth']} frames deep" in text,
          (last["depth"], len(last["frames"]), text))


def floats(t):
    rets = {e.get("function"): e.get("value") for _, e in events(t, "return") if e.get("function") != "main"}
    check("return values: a double (xmm0) 2.5, a float 0.5, a char 65", rets == {"half": 2.5, "third": 0.5, "grade": 65}, rets)


def rust_values(t):
    want = {"a": "Circle(1.5)", "b": "Rect { w: 3, h: 4 }", "c": "Empty", "o": "Some(7)",
            "n": "None", "r": "Err(true)", "s": '"hi"', "sl": "[1, 2, 3]"}
    got = {}
    for s in t["steps"]:
        for v in (s["frames"][0]["vars"] if s["frames"] else []):
            if v["name"] in want and v["value"]["kind"] != "uninit":
                got[v["name"]] = v["value"].get("text")
    check("rust values: enums as Debug writes them, &str as its text, a slice's elements", got == want, got)
    fns = {f["function"] for s in t["steps"] for f in s["frames"]}
    check("rust values: #[derive(Debug)]'s generated fmt is not stepped into", fns == {"main"}, fns)


def rust_move(t):
    stale = [s for s in t["steps"] if s["frames"] and var(s["frames"][0], "a") and
             var(s["frames"][0], "a")["value"]["kind"] == "owned" and var(s["frames"][0], "a")["value"]["stale"]]
    fresh_b = [s for s in stale if var(s["frames"][0], "b")["value"]["kind"] == "owned" and
               not var(s["frames"][0], "b")["value"]["stale"]]
    check("rust move: after let b = a, a is stale and b owns the block", fresh_b)
    drops = [e.get("function") for _, e in events(t, "drop")]
    check("rust move: take's s is dropped inside take, then v at main's end", drops == ["s", "v"], drops)
    rets = [e.get("value") for _, e in events(t, "return") if e.get("function") == "take"]
    check("rust move: take() returns 5", rets == [5], rets)
    caps = []
    for s in t["steps"]:
        v = var(s["frames"][0], "v") if s["frames"] else None
        if v and v["value"]["kind"] == "owned" and v["value"]["cap"] not in caps:
            caps.append(v["value"]["cap"])
    check("rust move: v's capacity grows 0, 4, 8 as the lesson's growth policy says", caps == [0, 4, 8], caps)


def sanitized(exe):
    """The sanitizer build's programs allocate through ASan's malloc, not libc's: their heap
    is not the lesson's, so the C programs of that build are left to the other builds."""
    with open(exe, "rb") as f:
        return b"__asan_init" in f.read()


def lesson_programs():
    """The folder of the lesson's C programs: CMake's build/lesson (built with cc), or, when the
    tests build with another compiler or flags (SH_TEST_CC, SH_TEST_CFLAGS), a folder of the
    same programs built again from examples/ with those, as CMake builds them (-g -O0, own.h,
    libstackheap.a)."""
    if c_compiler() == ["cc"]:
        return os.path.join(BUILD, "lesson")
    out = os.path.join(WORK, "lesson")
    os.makedirs(out, exist_ok=True)
    # the sanitizer variant's library is built with ASan; its plain copy (CMakeLists.txt's
    # stackheap_plain) is the one the lesson's programs link for the tracer
    plain = os.path.join(BUILD, "libstackheap_plain.a")
    lib = plain if os.path.exists(plain) else os.path.join(BUILD, "libstackheap.a")
    for name in ("add", "stack_types", "heap_types", "drop_order"):
        subprocess.run([*c_compiler(), "-g", "-O0", "-I", os.path.join(SRC, "include"),
                        "-o", os.path.join(out, name), os.path.join(SRC, "examples", name + ".c"),
                        lib, "-pthread"], check=True)
    return out


def main():
    lesson = lesson_programs()
    c_ok = not sanitized(os.path.join(lesson, "add"))
    if not c_ok:
        print("skip c lesson programs: this build instruments them with AddressSanitizer")
    for name, fn in (("add", lesson_add), ("stack_types", lesson_stack_types),
                     ("heap_types", lesson_heap_types)):
        t = trace("c_" + name, [os.path.join(lesson, name)]) if c_ok else None
        if t:
            check(f"c {name}: language c, exit 0", t["language"] == "c" and t["exit_code"] == 0)
            fn(t, "c")
        if RUSTC:
            t = trace("rust_" + name, [compile_rust("rust_" + name, os.path.join(SRC, "examples", "rust", name + ".rs"))])
            if t:
                check(f"rust {name}: language rust, exit 0", t["language"] == "rust" and t["exit_code"] == 0)
                fn(t, "rust")
        else:
            print(f"skip rust {name}: no rustc (or SH_TEST_C_ONLY is set)")
    t = trace("c_drop_order", [os.path.join(lesson, "drop_order")]) if c_ok else None
    if t:
        drops = [e.get("function") for _, e in events(t, "drop")]
        check("c drop_order: values dropped last declared first, in every scope",
              drops[:3] == ["boxed", "numbers", "name"], drops)
    t = trace("structs", [compile_c("structs", STRUCTS)])
    if t:
        structs(t)
    t = trace("floats", [compile_c("floats", FLOATS)])
    if t:
        floats(t)
    t = trace("realloc", [compile_c("realloc", REALLOC)])
    if t:
        realloc_buffer(t)
    exe = compile_c("overflow", OVERFLOW)
    # the traced program inherits stackheap's stack limit: 1 MiB is 60-odd frames of 16 KiB
    out = os.path.join(WORK, "overflow.json")
    r = subprocess.run(["sh", "-c", f'ulimit -s 1024 && exec "{BIN}" run --json "{out}" -- "{exe}"'],
                       cwd=WORK, capture_output=True, text=True, timeout=300)
    if os.path.exists(out):
        overflow(load_trace(out))
    else:
        check("stack overflow: traced", False, r.stderr[:300])
    for name, text, fn in (("moves", MOVE_RS, rust_move), ("values", VALUES_RS, rust_values)):
        t = trace(name, [compile_rust_text(name, text)]) if RUSTC else None
        if t:
            fn(t)
    finish()


main()

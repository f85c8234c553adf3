#!/usr/bin/env python3
"""tests/cpp/cpp_engine_facts.py — a C++ program's lifetimes as the trace tells them, read
from `stackheap run --json` of tests/cpp/cpp_engine_*.cpp, built here with one compiler
(g++ or clang++, -g -O0), checked against gdb where a value is involved:

- new / new[] of a struct and of ints: the program's blocks at their lines, allocated "by
  new" / "by new[]" (the events' text), typed by the pointers they are stored in, at the
  addresses gdb prints; delete / delete[] free them, told as such;
- a class holding a raw new'd buffer: its constructor, const method and destructor are
  frames of their own, the method's `this` the object's address (main's &a, &b, &c); three objects
  of one scope destroyed in reverse order: each "~Buffer() called" step drops the object
  by its name (c, b, a), then its buffer is freed by delete[];
- a user class on the heap: `delete n` runs ~Node() on the block n points to ("~Node() ran:
  block #1 freed by delete"), after the block its member owned;
- a throw caught two frames up: inner() and middle() popped by an "exception" (not C's
  longjmp, not Rust's panic), innermost first, main alone on the stack after;
- a throw unwinding through middle(), whose Guard g owns a block: inner() popped, ~Guard()
  called on g ("g dropped"), g.held freed by delete, middle() popped, in that order, each
  compiler's landing pads alike;
- a lambda's body a frame of its own (g++'s operator() is declared only inside main);
- a vector<std::string> growing: no frame but main's in any step (std:: template code is
  not the user's), the vector's buffer the program's ("by new") at the line that grew it,
  and the strings' own buffers inside it shown too, at the addresses gdb prints;
- the lesson's heap_types.cpp (g++, as CMake builds it): numbers grows by new (no drop told
  for the buffer its growth deletes), and at main's end boxed's block, then numbers' buffer,
  are freed by delete, as gdb's addresses, told as "boxed dropped, numbers dropped";
- the --pytutor exports (Python Tutor's C/C++ backend encoding, drawn with lang: 'cpp')
  valid by tests/cli/pytutor_check.py: a method's `this` a pointer to its object's
  C_STRUCT in main's frame (the front end's arrow), the strings' buffers in the heap.

Run by test_cpp_engine.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: cpp_engine_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR COMPILER
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from factcheck import check, cxx_facts_setup, events, find_var, finish, gdb_answers, hexes, line_of, trace_json  # noqa: E402
import pytutor_check  # noqa: E402

BIN, SRC, WORK, CXX, TAG, build = cxx_facts_setup()


def name(fact):
    return f"{TAG}: {fact}"


def pytutor(exe):
    """`stackheap run --pytutor` of `exe`, read back and held to the backend's encoding
    (None, with the reason checked as a failure, if it breaks it)."""
    out = exe + ".opt.json"
    subprocess.run([BIN, "run", "--pytutor", out, "--", exe], check=True, cwd=WORK,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    doc = pytutor_check.load(out)
    try:
        pytutor_check.validate(doc)
    except AssertionError as e:
        check(name(f"{os.path.basename(exe)}: the Python Tutor export is valid"), False, str(e))
        return None
    return doc


# ---- new / delete ----------------------------------------------------------------------------
exe, source = build("cpp_engine_new")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, f"{os.path.basename(source)}:{line_of(source, 'nums[2] =')}",
                   {"p": "(Point *) 0x55555556aeb0", "nums": "(int *) 0x55555556aed0",
                    "*p": "{x = 3, y = 4}"})
p_addr, nums_addr = hexes(said["p"])[0], hexes(said["nums"])[0]
allocs = events(t, "alloc")
by_addr = {int(e["addr"], 16): (s, e) for s, e in allocs}
def alloc_line(t, addr):
    """The line that allocated the block at `addr`, as the step its allocation is told in
    says (the step after the line ran: the title quotes it)."""
    s = next((s for s, e in events(t, "alloc") if int(e["addr"], 16) == addr), None)
    b = next((b for b in (s or {}).get("heap", []) if int(b["addr"], 16) == addr), None)
    return b and b["alloc_line"]


mid = next(s for s in t["steps"] if s["line"] == line_of(source, "delete p"))
pb = next((b for b in mid["heap"] if int(b["addr"], 16) == p_addr), None)
check(name("new Point: the program's block at gdb's p, by new at its line, typed by p, x and y "
           "as gdb prints them"),
      p_addr in by_addr and by_addr[p_addr][1].get("text") == "new" and
      alloc_line(t, p_addr) == line_of(source, "new Point") and pb is not None and
      (pb.get("type") or "").endswith("Point") and
      [f["value"]["text"] for f in pb["value"]["fields"]] == re.findall(r"= (\d+)", said["*p"]),
      [(e.get("text"), e["addr"], s["line"]) for s, e in allocs])
check(name("new int[4]: the program's block at gdb's nums, allocated by new[]"),
      nums_addr in by_addr and by_addr[nums_addr][1].get("text") == "new[]" and
      by_addr[nums_addr][1]["size"] == 16, [(e.get("text"), e["addr"]) for s, e in allocs])
frees = events(t, "free")
check(name("delete p, then delete[] nums: each free told by its operator, in order"),
      [(int(e["addr"], 16), e.get("text")) for s, e in frees] ==
      [(p_addr, "delete"), (nums_addr, "delete[]")],
      [(e["addr"], e.get("text")) for s, e in frees])
check(name("the titles say the operators"),
      any("allocated by new (block #1)" in s["title"] for s in t["steps"]) and
      any("freed by delete[]" in s["title"] for s in t["steps"]),
      [s["title"] for s in t["steps"]])

# ---- a class with a constructor, a method, a destructor; three objects in one scope ---------
exe, source = build("cpp_engine_class")
t = trace_json(BIN, exe, WORK)
fns = {f["function"] for s in t["steps"] for f in s["frames"]}
said = gdb_answers(exe, f"{os.path.basename(source)}:{line_of(source, 'total = a.sum()')}",
                   {"a.data": "(int *) 0x55555556aeb0", "b.data": "(int *) 0x55555556aed0",
                    "c.data": "(int *) 0x55555556aef0"})
datas = {k: hexes(said[k + ".data"])[0] for k in "abc"}
# stack addresses differ between gdb's run and the tracer's (the environment above the
# stack): `this` is held to the trace's own &a, &b, &c, in the order of the calls
in_sum = [s for s in t["steps"] if s["frames"] and s["frames"][-1]["function"] == "sum" and
          s["events"] and s["events"][0]["kind"] == "call"]
this_seen = [hexes(find_var(s, "this")["value"]["text"])[0] if find_var(s, "this") else None
             for s in in_sum]
objs = [int(find_var(s, k)["addr"], 16) for s, k in zip(in_sum, "abc")]
check(name("constructor, method and destructor are frames; sum()'s `this` is the address of "
           "a, then b, then c"),
      {"main", "Buffer", "sum", "~Buffer"} <= fns and len(in_sum) == 3 and this_seen == objs,
      (sorted(fns), this_seen, objs))
drops = [(s, e) for s, e in events(t, "drop")]
check(name("the scope's end drops c, b, a: reverse declaration order"),
      [e["function"] for s, e in drops] == ["c", "b", "a"], [e["function"] for s, e in drops])
check(name("each drop is on its ~Buffer() call step, said by the destructor"),
      all(any(x["kind"] == "call" and x["function"] == "~Buffer" for x in s["events"]) and
          e.get("text") == "~Buffer()" and f"{e['function']} dropped" in s["title"]
          for s, e in drops) and len(drops) == 3, [(s["title"], e) for s, e in drops])
order = [(e["kind"], e.get("function") or int(e["addr"], 16)) for s in t["steps"]
         for e in s["events"] if e["kind"] in ("drop", "free")]
check(name("each object's buffer freed by delete[] after its drop, before the next drop"),
      order == [("drop", "c"), ("free", datas["c"]), ("drop", "b"), ("free", datas["b"]),
                ("drop", "a"), ("free", datas["a"])] and
      all(e.get("text") == "delete[]" for s, e in events(t, "free")), order)

doc = pytutor(exe)
entries = [e for e in doc["trace"] if e["stack_to_render"] and
           e["stack_to_render"][-1]["func_name"] == "sum"] if doc else []
arrows = []
for e in entries:
    this = e["stack_to_render"][-1]["encoded_locals"].get("this")
    mains = e["stack_to_render"][0]["encoded_locals"]
    held = {v[1]: k for k, v in mains.items() if v[0] == "C_STRUCT" and v[2] == "Buffer"}
    arrows.append(held.get(this[3]) if this and this[2] == "pointer" else None)
check(name("Python Tutor: sum()'s `this` points at a Buffer C_STRUCT of main's frame: a, b, c"),
      entries and sorted(set(arrows)) == ["a", "b", "c"] and None not in arrows,
      sorted(set(map(str, arrows))))

# ---- a user class on the heap --------------------------------------------------------------
exe, source = build("cpp_engine_node")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, f"{os.path.basename(source)}:{line_of(source, 'delete n;')}",
                   {"n": "(Node *) 0x55555556aeb0", "n->extra": "(int *) 0x55555556aed0"})
n_addr, extra_addr = hexes(said["n"])[0], hexes(said["n->extra"])[0]
in_dtor = [s for s in t["steps"] if s["frames"] and s["frames"][-1]["function"] == "~Node"]
this_ok = in_dtor and all(find_var(s, "this") and
                          hexes(find_var(s, "this")["value"]["text"]) == [n_addr] for s in in_dtor)
check(name("~Node()'s `this` is the block n points to (gdb's n); the member's block freed by "
           "delete, then the object's: ~Node() ran (no drop: the free tells it)"),
      this_ok and [(int(e["addr"], 16), e.get("text")) for s, e in events(t, "free")] ==
      [(extra_addr, "delete"), (n_addr, "delete")] and
      any(s["title"] == "~Node() ran: block #1 freed by delete" for s in t["steps"]) and
      not events(t, "drop"), [s["title"] for s in t["steps"]])

# ---- a throw caught two frames up ------------------------------------------------------------
exe, source = build("cpp_engine_throw")
t = trace_json(BIN, exe, WORK)
popped = [(s, e) for s, e in events(t, "return") if e.get("text")]
check(name("inner() and middle() popped by an exception, innermost first"),
      [(e["function"], e["text"]) for s, e in popped] ==
      [("inner", "exception"), ("middle", "exception")] and
      len({s["index"] for s, e in popped}) == 1, [(e["function"], e.get("text")) for s, e in popped])
at = popped[0][0] if popped else None
got = find_var(t["steps"][-2], "got")
check(name("the exception's step: main alone on the stack, titled by it; the catch ran"),
      at is not None and [f["function"] for f in at["frames"]] == ["main"] and
      at["title"] == "exception: popped inner(), middle()" and
      got is not None and got["value"]["text"] == "-1", (at and at["title"], got))

# ---- a throw unwinding through a frame with an object that owns a block ----------------------
exe, source = build("cpp_engine_unwind")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, f"{os.path.basename(source)}:{line_of(source, 'int r = inner(n);')}",
                   {"g.held": "(int *) 0x55555556aeb0"})
held = hexes(said["g.held"])[0]
story = [(e["kind"], e.get("function"), e.get("text")) for s in t["steps"] for e in s["events"]
         if e["kind"] in ("drop", "free") or (e["kind"] == "return" and e.get("text"))]
frees = [int(e["addr"], 16) for s, e in events(t, "free")]
check(name("the unwinding pops inner(), runs ~Guard() (g dropped, g.held freed by delete), "
           "pops middle()"),
      story[:4] == [("return", "inner", "exception"), ("drop", "g", "~Guard()"),
                    ("free", None, "delete"), ("return", "middle", "exception")] and
      frees[:1] == [held], (story, [hex(f) for f in frees], hex(held)))
titles = [s["title"] for s in t["steps"]]
# delete held's free is told in ~Guard()'s own return step (a one-line destructor's return
# has a step of its own, as gdb's finish stops there) or, without one, in middle()'s pop
freed_told = [i for i, x in enumerate(titles) if x.endswith("block #1 freed by delete") and
              (x.startswith("~Guard() returned") or x.startswith("exception: popped middle()"))]
check(name("its steps: 'exception: popped inner()', '~Guard() called; g dropped', "
           "'block #1 freed by delete', 'exception: popped middle()', in that order"),
      "exception: popped inner()" in titles and "~Guard() called; g dropped" in titles and
      len(freed_told) == 1 and any(x.startswith("exception: popped middle()") for x in titles) and
      titles.index("exception: popped inner()") < titles.index("~Guard() called; g dropped")
      < freed_told[0] <= min(i for i, x in enumerate(titles)
                             if x.startswith("exception: popped middle()")),
      titles)

# ---- a lambda -----------------------------------------------------------------------------
exe, source = build("cpp_engine_lambda")
t = trace_json(BIN, exe, WORK)
inside = [s for s in t["steps"] if s["frames"] and s["frames"][-1]["function"] == "operator()"]
rets = [e for s, e in events(t, "return") if e["function"] == "operator()"]
check(name("a lambda's body is a frame: operator() called from main, its local sum, "
           "returned 15 (g++: fails on main; clang++ had it)"),
      inside and [f["function"] for f in inside[0]["frames"]] == ["main", "operator()"] and
      any(s["line"] == line_of(source, "return sum;") and
          (find_var(s, "sum") or {}).get("value", {}).get("text") == "15" for s in inside) and
      [e.get("value") for e in rets] == [15], ([s["title"] for s in t["steps"]], rets))

# ---- a vector<std::string> growing -----------------------------------------------------------
exe, source = build("cpp_engine_vector")
t = trace_json(BIN, exe, WORK)
fns = {f["function"] for s in t["steps"] for f in s["frames"]}
pr = line_of(source, "std::printf")
# std::string's first word is its data pointer (clang leaves the type undefined for gdb)
first = "names._M_impl._M_start"
said = gdb_answers(exe, f"{os.path.basename(source)}:{pr}",
                   {first: "(std::string *) 0x55555556b330",
                    f"*(char **){first}": "0x55555556aeb0 \"a string too long for the small buffer\"",
                    f"*(char **)((char *){first} + 64)": "0x55555556b2f0 \"another string\""})
buf = hexes(said[first])[0]
s0 = hexes(said[f"*(char **){first}"])[0]
s2 = hexes(said[f"*(char **)((char *){first} + 64)"])[0]
step = next(s for s in t["steps"] if s["line"] == pr)
addrs = {int(b["addr"], 16): b for b in step["heap"]}
check(name("the vector's buffer and the long strings' buffers are blocks, at gdb's addresses, "
           "the strings' of the push_back lines"),
      {buf, s0, s2} <= set(addrs) and
      addrs[s0]["alloc_line"] == line_of(source, "too long") and
      addrs[s2]["alloc_line"] == line_of(source, "another string"),
      (hex(buf), hex(s0), hex(s2), [(hex(a), b["alloc_line"]) for a, b in addrs.items()]))
grow = {int(e["addr"], 16): (s, e) for s, e in events(t, "alloc")}
check(name("the vector's buffer: the program's, by new, at the line that grew it; no std:: "
           "template code as a frame"),
      fns == {"main"} and buf in grow and grow[buf][1].get("text") == "new" and
      alloc_line(t, buf) == line_of(source, "another string"), grow.get(buf))
doc = pytutor(exe)
last = [e for e in doc["trace"] if e["line"] == pr] if doc else []
check(name("Python Tutor: the vector's buffer and the strings' buffers are heap blocks"),
      last and {f"0x{a:x}" for a in (buf, s0, s2)} <= set(last[0]["heap"]),
      last and sorted(last[0]["heap"]))

# ---- the lesson's heap_types.cpp, as CMake builds it for the tracer --------------------------
lesson = os.path.join(os.path.dirname(BIN), "lesson", "heap_types_cpp")
if TAG == "g++" and os.access(lesson, os.X_OK):
    t = trace_json(BIN, lesson, WORK)
    src = os.path.join(SRC, "examples", "heap_types.cpp")
    said = gdb_answers(lesson, f"heap_types.cpp:{line_of(src, 'std::printf')}",
                       {"numbers._M_impl._M_start": "(int *) 0x55555556b2f0",
                        "*(int **)&boxed": "(int *) 0x55555556b310"})
    nums, boxed = hexes(said["numbers._M_impl._M_start"])[0], hexes(said["*(int **)&boxed"])[0]
    grew = [(s["line"], e["size"], e.get("text")) for s, e in events(t, "alloc")]
    end = t["steps"][-1]
    frees = [int(e["addr"], 16) for e in end["events"] if e["kind"] == "free"]
    check(name("lesson heap_types.cpp: numbers grows by new to 4, 8, 16 bytes; at main's end "
               "boxed's block then numbers' buffer freed by delete, told in the title as "
               "their handles' drops, boxed first (reverse declaration order)"),
          [g[1:] for g in grew] == [(4, "new"), (8, "new"), (16, "new"), (4, "new")] and
          frees == [boxed, nums] and
          end["title"].startswith("main() returned; boxed dropped, numbers dropped"),
          (grew, [hex(f) for f in frees], end["title"]))
    early = [(s["index"] if "index" in s else s["line"], e["function"]) for s, e in events(t, "drop")
             if s is not end]
    check(name("lesson heap_types.cpp: numbers' growth (new buffer, old one deleted) is no drop: "
               "nothing is dropped before main's end"), not early, early)

finish()

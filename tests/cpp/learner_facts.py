#!/usr/bin/env python3
"""tests/cpp/learner_facts.py — C++ programs a learner writes next (tests/cpp/learner_*.cpp),
traced with `stackheap run --json`, built here with one compiler (g++ or clang++, -std=c++17
-g -O0), their values held to gdb's:

- learner_list: a linked list's copy constructor new's three Nodes at its line, each typed
  Node, its values as gdb prints them; at main's end ~List() drops b, then a (reverse
  declaration order), each followed by its nodes freed by delete, head first;
- learner_words: the std::map<std::string, int> shows gdb's entries, its handle a len and no
  cap in the text view (was "cap: 4"); at main's end the map
  drops once, by its name, then the vector: "counts dropped, words dropped" (was
  "counts.right dropped, counts dropped, counts.left.right dropped, counts.left dropped");
- learner_shapes: Circle and Rect reached through std::vector<std::unique_ptr<Shape>>, their
  blocks read as Circle and Rect with gdb's fields (print -object on; were bare Shapes); the
  virtual area() returns 3.14159 and 6.0 (gdb's total); no title says a destructor "ran"
  on a block a drop names (was "~Rect() ran: block #4 freed by delete", #4 the vector's
  buffer, not the Rect);
- learner_record: a struct of a std::string and a std::vector<int> through make_record,
  total (gdb's t), with_bonus (a copy by value) and a move into a vector: ann's strings and
  scores as gdb prints them, r dropped when with_bonus returns;
- learner_recurse: countdown(3) builds "3 2 1 go" (gdb's s), then deep() overflows the stack
  and the trace ends killed by a stack overflow;
- learner_cycle: shared_ptr counts as gdb's pretty printer gives them, and the weak_ptr cycle
  freed at main's end: "c dropped, p dropped".

Run by test_cpp_learner.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: learner_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR COMPILER
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from factcheck import check, cxx_facts_setup, events, find_var, finish, gdb_answers, hexes, line_of, trace_json, trace_text  # noqa: E402

BIN, SRC, WORK, CXX, TAG, build = cxx_facts_setup("-std=c++17")


def at(source, text):
    return f"{os.path.basename(source)}:{line_of(source, text)}"


def name(fact):
    return f"{TAG}: {fact}"


def block_at(step, addr):
    return next((b for b in step["heap"] if int(b["addr"], 16) == addr), None)


def fields(b):
    return {f["name"]: f["value"].get("text") for f in (b or {}).get("value", {}).get("fields", [])}


# ---- a linked list with a copy constructor ----------------------------------------------------
exe, source = build("learner_list")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, at(source, "int total = a.sum"),
                   {"a.head": "(Node *) 0x55555556aef0", "b.head": "(Node *) 0x55555556af70",
                    "*b.head->next": "{value = 1, next = 0x55555556af30}"})
copy = [(s, e) for s, e in events(t, "alloc") if s["title"].startswith("*tail = new Node")]
before_b = next(s for s in t["steps"] if s["line"] == line_of(source, "int total = a.sum"))
copied = [block_at(before_b, int(e["addr"], 16)) for s, e in copy]
second = hexes(said["*b.head->next"])
check(name("the copy constructor new's 3 Nodes at its line, typed Node, 1 2 3 (gdb's *b.head->next "
           "is the first, its next the second)"),
      len(copy) == 3 and all(e.get("text") == "new" for s, e in copy) and
      all(b and (b.get("type") or "").endswith("Node") for b in copied) and
      [fields(b).get("value") for b in copied] == ["1", "2", "3"] and
      second and int(copy[1][1]["addr"], 16) == second[0],
      [(e["addr"], b and b.get("type"), fields(b)) for (s, e), b in zip(copy, copied)])
order = [(e["kind"], e.get("function") or int(e["addr"], 16)) for s in t["steps"]
         for e in s["events"] if e["kind"] in ("drop", "free")]
b_head, a_head = hexes(said["b.head"])[0], hexes(said["a.head"])[0]
check(name("~List() drops b (its head, gdb's b.head, freed first by delete), then a (gdb's a.head "
           "first), 4 and 3 nodes"),
      [k for k, _ in order] == ["drop"] + ["free"] * 4 + ["drop"] + ["free"] * 3 and
      order[0][1] == "b" and order[5][1] == "a" and order[1][1] == b_head and
      order[6][1] == a_head and
      all(e.get("text") == "delete" for s, e in events(t, "free")),
      order)

# ---- word counting with std::map ---------------------------------------------------------------
exe, source = build("learner_words")
t = trace_json(BIN, exe, WORK)
# clang++'s std::string is only partly described (gdb's printer fails on it: "no member
# named _M_p"): the words are asked for as char pointers, which gdb reads for both compilers
asked = {f"*(char **)&words._M_impl._M_start[{i}]": '0x55555556eec0 "the"' for i in range(5)}
asked["counts._M_t._M_impl._M_node_count"] = "4"
said = gdb_answers(exe, at(source, "printf("), asked)
said_words = [re.findall(r'"(.*)"', said[k])[0] for k in list(asked)[:5]]
gdb_pairs = sorted((w, str(said_words.count(w))) for w in set(said_words))
in_loop = [s for s in t["steps"] if s["line"] == line_of(source, "printf(")]
shown = find_var(in_loop[0], "counts")["value"]["text"] if in_loop else ""
check(name("counts shows the words gdb reads, counted, in key order, gdb's node count of them"),
      re.findall(r'"(\w+)": (\d+)', shown) == gdb_pairs and
      len(gdb_pairs) == int(said["counts._M_t._M_impl._M_node_count"]), (shown, gdb_pairs))
text = trace_text(BIN, exe, WORK, columns="200")
rows = [l for l in text.splitlines() if re.match(r"\s*│\s+(\w+ :|len:|cap:)", l)]
after = [re.sub(r"\s*│\s*", "", l.split("│")[1]).strip() for l in rows]
m_rows = []   # the len/cap rows under each `counts :` head, up to the next variable
for i, a in enumerate(after):
    if a.startswith("counts :"):
        k = i + 1
        while k < len(after) and after[k][:4] in ("len:", "cap:"):
            k += 1
        m_rows.append(after[i + 1:k])
check(name("the text view draws the map's handle with its len (gdb's node count), no cap row "
           "(a std::map has no capacity; was 'cap: 4')"),
      m_rows and not any("cap:" in x for r in m_rows for x in r) and
      any(r == ["len: 4"] for r in m_rows), m_rows[-3:])
last = t["steps"][-1]
drops = [e["function"] for s, e in events(t, "drop")]
check(name("main's end: 'counts dropped, words dropped', the map's nodes named by the map"),
      "counts dropped, words dropped" in last["title"] and
      not any("." in d for d in drops) and set(drops) == {"counts", "words"},
      (last["title"], drops))

# ---- a class hierarchy behind unique_ptr -------------------------------------------------------
exe, source = build("learner_shapes")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, at(source, "printf("), {
    "total": "9.1415900000000008",
    "shapes": "std::vector of length 2, capacity 2 = {std::unique_ptr<Shape> = {get() = "
              "0x55555556ceb0}, std::unique_ptr<Shape> = {get() = 0x55555556cef0}}"})
rets = [e.get("value") for s, e in events(t, "return") if e["function"] == "area"]
areas = [s["title"] for s in t["steps"] if s["title"].startswith("area() returned")]
check(name("area() returns 3.14159, then 6.0: their sum gdb's total"),
      areas == ["area() returned 3.14159", "area() returned 6.0"] and
      abs(float(said["total"]) - (3.14159 + 6.0)) < 1e-9, areas)
objs = hexes(said["shapes"])
frees = [int(e["addr"], 16) for s, e in events(t, "free")]
ran = [s["title"] for s in t["steps"] if "() ran:" in s["title"]]
dropped_ids = {e.get("block_id") for s, e in events(t, "drop")}
check(name("the Circle and Rect (gdb's get()s) freed by delete, after the buffer push_back outgrew "
           "and before the last; no "
           "destructor said to have run on a block a drop names"),
      len(objs) == 2 and frees[1:3] == objs and len(frees) == 4 and
      not any(re.search(r"~\w+\(\) ran: block #(\d+)", x) for x in ran),
      (ran, frees, objs))
# gdb's `set print object on` reads the object behind a Shape * as what it is: a Circle
obj_said = gdb_answers(exe, at(source, "printf("), {
    f"-object on -- *(Shape *) {hex(a)}": "(Circle) {<Shape> = {_vptr.Shape = 0x555555559d40 <vtable for "
                            "Circle+16>}, r = 1}" for a in objs},
    ) if len(objs) == 2 else {}
end = next(s for s in t["steps"] if s["line"] == line_of(source, "printf("))
got = []
for k, v in obj_said.items():
    b = block_at(end, hexes(k)[0])
    gdb_type = re.match(r"\((\w+)\)", v)
    gdb_fields = dict(re.findall(r"\b([a-z]\w*) = ([\d.]+)(?=[,}])", v))
    ours = {n: float(x) for n, x in fields(b).items() if re.match(r"[\d.]+$", x or "")}
    got.append((b and b.get("type"), gdb_type and gdb_type.group(1),
                ours == {n: float(x) for n, x in gdb_fields.items()}))
check(name("the blocks behind the unique_ptr<Shape>s are a Circle {r: 1.0} and a Rect {w: 2.0, "
           "h: 3.0}, as gdb's print object on reads them (were two bare Shapes)"),
      len(got) == 2 and all(a == b and a and same for a, b, same in got) and
      [g[0] for g in got] == ["Circle", "Rect"], got)
check(name("main's end: 'shapes[1] dropped, shapes dropped'"),
      "shapes[1] dropped, shapes dropped" in t["steps"][-1]["title"], t["steps"][-1]["title"])

# ---- a struct of a string and a vector, copied and moved ---------------------------------------
exe, source = build("learner_record")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, at(source, "printf("), {
    "t": "6", "*(char **)&ann.name": '0x55555556ceb0 "Ann, a name longer than fifteen"',
    "ann.scores._M_impl._M_start[0]@3": "{1, 2, 3}"})
end = next(s for s in t["steps"] if s["line"] == line_of(source, "printf("))
ann = find_var(end, "ann")
af = {f["name"]: f["value"].get("text") for f in ann["value"]["fields"]} if ann else {}
check(name("ann's name and scores as gdb reads them (clang++'s string too, as char *); t is gdb's"),
      af.get("name") == re.findall(r'(".*")', said["*(char **)&ann.name"])[0] and
      re.findall(r"\d+", af.get("scores") or "") ==
      re.findall(r"\d+", said["ann.scores._M_impl._M_start[0]@3"]) and
      find_var(end, "t")["value"]["text"] == said["t"], (af, said))
check(name("total() returns 6 for ann and 16 for the moved copy with its bonus"),
      [s["title"] for s in t["steps"] if s["title"].startswith("total() returned")] ==
      ["total() returned 6", "total() returned 16"], "")
check(name("with_bonus's parameter r dropped by ~Record() once the function returns"),
      any(s["title"] == "~Record() called; r dropped" for s in t["steps"]),
      [s["title"] for s in t["steps"] if "dropped" in s["title"]])

# ---- recursion building a string; a stack overflow -------------------------------------------
exe, source = build("learner_recurse")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, at(source, "return deep(0)"), {"*(char **)&s": '0x7fffffffe318 "3 2 1 go"'})
before = next(s for s in t["steps"] if s["line"] == line_of(source, "return deep(0)"))
check(name("countdown(3) nests 4 frames; s is gdb's \"3 2 1 go\""),
      max(len(s["frames"]) for s in t["steps"] if s["line"] < line_of(source, "int deep")) == 5 and
      find_var(before, "s")["value"]["text"] == re.findall(r'(".*")', said["*(char **)&s"])[0],
      find_var(before, "s"))
check(name("deep() with its std::array<int, 1000> ends killed by a stack overflow"),
      re.match(r"killed by stack overflow: (\d+) frames deep", t["steps"][-1]["title"]) and
      int(re.match(r"\D*(\d+)", t["steps"][-1]["title"]).group(1)) > 1000 and
      t["steps"][-2]["frames"][-1]["function"] == "deep", t["steps"][-1]["title"])

# ---- a shared_ptr cycle broken by weak_ptr -----------------------------------------------------
exe, source = build("learner_cycle")
t = trace_json(BIN, exe, WORK)
said = gdb_answers(exe, at(source, "printf("), {
    "p": "std::shared_ptr<Parent> (use count 2, weak count 1) = {get() = 0x55555556cec0}",
    "users": "3"})
end = next(s for s in t["steps"] if s["line"] == line_of(source, "printf("))
pb = next((b for b in end["heap"] if (b.get("type") or "") and "use_count" in fields(b)), None)
counts = re.search(r"use count (\d+), weak count (\d+)", said["p"])
check(name("p's control block: gdb's use and weak counts; users gdb's"),
      counts and fields(pb).get("use_count") == counts.group(1) and
      fields(pb).get("weak_count") == counts.group(2) and
      find_var(end, "users")["value"]["text"] == said["users"], (fields(pb), said))
check(name("main's end: 'c dropped, p dropped', both blocks freed"),
      "c dropped, p dropped" in t["steps"][-1]["title"] and len(events(t, "free")) == 2,
      t["steps"][-1]["title"])

finish()

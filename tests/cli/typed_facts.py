#!/usr/bin/env python3
"""tests/cli/typed_facts.py — heap blocks typed by the pointers that reach them
(docs/trace-json.md, "Heap block"), read from `stackheap run --json` and from the text view
of tests/cli/typed_heap.c: a 3-node linked list (values, `next` to the right blocks, NULL at
the end; the nodes reached only through `next` typed too), a binary tree, an `int *` buffer
grown by realloc (its elements, the count from the size), a `char *` from malloc + strcpy
(its text), a `void *` block (bytes), an array of structs from calloc, a typed pointer
beating a char and a void pointer to the same block, the innermost frame's pointer beating
main's (a `long *` in a callee makes the int buffer long[4] there), a long value wrapped,
not cut, in a narrow terminal, and the Python Tutor export writing typed blocks in the C
backend's encoding (C_STRUCT, C_DATA elements). Run by test_typed.sh; prints "ok"/"FAIL" per fact and
"N passed, N failed".

Usage: typed_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, load_trace, c_compiler  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]


source = os.path.join(SRC, "tests", "cli", "typed_heap.c")
prog = os.path.join(WORK, "typed_heap")
subprocess.run([*c_compiler(), "-g", "-O0", "-o", prog, source], check=True)
lines = open(source).read().splitlines()
FACTS = next(i + 1 for i, l in enumerate(lines) if "/* facts */" in l)
REALLOC = next(i + 1 for i, l in enumerate(lines) if "realloc(buf" in l)
INNER = next(i + 1 for i, l in enumerate(lines) if "/* inner */" in l)

trace_file = os.path.join(WORK, "t.json")
subprocess.run([BIN, "run", "--json", trace_file, "--", prog], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
trace = load_trace(trace_file)


def step_at(line):
    return next(s for s in trace["steps"] if s["line"] == line)


def var(step, name):
    return next(v for v in step["frames"][-1]["vars"] if v["name"] == name)


def block(step, ident):
    b = next((b for b in step["heap"] if b["id"] == ident), None)
    if b is not None:   # a trace without typed blocks fails the facts, not the script
        b.setdefault("type", None)
        b.setdefault("value", None)
    return b


def target(step, name):
    return block(step, var(step, name)["value"]["block"])


def field(value, name):
    return next(f["value"] for f in value["fields"] if f["name"] == name)


s = step_at(FACTS)

# the list: head -> 1 -> 2 -> 3 -> NULL
node = target(s, "head")
seen = []
while node is not None and len(seen) < 5:
    check(f"list node {len(seen) + 1} is a struct node", node["type"] == "struct node", node["type"])
    if node["type"] != "struct node":
        break
    seen.append(field(node["value"], "v")["value"])
    nxt = field(node["value"], "next")
    if nxt["addr"] == "0x0" or int(nxt["addr"], 16) == 0:
        check("the last next is NULL, linked to no block", nxt["block"] is None, nxt)
        break
    nb = block(s, nxt["block"])
    check(f"next of node {len(seen)} points at its block's start",
          nb is not None and nb["addr"] == nxt["addr"], nxt)
    node = nb
check("the list holds 1, 2, 3 in order", seen == [1, 2, 3], seen)

# the tree
root = target(s, "root")
check("root's block is a struct tree", root["type"] == "struct tree", root["type"])
if root["type"] == "struct tree":
    rv = root["value"]
    kids = [block(s, field(rv, k)["block"]) for k in ("left", "right")]
    check("root key 2", field(rv, "key")["value"] == 2)
    check("left and right are struct tree blocks with keys 1 and 3",
          all(k and k["type"] == "struct tree" for k in kids) and
          [field(k["value"], "key")["value"] for k in kids] == [1, 3],
          [k and k["type"] for k in kids])
    check("the leaves' children are NULL",
          all(field(k["value"], c)["block"] is None and int(field(k["value"], c)["addr"], 16) == 0
              for k in kids if k and k["value"] for c in ("left", "right")))

# the int buffer, before and after realloc
buf = target(s, "buf")
check("buf's block is an int[8] (32 bytes / sizeof(int))", buf["type"] == "int[8]", buf["type"])
check("buf's elements 10..80",
      buf["value"] and [e["value"] for e in buf["value"]["elements"]] == [10 * i for i in range(1, 9)],
      buf["value"] and buf["value"]["text"])
before = target(step_at(REALLOC), "buf")
check("before realloc it is an int[2] {10, 20}",
      before["type"] == "int[2]" and before["value"] and before["value"]["text"] == "{10, 20}",
      (before["type"], before["value"] and before["value"]["text"]))

inner = step_at(INNER)
words = block(inner, var(inner, "words")["value"]["block"])
check("inside peek() the innermost frame's long * wins: long[4]",
      words is not None and words["type"] == "long[4]", words and words["type"])

# the char buffer, the void block, the array of structs
name = target(s, "name")
check("name's block is a char[32] with the text", name["type"] == "char[32]" and
      name["value"] and name["value"]["text"] == '"hello heap"', (name["type"], name["value"]))
raw = target(s, "raw")
check("a void * block stays bytes (no type, no value)",
      raw["type"] is None and raw["value"] is None and raw["bytes_hex"] == "ab" * 8, raw)
pairs = target(s, "pairs")
check("pairs' block is a struct pair[3]", pairs["type"] == "struct pair[3]", pairs["type"])
if pairs["value"]:
    el = pairs["value"]["elements"]
    check("pairs[1].a = 7, pairs[2].b = 2.5",
          field(el[1], "a")["value"] == 7 and field(el[2], "b")["value"] == 2.5)
check("a char * to a struct tree block does not make it char[24]", root["type"] == "struct tree")
check("a void * to the int buffer does not untype it", target(s, "any")["type"] == "int[8]")

# the text view: decoded values in the boxes, pointers as arrows to block ids
def text_view(columns):
    env = dict(os.environ, COLUMNS=str(columns), NO_COLOR="1", LC_ALL="C.UTF-8")
    out = subprocess.run([BIN, "run", "--", prog], env=env, capture_output=True,
                         text=True).stdout
    m = re.search(r"(?ms)^Step \d+: .*?typed_heap\.c:%d$(.*?)(?=^Step \d+:|\Z)" % FACTS, out)
    return m.group(1) if m else ""

view = text_view(120)
# a box's value may wrap over its rows (broken after ", "): its rows joined, as read
boxed = " ".join(m.group(1).strip() for m in re.finditer(r"│ ([^│]*) │\s*$", view, re.M))
ids = {field(b["value"], "v")["value"]: b["id"] for b in s["heap"]
       if b.get("type") == "struct node"}
for want in ("{v: 1, next: → #%s}" % ids.get(2), "{v: 2, next: → #%s}" % ids.get(3),
             "{v: 3, next: NULL}", "{key: 1, left: NULL, right: NULL}",
             "{10, 20, 30, 40, 50, 60, 70, 80}", '"hello heap"', "ab ab ab ab ab ab ab ab",
             "{{a: 0, b: 0.0}, {a: 7, b: 0.0}, {a: 0, b: 2.5}}", "48 bytes: struct pair[3]"):
    check(f"text view shows {want}", want in view or want in boxed, "")
check("text view draws no list node as bytes", "01 00 00 00 00 00 00 00" not in view)

narrow = text_view(90)
rows = [m.group(1).strip() for m in re.finditer(r"│ ([^│]*) │\s*$", narrow, re.M)]
joined = " ".join(rows)
check("a value too wide for the column is wrapped, not cut",
      "{{a: 0, b: 0.0}, {a: 7," in joined and "b: 2.5}}" in joined and
      not any(r.endswith("…") for r in rows), rows)

# the Python Tutor export: typed blocks in the C backend's encoding
sys.path.insert(0, os.path.join(SRC, "tests", "cli"))
import pytutor_check as opt  # noqa: E402

opt_file = os.path.join(WORK, "t.opt.json")
subprocess.run([BIN, "run", "--pytutor", opt_file, "--", prog], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    doc = opt.validate(opt.load(opt_file))
    check("the export keeps to the C backend's encoding", True)
except AssertionError as e:
    doc = None
    check("the export keeps to the C backend's encoding", False, e)
if doc:
    e = next(x for x in doc["trace"] if x["line"] == FACTS)
    heap = e["heap"]
    def opt_block(name):
        return heap.get(opt.local(e, name)[3], ["?"])
    h = opt_block("head")
    check("pytutor: head's block is a C_ARRAY of one C_STRUCT node",
          h[0] == "C_ARRAY" and len(h) == 3 and h[2][0] == "C_STRUCT" and h[2][2] == "node", h)
    if len(h) == 3 and h[2][0] == "C_STRUCT":
        nxt = opt.field(h[2], "next")
        check("pytutor: next is a pointer to the second node's block",
              opt.field(h[2], "v")[3] == 1 and nxt[2] == "pointer" and nxt[3] in heap and
              opt.field(heap[nxt[3]][2], "v")[3] == 2, nxt)
    b = opt_block("buf")
    check("pytutor: buf's block is eight C_DATA int",
          [x[2] for x in b[2:]] == ["int"] * 8 and [x[3] for x in b[2:]] == list(range(10, 90, 10)), b)
    p = opt_block("pairs")
    check("pytutor: pairs' block is three C_STRUCT pair",
          [x[0] for x in p[2:]] == ["C_STRUCT"] * 3 and p[3][2] == "pair" and
          opt.field(p[3], "a")[3] == 7, p)
    r = opt_block("raw")
    check("pytutor: the void block stays unsigned chars",
          [x[2] for x in r[2:]] == ["unsigned char"] * 8 and r[2][3] == 0xab, r)

finish()

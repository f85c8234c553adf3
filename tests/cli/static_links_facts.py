#!/usr/bin/env python3
"""tests/cli/static_links_facts.py — links between the Static/Global region and the heap
(docs/trace-json.md, "pointer"), on tests/cli/static_links.c at the line marked `facts`:
the global `head` links to the block it points to (`block`), the nodes' `counter` to the
global `hits` and their `label`s to the literals (`static`), a literal only the heap reaches
("one", pushed by a call that has returned) still in the region; the text view draws
head's arrow and `counter: &hits`; the Python Tutor export's globals and heap agree on the
addresses. Values compared with gdb's when it is installed, else with GDB_SAID (gdb 13).
Run by test_static_links.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: static_links_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, gdb_answers, load_trace, c_compiler  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
source = os.path.join(SRC, "tests", "cli", "static_links.c")
prog = os.path.join(WORK, "static_links")
subprocess.run([*c_compiler(), "-g", "-O0", "-o", prog, source], check=True)
FACTS = next(i + 1 for i, l in enumerate(open(source).read().splitlines()) if "/* facts */" in l)
ENV = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", COLUMNS="120")

# gdb -batch at FACTS (heap and global addresses are the same under gdb and the tracer:
# ASLR is off in both and neither depends on the environment)
GDB_SAID = {"head": "(struct node *) 0x5555555592d0", "head->value": "2",
            "head->next": "(struct node *) 0x5555555592a0", "head->next->value": "1",
            "head->next->next": "0x0", "head->counter == &hits": "1",
            "head->next->counter == &hits": "1", "hits": "2",
            "head->label": '0x555555556008 "two"', "head->next->label": '0x555555556004 "one"'}


def addr_of(said):
    m = re.search(r"0x[0-9a-f]+", said)
    return int(m.group(0), 16) if m else None


gdb = gdb_answers(prog, f"static_links.c:{FACTS}", GDB_SAID, ())

tj = os.path.join(WORK, "t.json")
subprocess.run([BIN, "run", "--json", tj, "--", prog], check=True, env=ENV,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t = load_trace(tj)
step = next(s for s in t["steps"] if s["line"] == FACTS)
st = step["statics"]
names = [v["name"] for v in st]
heap = {b["id"]: b for b in step["heap"]}
g = {v["name"]: v for v in st}


def fields(b):
    return {f["name"]: f["value"] for f in b["value"]["fields"]}


hv = g["head"]["value"]
check("gdb: head points where gdb says", int(hv["addr"], 16) == addr_of(gdb["head"]), hv)
first = heap.get(hv.get("block"))
check("JSON: the global head links to the block it points to (block)",
      first is not None and int(first["addr"], 16) == addr_of(gdb["head"]), hv)
if first is None:
    finish()
f1 = fields(first)
second = heap.get(f1["next"].get("block"))
check("gdb: head->value 2, head->next->value 1, head->next->next NULL",
      str(f1["value"]["value"]) == gdb["head->value"] and second is not None and
      str(fields(second)["value"]["value"]) == gdb["head->next->value"] and
      addr_of(gdb["head->next->next"]) == 0 == int(fields(second)["next"]["addr"], 16))
hits_i = names.index("hits")
check("JSON: each node's counter links to the global hits (static), as gdb's head->counter == &hits",
      gdb["head->counter == &hits"] == gdb["head->next->counter == &hits"] == "1" and
      f1["counter"].get("static") == hits_i and fields(second)["counter"].get("static") == hits_i,
      (f1["counter"], hits_i))
check("gdb: hits is 2", str(g["hits"]["value"]["value"]) == gdb["hits"])
for b, key in ((first, "head->label"), (second, "head->next->label")):
    lab = fields(b)["label"]
    text = re.search(r'".*"$', gdb[key]).group(0)
    tgt = st[lab["static"]] if lab.get("static") is not None else None
    check(f"JSON: {key} links to the literal {text}, at gdb's address",
          tgt is not None and tgt["literal"] and tgt["name"] == text and
          int(tgt["addr"], 16) == addr_of(gdb[key]), lab)
check('JSON: "one", reached only from the heap now, is in the region', '"one"' in names, names)

out = subprocess.run([BIN, "run", "--", prog], env=ENV, capture_output=True, text=True).stdout
m = re.search(r"(?ms)^Step \d+: .*?static_links\.c:%d$(.*?)(?=^Step \d+:|\Z)" % FACTS, out)
view = m.group(1) if m else ""
region = view.split("Static/Global", 1)[1] if "Static/Global" in view else ""
check("text view: head's row in the region has its arrow to the block",
      re.search(r"head : struct node \* \(8 bytes\) = 0x[0-9a-f]+ ─→ #%d" % first["id"], region)
      is not None, region)
check("text view: the nodes' counter reads &hits", view.count("counter: &hits") == 2)

po = os.path.join(WORK, "t.opt.json")
subprocess.run([BIN, "run", "--pytutor", po, "--", prog], check=True, env=ENV,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = json.load(open(po))
e = next(x for x in d["trace"] if x["line"] == FACTS and x["stack_to_render"])
gl = e["globals"]
check("pytutor: the global head holds the address of a heap object",
      gl["head"][3] in e["heap"] and int(gl["head"][3], 16) == addr_of(gdb["head"]), gl["head"])
node = e["heap"].get(gl["head"][3], [None, None, [None]])[2]
flds = {f[0]: f[1] for f in node[3:]} if node and node[0] == "C_STRUCT" else {}
check("pytutor: a node's counter holds the global hits' address, its label a literal global's",
      flds.get("counter", [0] * 4)[3] == gl["hits"][1] and
      flds.get("label", [0] * 4)[3] == gl.get('"two"', [0, None])[1], flds)
finish()

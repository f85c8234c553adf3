#!/usr/bin/env python3
"""tests/cli/rust_std_facts.py — Rust's containers beyond String, Vec and Box<T>
(docs/trace-json.md, "Rust's other containers"), read from `stackheap run --json` of
tests/cli/rust_std.rs at its `// facts` line and of tests/cli/rust_std_thread.rs:
Rc<RefCell<Vec<i32>>> shared by two handles (strong 2, the vector, neither stale), an Rc
with a Weak (the Weak a pointer to the same block, weak 1) and a dangling Weak::new(), Cell
as its value and a user's own type named Cell as a struct, Box<dyn Shape> of two concrete
types (their fields), Box<[i32]>, HashMap<String, i32> (the allocation starting before the
control bytes; keys and values in the order the program itself iterates them, printed by it
in the same run), HashSet<i32>, a VecDeque that has wrapped (from head), BTreeMaps of one leaf and of a root
over leaves (in key order) and a BTreeSet, an empty map and
deque (no block, not stale), and an Arc cloned into a thread (strong 2, then 1 after the
join), a doubly linked list of Rc<RefCell<Node>> with Weak back links. Every value was
read with rust-gdb at the same line (its pretty printers: Rc(strong=2,
weak=0), HashMap(size=3), VecDeque(size=4) = {0, 3, 4, 5}). Run by test_rust_std.sh; prints
"ok"/"FAIL" per fact and "N passed, N failed".

Usage: rust_std_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check as _check, finish, load_trace, rustc_version  # noqa: E402


def check(name, cond, detail=""):
    return _check(name, cond, str(detail)[:400])

BIN, SRC, WORK = sys.argv[1:4]
# What std itself chose changed since rustc 1.63 (Debian 12's): Rc's block was an RcBox before it
# was an RcInner (the block is named as the DWARF names it); VecDeque was a ring {tail, head}
# of a power of two slots with one to spare before 1.67's {head, len}: with_capacity(4) gives 8
# slots and new() allocates 8 (gdb -nx, 1.63: d = {tail: 1, head: 5, buf: {.., cap: 8}},
# none = {tail: 0, head: 0, buf: {ptr: 0x.., cap: 8}}).
RING = rustc_version() < (1, 67)
RC_INNER = r"(RcBox|RcInner)"


def trace_of(name):
    source = os.path.join(SRC, "tests", "cli", name + ".rs")
    prog = os.path.join(WORK, name)
    subprocess.run([RUSTC, "-g", "-o", prog, source], check=True, cwd=WORK)
    out = os.path.join(WORK, name + ".json")
    subprocess.run([BIN, "run", "--json", out, "--", prog], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return load_trace(out), open(source).read().splitlines()


def step_at(trace, line):
    return next(s for s in trace["steps"] if s["line"] == line)


def var(step, name):
    return next(v for v in step["frames"][-1]["vars"] if v["name"] == name)["value"]


def block(step, ident):
    b = next((b for b in step["heap"] if b["id"] == ident), None) if ident is not None else None
    if b is not None:   # a trace without typed blocks fails the facts, not the script
        b.setdefault("type", None)
        b.setdefault("value", None)
    return b or {"type": None, "value": None, "addr": None, "size": None}


def held(step, name):
    return block(step, var(step, name).get("block"))


def field(value, name):
    for f in (value or {}).get("fields", []):
        if f["name"] == name:
            return f["value"]
    return {}


def ints(value):
    """An array value's elements as numbers (None for an unset slot)."""
    return [e.get("value") for e in (value or {}).get("elements", [])]


def text_of(step, value):
    """A String value's text, read from the block it holds."""
    return (block(step, value.get("block"))["value"] or {}).get("text")


trace, lines = trace_of("rust_std")
FACTS = next(i + 1 for i, l in enumerate(lines) if "// facts" in l)
s = step_at(trace, FACTS)

# Rc<RefCell<Vec<i32>>>: rust-gdb `p shared` = Rc(strong=2, weak=0) = {value = RefCell(borrow=0)
# = {value = Vec(size=4) = {1, 2, 3, 4}}}
shared, other = var(s, "shared"), var(s, "other")
check("Rc: both handles are owned rc handles to one block",
      shared.get("owned") == "rc" and other.get("owned") == "rc" and
      shared.get("block") is not None and shared.get("block") == other.get("block"),
      f"{shared} / {other}")
check("Rc: neither of two handles sharing a block is stale",
      shared.get("stale") is False and other.get("stale") is False)
rc = held(s, "shared")
check("Rc: its block is RcInner<RefCell<Vec<i32>>> (1.63: RcBox<..>)",
      re.fullmatch(RC_INNER + r"<RefCell<Vec<i32>>>", rc["type"] or ""), rc["type"])
check("Rc: strong 2, weak 0 (rust-gdb)",
      field(rc["value"], "strong").get("value") == 2 and
      field(rc["value"], "weak").get("value") == 0, rc["value"])
inner = field(rc["value"], "value")
check("Rc: the RefCell's value is the Vec, holding [1, 2, 3, 4]",
      inner.get("owned") == "vec" and inner.get("len") == 4 and
      ints(block(s, inner.get("block"))["value"])[:4] == [1, 2, 3, 4], inner)

# Rc + Weak: rust-gdb `p named` = Rc(strong=1, weak=1) = {value = "rc"}
named = held(s, "named")
check("Rc<String> with a Weak: strong 1, weak 1 (rust-gdb)",
      field(named["value"], "strong").get("value") == 1 and
      field(named["value"], "weak").get("value") == 1, named["value"])
check("Rc<String>: its value is the String \"rc\"",
      text_of(s, field(named["value"], "value")) == '"rc"')
weak = var(s, "weak")
check("Weak: a pointer (not an owner) to the Rc's block",
      weak.get("kind") == "pointer" and weak.get("block") is not None and
      weak.get("block") == var(s, "named").get("block"), weak)
gone = var(s, "gone")
check("Weak::new(): a pointer to nothing (0xffffffffffffffff, rust-gdb)",
      gone.get("kind") == "pointer" and gone.get("addr") == "0xffffffffffffffff" and
      gone.get("block") is None, gone)

# more handles than the strong count: rust-gdb `p first` = Rc(strong=2, weak=0) = {value = 7}
# while first, second and third hold its address; `let third = second;` moved second
held3 = [var(s, n) for n in ("first", "second", "third")]
check("Rc moved by let: strong 2 (rust-gdb) with three handles: second is moved from, "
      "first and third own", [h.get("stale") for h in held3] == [False, True, False] and
      field(held(s, "first")["value"], "strong").get("value") == 2 and
      held3[0].get("block") == held3[2].get("block"), held3)

# fat Rcs: rust-gdb shows neither Rc<dyn Shape>'s value nor Rc<str>'s; read with x/ at the
# RcInner: 1, 1 (strong, raw weak), then the value 16 bytes in: 5, 6 / "hey" / 1 2
dynrc = var(s, "dynrc")
db = held(s, "dynrc")
check("Rc<dyn Shape>: RcInner<Rect> found from the vtable, strong 1, value {w: 5, h: 6}",
      re.fullmatch(RC_INNER + "<Rect>", dynrc.get("elem_type") or "") and
      db["type"] == dynrc.get("elem_type") and
      field(db["value"], "strong").get("value") == 1 and
      field(field(db["value"], "value"), "w").get("value") == 5 and
      field(field(db["value"], "value"), "h").get("value") == 6, db["value"])
tb = held(s, "text")
check("Rc<str>: RcInner<str> whose value is \"hey\"",
      re.fullmatch(RC_INNER + "<str>", tb["type"] or "") and
      field(tb["value"], "value").get("text") == '"hey"',
      tb["value"])
bb = held(s, "bytes")
check("Arc<[u8]>: ArcInner<[u8]> whose value is [1, 2]",
      bb["type"] == "ArcInner<[u8]>" and ints(field(bb["value"], "value")) == [1, 2], bb["value"])

# Cell<i32>: rust-gdb `p count` = Cell = {value = 7}; mine::Cell<i32> {x: 5}
count = var(s, "count")
check("Cell<i32>: its value, 7", count.get("kind") == "int" and count.get("value") == 7, count)
own = var(s, "own")
check("the user's own Cell<T>: a struct {x: 5}",
      own.get("kind") == "struct" and field(own, "x").get("value") == 5, own)

# Box<dyn Shape>: rust-gdb `p *(a.pointer as *mut rust_std::Circle)` = {r: 1.5}, b's Rect {w: 3, h: 4}
a, b = var(s, "a"), var(s, "b")
check("Box<dyn Shape> holding a Circle: a box of Circle",
      a.get("owned") == "box" and a.get("elem_type") == "Circle", a)
ca = held(s, "a")
check("Box<dyn Shape>: the Circle's field r = 1.5",
      ca["type"] == "Circle" and field(ca["value"], "r").get("value") == 1.5, ca["value"])
rb = held(s, "b")
check("Box<dyn Shape> holding a Rect: w = 3, h = 4",
      b.get("elem_type") == "Rect" and rb["type"] == "Rect" and
      field(rb["value"], "w").get("value") == 3 and field(rb["value"], "h").get("value") == 4,
      rb["value"])

# a vtable that is not the program's (std's StringError behind Box<dyn Error>): rust-gdb
# `p err` = {pointer: 0x..., vtable: 0x...} and `p *(err.vtable as *const [usize; 3])` =
# [drop, 24, 8]: the size the vtable records, the block left as bytes
err = var(s, "err")
check("Box<dyn Error> with std's vtable: dyn Error, 24 bytes (the vtable's size), untyped block",
      err.get("owned") == "box" and (err.get("elem_type") or "").startswith("dyn ") and
      err.get("elem_size") == 24 and err.get("stale") is False and
      err.get("block") is not None and held(s, "err")["type"] is None, (err, held(s, "err")["type"]))
unit = var(s, "unit")
check("Box<dyn Debug> of (): zero-sized, no block, not stale",
      unit.get("elem_size") == 0 and unit.get("block") is None and unit.get("stale") is False, unit)

# Box<[i32]>: rust-gdb `p s` = [10, 20, 30]
sl = var(s, "s")
check("Box<[i32]>: a box of 3 elements",
      sl.get("owned") == "box" and sl.get("len") == 3, sl)
check("Box<[i32]>: its block is [i32; 3] = [10, 20, 30]",
      held(s, "s")["type"] == "[i32; 3]" and ints(held(s, "s")["value"]) == [10, 20, 30],
      held(s, "s"))

# HashMap<String, i32>: rust-gdb HashMap(size=3), bucket_mask 3
m = var(s, "m")
check("HashMap: a map handle, 3 entries in 4 buckets",
      m.get("owned") == "map" and m.get("len") == 3 and m.get("cap") == 4, m)
mb = held(s, "m")
check("HashMap: the block starts before the control bytes (ptr = ctrl - 4 * 32) and is "
      "4 buckets of 32 bytes, 4 control bytes and a 16-byte group (148)",
      mb["addr"] == m.get("ptr") and m.get("ctrl") and
      int(m["ctrl"], 16) - int(m["ptr"], 16) == 128 and mb["size"] == 148, (m, mb["size"]))
entries = []
for e in (mb["value"] or {}).get("elements", []):
    entries.append((text_of(s, field(e, "__0")), field(e, "__1").get("value")))
check("HashMap: keys and values one=1, two=2, three=3",
      sorted(entries) == sorted([('"one"', 1), ('"two"', 2), ('"three"', 3)]), entries)
outputs = "".join(e.get("text", "") for st in trace["steps"] for e in st["events"]
                  if e["kind"] == "output")
printed = re.search(r"^map (.*)$", outputs, re.M)
order = [f'"{k}"={v}' for k, v in (p.split("=") for p in printed.group(1).split())] if printed else []
check("HashMap: entries in the order the program iterates them (printed by it, same run)",
      order and [f"{k}={v}" for k, v in entries] == order, (entries, order))

# 40 entries: rust-gdb HashMap(size=40), bucket_mask 63: four groups of 16 control bytes
sq = var(s, "squares")
sb = held(s, "squares")
shown = [(field(e, "__0").get("value"), field(e, "__1").get("value"))
         for e in (sb["value"] or {}).get("elements", [])]
check("HashMap of 40: 64 buckets, 16 entries shown and 24 counted, each k -> k*k",
      sq.get("len") == 40 and sq.get("cap") == 64 and len(shown) == 16 and
      all(v == k * k for k, v in shown) and len({k for k, _ in shown}) == 16 and
      (sb["value"] or {}).get("truncated") == 24, (sq, shown))

# HashSet<i32>: rust-gdb HashSet(size=2) = {6, 5} in its run; the order is the run's
hs = var(s, "hs")
hb = held(s, "hs")
printed = re.search(r"^set (.*)$", outputs, re.M)
check("HashSet: a map handle with 2 entries, its block the keys alone ([i32; 2])",
      hs.get("owned") == "map" and hs.get("len") == 2 and hb["type"] == "[i32; 2]", (hs, hb["type"]))
check("HashSet: keys 5 and 6 in the order the program iterates them",
      printed and ints(hb["value"]) == [int(k) for k in printed.group(1).split()] and
      sorted(ints(hb["value"])) == [5, 6], (hb["value"], printed and printed.group(0)))

# VecDeque: rust-gdb VecDeque(size=4) = {0, 3, 4, 5}, head 1, cap 4: it has wrapped (the
# ring of 1.63: 8 slots, the front (tail) at 1, len (head - tail) mod 8 = 4, not wrapped)
d = var(s, "d")
cap = 8 if RING else 4
check(f"VecDeque: len 4, cap {cap}, head 1" + ("" if RING else " (wrapped: head + len > cap)"),
      d.get("owned") == "deque" and d.get("len") == 4 and d.get("cap") == cap and
      d.get("head") == 1, d)
check("VecDeque: elements from head" + ("" if RING else ", wrapping") + ": [0, 3, 4, 5]",
      ints(held(s, "d")["value"]) == [0, 3, 4, 5] + [None] * (cap - 4), held(s, "d")["value"])

# BTreeMap / BTreeSet: rust-gdb BTreeMap(size=3) = {[1] = "a", [2] = "b", [3] = "c"};
# deep: BTreeMap(size=40) = {[0] = 0, [1] = 23, [2] = 6, ...} (a root over leaves);
# BTreeSet(size=2) = {4, 9}
tree = var(s, "tree")
tb = held(s, "tree")
pairs = [(field(e, "__0").get("value"), field(e, "__1").get("text"))
         for e in (tb["value"] or {}).get("elements", [])]
check("BTreeMap: a btree handle of 3 entries, a single leaf (height 0)",
      tree.get("owned") == "btree" and tree.get("len") == 3 and tree.get("height") == 0, tree)
check("BTreeMap: entries in key order 1=\"a\", 2=\"b\", 3=\"c\"",
      pairs == [(1, '"a"'), (2, '"b"'), (3, '"c"')], pairs)
deep = var(s, "deep")
db = held(s, "deep")
firsts = [(field(e, "__0").get("value"), field(e, "__1").get("value"))
          for e in (db["value"] or {}).get("elements", [])]
check("BTreeMap of 40: a root over leaves (height 1)",
      deep.get("len") == 40 and deep.get("height") == 1, deep)
check("BTreeMap of 40: the first 16 entries in key order through the leaves, 24 more counted",
      firsts == [(k, (k * 23) % 40) for k in range(16)] and
      (db["value"] or {}).get("truncated") == 24, (firsts, (db["value"] or {}).get("truncated")))
tb = held(s, "tset")
check("BTreeSet: its keys alone, in order [4, 9]",
      var(s, "tset").get("owned") == "btree" and tb["type"] == "[i32; 2]" and
      ints(tb["value"]) == [4, 9], tb)

# empty containers own nothing and are not stale: rust-gdb bucket_mask 0, cap 0
empty, none = var(s, "empty"), var(s, "none")
check("an empty HashMap: no block, 0 entries, not stale",
      empty.get("owned") == "map" and empty.get("len") == 0 and empty.get("block") is None and
      empty.get("stale") is False, empty)
if RING:
    check("an empty VecDeque of 1.63: its 8 slots allocated, len 0, not stale (gdb: cap 8)",
          none.get("owned") == "deque" and none.get("cap") == 8 and none.get("len") == 0 and
          block(s, none.get("block"))["size"] == 8 and none.get("stale") is False, none)
else:
    check("an empty VecDeque: no block, cap 0, not stale",
          none.get("owned") == "deque" and none.get("cap") == 0 and none.get("stale") is False, none)

# Rc::clone makes no block: the step says the new handle shares the old one's
title = next((st["title"] for st in trace["steps"] if "Rc::clone" in st["title"]), "")
check("Rc::clone narrated as a share: other shares #N (strong 2)",
      re.search(r"other shares #\d+ \(strong 2\)", title), title)

# drops: Rust drops `other` (strong 2 -> 1) and then `shared`, which frees the block
last = trace["steps"][-1]["title"]
check("drops: the Rc's block is named by the handle that frees it, drop(shared), not other",
      "drop(shared)" in last and "drop(other)" not in last, last)

# an Arc cloned into a thread: rust-gdb Arc(strong=2, weak=0) = {1, 2, 3} at the spawn,
# Arc(strong=1, weak=0) after the join
trace, lines = trace_of("rust_std_thread")
SPAWN = next(i + 1 for i, l in enumerate(lines) if "thread::spawn" in l)
JOINED = next(i + 1 for i, l in enumerate(lines) if "println!" in l)
s = step_at(trace, SPAWN)
arc = held(s, "data")
check("Arc: two handles to one ArcInner<Vec<i32>> block before the spawn, strong 2",
      var(s, "data").get("block") == var(s, "mine").get("block") and
      (arc["type"] or "").startswith("ArcInner<Vec<i32>>") and
      field(arc["value"], "strong").get("value") == 2, arc)
check("Arc: its value is the Vec [1, 2, 3]",
      ints(block(s, field(arc["value"], "value").get("block"))["value"])[:3] == [1, 2, 3])
s = step_at(trace, JOINED)
check("Arc: strong 1 after the thread that held a clone was joined",
      field(held(s, "data")["value"], "strong").get("value") == 1, held(s, "data")["value"])
check("Arc: after the join, mine (moved into the thread's closure) is stale, data owns",
      var(s, "mine").get("stale") is True and var(s, "data").get("stale") is False,
      (var(s, "mine"), var(s, "data")))
check("the threaded program's trace ends with its exit code 0", trace["exit_code"] == 0)

# a doubly linked list of Rc<RefCell<Node>>: rust-gdb `p a` = Rc(strong=1, weak=1) =
# {value = {val: 1, next: Some(Rc(strong=2, weak=0) = {val: 2, next: None, prev: Some(..)})}}
trace, lines = trace_of("rust_std_list")
s = step_at(trace, next(i + 1 for i, l in enumerate(lines) if "println!" in l))
na, nb = held(s, "a"), held(s, "b")
node_a, node_b = field(na["value"], "value"), field(nb["value"], "value")
check("Rc list: node a strong 1 weak 1, node b strong 2 weak 0 (rust-gdb)",
      [field(na["value"], k).get("value") for k in ("strong", "weak")] == [1, 1] and
      [field(nb["value"], k).get("value") for k in ("strong", "weak")] == [2, 0],
      (na["value"], nb["value"]))
nxt = field(field(node_a, "next"), "__0")
check("Rc list: a.next is an Rc to b's block, shared, not stale",
      field(node_a, "val").get("value") == 1 and nxt.get("owned") == "rc" and
      nxt.get("block") == var(s, "b").get("block") and nxt.get("stale") is False, node_a)
prev = field(field(node_b, "prev"), "__0")
check("Rc list: b.prev is a Weak, a pointer to a's block",
      field(node_b, "val").get("value") == 2 and prev.get("kind") == "pointer" and
      prev.get("block") == var(s, "a").get("block"), node_b)

# the --pytutor export: Python Tutor's front end keys its drawing by address, so a block's
# elements come by address (a deque's as they lie: [1, _, _, 0], not [0, 1] from head), and
# the export holds to the C backend's encoding (pytutor_check.validate)
import pytutor_check  # noqa: E402

source = os.path.join(SRC, "tests", "cli", "rust_std_pytutor.rs")
prog = os.path.join(WORK, "rust_std_pytutor")
subprocess.run([RUSTC, "-g", "-o", prog, source], check=True, cwd=WORK)
opt_file = os.path.join(WORK, "opt.json")
subprocess.run([BIN, "run", "--pytutor", opt_file, "--", prog], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
opt = pytutor_check.load(opt_file)
try:
    pytutor_check.validate(opt)
    why = ""
except AssertionError as e:
    why = str(e)
check("--pytutor: Rc, Box<dyn>, Box<[T]>, HashMap, VecDeque, BTreeMap in the C backend's encoding",
      not why, why)
full = os.path.join(WORK, "opt_full.json")
subprocess.run([BIN, "run", "--pytutor", full, "--", os.path.join(WORK, "rust_std")], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    pytutor_check.validate(pytutor_check.load(full))
    why = ""
except AssertionError as e:
    why = str(e)
check("--pytutor of rust_std.rs (Strings in a map, an Rc<String>, fat Rcs) validates; a "
      "String's bytes are chars", not why, why)
PRINT = next(i + 1 for i, l in enumerate(open(source).read().splitlines()) if "println!" in l)
entry = next((e for e in opt["trace"] if e["line"] == PRINT), opt["trace"][-1])
local = entry["stack_to_render"][-1]["encoded_locals"] if entry["stack_to_render"] else {}


def opt_block(name):
    """The heap entry the handle `name` points to (its C_STRUCT's ptr)."""
    h = local.get(name) or []
    ptr = next((f[1][3] for f in h[3:] if isinstance(f, list) and f[0] == "ptr"), None)
    return entry["heap"].get(ptr) or [] if isinstance(ptr, str) else []


deque = [e[3] for e in opt_block("d")[2:]]
check("--pytutor: a wrapped deque's slots by address: [1, _, _, 0]" + (" (8 slots in 1.63)" if RING else ""),
      deque == [1] + ["<UNINITIALIZED>"] * (6 if RING else 2) + [0], deque)
rc = opt_block("shared")
strong = rc[2][3] if len(rc) > 2 and rc[2][0] == "C_STRUCT" else None
check("--pytutor: the Rc's block, strong 2 as a usize",
      strong and strong[0] == "strong" and strong[1][2:] == ["usize", 2], rc)
keys = [e[3][1][3] for e in opt_block("t")[2:] if e[0] == "C_STRUCT"]
check("--pytutor: the BTreeMap's root block, its pairs (1, 2.5), (2, 1.5)", keys == [1, 2], keys)

finish()

#!/usr/bin/env python3
"""tests/cli/owners_facts.py — owning handles found anywhere and one owner per block
(docs/trace-json.md, "Owned blocks and owners"), read from `stackheap run --json` and the
text view of tests/cli/owners_people.rs, owners_list.rs and owners_moves.rs (built here
with `rustc -g`), and of the lesson's C heap_types (own.h's handles):

- a Vec<String> of 20: the strings in the slots past the 16 its value shows typed and owned
  (many[19]) as well;
- a Vec<String>'s block typed "[String; 4]", its elements String handles with arrows to
  blocks holding their texts, owned by v[0], v[1], v[2]; a Box<Person> typed "Person" whose
  name field owns "Ann" (b.name), p.name moved-from after the Box::new;
- an Option<Box<Node>> list (values 3, 2, 1, next arrows, None at the end) and a tree of
  Boxes, each block owned by its path (list.next.next, tree.left);
- v.push(s), Box::new(t), vec![u], `let y = x`, a shadowing `let z = z + "ed"`: the
  moved-from handle stale, the new holder the owner; never two live handles on one block;
- the drops named by the owners' paths, in the order the program frees (gdb's breakpoints on
  free when gdb is installed), never drop(s) three times for the format! loop;
- C's sh_string/sh_vec/sh_box blocks owned and dropped as before;
- the --pytutor export of the Vec<String> valid (tests/cli/pytutor_check.py), its slots
  String structs whose ptr leads to blocks of chars.

Run by test_owners.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: owners_facts.py STACKHEAP_BIN SOURCE_DIR BUILD_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check, finish, find_var as var, find_block as block, trace_json, trace_text  # noqa: E402

BIN, SRC, BUILD, WORK = sys.argv[1:5]
GDB = shutil.which("gdb")


def build(name):
    source = os.path.join(SRC, "tests", "cli", name + ".rs")
    exe = os.path.join(WORK, name)
    subprocess.run([RUSTC, "-g", "-o", exe, source], check=True, cwd=WORK,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = open(source).read().splitlines()
    facts = next(i + 1 for i, l in enumerate(lines) if "// facts" in l)
    return exe, facts


def trace(exe):
    return trace_json(BIN, exe, WORK)


def text_view(exe):
    return trace_text(BIN, exe, WORK)


def step_at(t, line):
    return next((s for s in t["steps"] if s["line"] == line and s["frames"]), None)






def owned_by(step, owner):
    return next((b for b in step["heap"] if b.get("owner") == owner), None)


def btext(b):
    """A block's decoded text ("Ann" quoted), or None."""
    return b and (b.get("value") or {}).get("text")


def field(value, name):
    if not value:
        return None
    return next((f["value"] for f in value.get("fields", []) if f["name"] == name), None)


def drops(t):
    return [e.get("function") for s in t["steps"] for e in s["events"] if e["kind"] == "drop"]


def frees(t):
    return [int(e["addr"], 16) for s in t["steps"] for e in s["events"] if e["kind"] == "free"]


def handles(value, out):
    """Every owned handle inside a decoded value."""
    if not value:
        return out
    if value.get("kind") == "owned":
        out.append(value)
    for f in value.get("fields", []):
        handles(f["value"], out)
    for e in value.get("elements", []):
        handles(e, out)
    return out


def one_owner_everywhere(t):
    """No step has two live (not stale) handles on one block."""
    for s in t["steps"]:
        seen = {}
        roots = [v["value"] for f in s["frames"] for v in f["vars"]]
        roots += [b["value"] for b in s["heap"] if b.get("value")]
        for root in roots:
            for h in handles(root, []):
                if h.get("stale") or h.get("block") is None:
                    continue
                if h["block"] in seen:
                    return False, (s["line"], h["block"])
                seen[h["block"]] = True
    return True, None


def gdb_frees(exe, function):
    """The addresses free() is called with after `function` starts, as gdb sees them."""
    script = exe + ".gdb"
    with open(script, "w") as f:
        f.write(f"set pagination off\nbreak {function}\nrun\nbreak free\ncommands\nsilent\n"
                "printf \"free %p\\n\", $rdi\ncontinue\nend\ncontinue\n")
    r = subprocess.run(["gdb", "-nx", "-batch", "-x", script, exe], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, DEBUGINFOD_URLS=""))
    return [int(a, 16) for a in re.findall(r"^free (0x[0-9a-f]+)", r.stdout, re.M)]


def gdb_print(exe, line, exprs):
    """What gdb prints for each expression, stopped at `line`: None for one it refuses (a
    member path of another rustc's layout)."""
    src = os.path.basename(exe) + ".rs"
    cmds = ["-ex", f"break {src}:{line}", "-ex", "run"]
    for e in exprs:
        cmds += ["-ex", "echo @@\\n", "-ex", f"print {e}"]
    r = subprocess.run(["gdb", "-nx", "-batch", *cmds, exe], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, DEBUGINFOD_URLS=""))
    parts = r.stdout.split("@@\n")[1:]
    return [(re.findall(r"^\$\d+ = (.*)$", p, re.M) or [None])[0] for p in parts]


def free_order_as_gdb(t, exe, name):
    if not GDB:
        print(f"note: no gdb: {name}'s free order is not compared")
        return
    ours = frees(t)
    said = gdb_frees(exe, os.path.basename(exe) + "::main")
    # gdb also sees the frees of std's own blocks (stdout's buffer at exit): ours in order
    it = iter(said)
    check(f"{name}: the blocks are freed in the order gdb sees free() called",
          ours and all(any(a == b for b in it) for a in ours), ([hex(a) for a in ours], [hex(a) for a in said]))


# ---- a Vec<String> and a Box<Person> ------------------------------------------------------
exe, FACTS = build("owners_people")
t = trace(exe)
s = step_at(t, FACTS)
check("people: a step at the println line", s is not None)
v = var(s, "v")
vb = block(s, v["value"]["block"]) if v and v["value"].get("block") else None
check("people: v's block is typed [String; 4] and owned by v",
      vb and vb.get("type") == "[String; 4]" and vb.get("owner") == "v", vb and (vb.get("type"), vb.get("owner")))
elems = vb["value"]["elements"] if vb and vb.get("value") else []
check("people: v's block has 3 String handles and one unused slot",
      [e["kind"] for e in elems] == ["owned", "owned", "owned", "uninit"], [e["kind"] for e in elems])
texts, owners, addrs = [], [], []
for e in elems[:3]:
    eb = block(s, e.get("block"))
    texts.append(btext(eb))
    owners.append(eb and eb.get("owner"))
    addrs.append(eb and eb["addr"])
check("people: v[0..2] point to blocks holding \"item0\", \"item1\", \"item2\"",
      texts == ['"item0"', '"item1"', '"item2"'], texts)
check("people: those blocks are owned by v[0], v[1], v[2]", owners == ["v[0]", "v[1]", "v[2]"], owners)
b = var(s, "b")
bb = block(s, b["value"]["block"]) if b and b["value"].get("block") else None
check("people: b's block is typed Person, owned by b",
      bb and bb.get("type") == "Person" and bb.get("owner") == "b", bb and (bb.get("type"), bb.get("owner")))
name = field(bb.get("value"), "name") if bb else None
age = field(bb.get("value"), "age") if bb else None
nb = block(s, name.get("block")) if name else None
check("people: the Person's name is a live handle to \"Ann\", owned by b.name; age 30",
      name and not name["stale"] and nb and btext(nb) == '"Ann"' and nb.get("owner") == "b.name"
      and age and age["value"] == 30, (name, nb and nb.get("owner"), age))
p = var(s, "p")
pname = field(p["value"], "name") if p else None
check("people: after Box::new(p), p.name is moved-from (stale)", pname and pname["stale"], pname)
before = step_at(t, FACTS - 1)
pb = owned_by(before, "p.name") if before else None
check("people: before the Box::new, p.name owns \"Ann\"", pb and btext(pb) == '"Ann"', pb)
if GDB:
    # a Vec's RawVec: buf.inner.{ptr, cap: Cap(usize)} today, buf.{ptr, cap: usize} in 1.63
    for raw, cap in (("buf.inner", "cap.__0"), ("buf", "cap")):
        said = gdb_print(exe, FACTS, [
            "v.len", f"v.{raw}.{cap}", f"v.{raw}.ptr.pointer.pointer",
            *[f"(*((v.{raw}.ptr.pointer.pointer as u64 + {24 * i}) as *mut alloc::string::String))"
              f".vec.{raw}.ptr.pointer.pointer" for i in range(3)],
            "(*b).age", f"b.name.vec.{raw}.ptr.pointer.pointer", "b"])
        if said[1] is not None:
            break
    addr = lambda x: x and re.search(r"0x[0-9a-f]+", x).group(0)
    check("people: v's len 3, cap 4 and block address as gdb prints them",
          len(said) == 9 and said[0] == str(v["value"]["len"]) and said[1] == str(v["value"]["cap"])
          and addr(said[2]) == vb["addr"], said[:3])
    check("people: the elements' blocks where gdb says v[0..2] point",
          len(said) == 9 and [addr(x) for x in said[3:6]] == addrs, (said[3:6], addrs))
    check("people: b's block, its age and its name's block as gdb prints them",
          len(said) == 9 and said[6] == "30" and addr(said[7]) == (nb or {}).get("addr") and addr(said[8]) == (bb or {}).get("addr"),
          said[6:])
else:
    print("note: no gdb: the values are not compared with gdb's")
mv = var(s, "many")
mb = block(s, mv["value"]["block"]) if mv and mv["value"].get("block") else None
shown = len(((mb or {}).get("value") or {}).get("elements", []))
check("people: many's block shows 16 of its 20 slots, 4 counted in truncated",
      shown == 16 and mb["value"]["truncated"] == 4, (shown, mb and (mb.get("value") or {}).get("truncated")))
past = [owned_by(s, f"many[{i}]") for i in range(16, 20)]
check("people: the strings in many's slots past those shown are typed and owned too: many[16..19] "
      "hold \"16\" .. \"19\"", [btext(x) for x in past] == ['"16"', '"17"', '"18"', '"19"'],
      [btext(x) for x in past])
d = drops(t)
check("people: drops named by owners, children first: b.name, b, v[0], v[1], v[2], v, "
      "many[0] .. many[19], many",
      d == ["b.name", "b", "v[0]", "v[1]", "v[2]", "v"] + [f"many[{i}]" for i in range(20)] + ["many"], d)
check("people: no step title says drop(s) (the format! loop's s were moved into v)",
      not any("drop(s)" in st["title"] for st in t["steps"]), [st["title"] for st in t["steps"]][-1])
free_order_as_gdb(t, exe, "people")
ok, where = one_owner_everywhere(t)
check("people: never two live handles on one block", ok, where)
view = text_view(exe)
check("people: the text view draws v's slots as arrows and `_`: → #a │ → #b │ → #c │ _",
      re.search(r"│ → #\d+ │ → #\d+ │ → #\d+ │ +_ │", view))
check("people: the text view draws the Box's Person as {name: → #n, age: 30}",
      re.search(r"\{name: → #\d+, age: 30\}", view))
check("people: the text view draws the item blocks' texts", all(f'"item{i}"' in view for i in range(3)))

pt = exe + ".pt.json"
subprocess.run([BIN, "run", "--pytutor", pt, "--", exe], cwd=WORK, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL, timeout=120)
try:
    from pytutor_check import load, validate
    d = validate(load(pt))
    e = d["trace"][-2]
    heap = e["heap"]
    vkey = vb and vb["addr"]
    slots = heap.get(vkey, [])[2:] if vkey else []
    ptrs = [x[3][1][3] for x in slots[:3] if x[0] == "C_STRUCT" and x[3][0] == "ptr"]
    chars = ["".join(c[3] for c in heap.get(a, [])[2:] if c[3] != "<UNINITIALIZED>") for a in ptrs]
    check("people: --pytutor: valid for Python Tutor's C front end; v's slots are String structs "
          "whose ptr leads to blocks of chars item0, item1, item2",
          chars == ["item0", "item1", "item2"], (ptrs, chars))
except AssertionError as err:
    check("people: --pytutor: valid for Python Tutor's C front end", False, err)

# ---- an Option<Box<Node>> list and a tree of Boxes ---------------------------------------
exe, FACTS = build("owners_list")
t = trace(exe)
s = step_at(t, FACTS)
lst = var(s, "list") if s else None
chain, cur, owners = [], lst and lst["value"], []
while cur and cur.get("variant") == "Some":
    h = cur["fields"][0]["value"]
    nb = block(s, h.get("block"))
    if not nb or nb.get("type") != "Node":
        break
    chain.append((field(nb.get("value"), "value") or {}).get("value"))
    owners.append(nb.get("owner"))
    cur = field(nb.get("value"), "next")
check("list: list → 3 → 2 → 1, each block typed Node through next's Box", chain == [3, 2, 1], chain)
check("list: the last next is None", cur is not None and cur.get("variant") == "None" and
      not cur.get("fields"), cur)
check("list: the nodes are owned by list, list.next, list.next.next",
      owners == ["list", "list.next", "list.next.next"], owners)
tree = var(s, "tree") if s else None
tb = block(s, tree["value"]["block"]) if tree else None
keys = {}
for b2 in (s["heap"] if s else []):
    if b2.get("type") == "Tree":
        keys[b2.get("owner")] = (field(b2.get("value"), "key") or {}).get("value")
check("list: the tree's blocks typed Tree: tree 2, tree.left 1, tree.right 3",
      keys == {"tree": 2, "tree.left": 1, "tree.right": 3}, keys)
left = field(tb.get("value"), "left") if tb else None
check("list: tree's left is Some with an arrow to the tree.left block",
      left and left.get("variant") == "Some" and
      (block(s, left["fields"][0]["value"].get("block")) or {}).get("owner") == "tree.left", left)
d = drops(t)
check("list: drops tree.left, tree.right, tree, list.next.next, list.next, list",
      d == ["tree.left", "tree.right", "tree", "list.next.next", "list.next", "list"], d)
free_order_as_gdb(t, exe, "list")
view = text_view(exe)
check("list: the text view draws {value: 3, next: Some(→ #n)} and {value: 1, next: None}",
      re.search(r"\{value: 3, next: Some\(→ #\d+\)\}", view) and "{value: 1, next: None}" in view)
check("list: the text view draws list = Some(→ #n) on the stack",
      re.search(r"list : Option<Box<Node>> \(8 bytes\) = Some\(→ #\d+\)", view))

# ---- moves ------------------------------------------------------------------------------
exe, FACTS = build("owners_moves")
t = trace(exe)
src = open(os.path.join(SRC, "tests", "cli", "owners_moves.rs")).read().splitlines()
line_of = lambda text: next(i + 1 for i, l in enumerate(src) if text in l)


def after(text):
    """The step after the line with `text` ran: the next line's."""
    return step_at(t, line_of(text) + 1)


s = after("v.push(s);")
check("moves: after v.push(s), s is stale and v[0] owns \"pushed\"",
      s and var(s, "s")["value"]["stale"] and owned_by(s, "v[0]") and
      btext(owned_by(s, "v[0]")) == '"pushed"', s and var(s, "s"))
s = after("let b = Box::new(t);")
check("moves: after Box::new(t), t is stale, b's block is a String owned by b, its text by *b",
      s and var(s, "t")["value"]["stale"] and owned_by(s, "b") and owned_by(s, "b").get("type") == "String"
      and owned_by(s, "*b") and btext(owned_by(s, "*b")) == '"boxed"')
s = after("let w = vec![u];")
check("moves: after vec![u], u is stale and w[0] owns \"listed\"",
      s and var(s, "u")["value"]["stale"] and owned_by(s, "w[0]") and
      btext(owned_by(s, "w[0]")) == '"listed"')
s = after("let y = x;")
check("moves: after let y = x, x is stale and y owns \"kept\"",
      s and var(s, "x")["value"]["stale"] and not var(s, "y")["value"]["stale"] and
      owned_by(s, "y") and btext(owned_by(s, "y")) == '"kept"')
s = step_at(t, FACTS)
zs = [v for f in (s["frames"] if s else []) for v in f["vars"] if v["name"] == "z"]
zb = owned_by(s, "z") if s else None
check("moves: after let z = z + \"ed\", the first z is stale, the second owns \"shadowed\"",
      len(zs) == 2 and zs[0]["value"]["stale"] and not zs[1]["value"]["stale"] and
      btext(zb) == '"shadowed"', ([z["value"].get("stale") for z in zs], btext(zb)))
ok, where = one_owner_everywhere(t)
check("moves: never two live handles on one block", ok, where)
d = drops(t)
check("moves: drops z, y, w[0], w, *b, b, v[0], v",
      d == ["z", "y", "w[0]", "w", "*b", "b", "v[0]", "v"], d)
free_order_as_gdb(t, exe, "moves")

# ---- a value given back: root = insert(root, k) ------------------------------------------
exe, FACTS = build("owners_back")
t = trace(exe)
s = step_at(t, FACTS)
root = var(s, "root") if s else None
check("given back: after the loop root owns the tree again (not stale), as gdb's root = Some(..)",
      root and not (handles(root["value"], []) or [{"stale": True}])[0].get("stale") and owned_by(s, "root"),
      root and root["value"].get("text"))
keys = sorted(b["value"]["fields"][0]["value"]["value"] for b in s["heap"]) if s else None
check("given back: the three nodes hold 3, 5, 8, owned by root, root.left, root.right",
      keys == [3, 5, 8] and s and all(owned_by(s, o) for o in ("root", "root.left", "root.right")),
      (keys, s and [b.get("owner") for b in s["heap"]]))
d = drops(t)
check("given back: dropped root.left, root.right, root (children first)",
      d == ["root.left", "root.right", "root"], d)
free_order_as_gdb(t, exe, "given back")

# ---- C: own.h's handles ----------------------------------------------------------------
exe = os.path.join(BUILD, "lesson", "heap_types")
if os.path.exists(exe):
    t = trace(exe)
    last = [s for s in t["steps"] if len(s["heap"]) == 3]
    s = last[-1] if last else None
    got = sorted((b.get("owner"), b["type"]) for b in s["heap"]) if s else None
    check("c heap_types: the blocks owned by boxed, name, numbers, typed by their handles",
          got and [o for o, _ in got] == ["boxed", "name", "numbers"] and all(ty for _, ty in got), got)
    nm = owned_by(s, "name") if s else None
    check("c heap_types: name's block reads \"Hello, world!\"", nm and btext(nm) == '"Hello, world!"', btext(nm))
    check("c heap_types: dropped boxed, numbers, name", drops(t) == ["boxed", "numbers", "name"], drops(t))
else:
    check(f"c heap_types: {exe} is built", False)
finish()

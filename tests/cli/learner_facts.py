#!/usr/bin/env python3
"""tests/cli/learner_facts.py — the programs a learner writes first, read from
`stackheap run --json` and the text view the way a learner reads them, each value compared
with gdb at the same line when gdb is installed (else with the values gdb gave when the
facts were written, kept here):

- learner_hash.c, a hash table with chaining: the bucket array typed `struct entry *[4]`,
  NULL buckets and arrows to the nodes, "ba" and "c" chained in bucket 3, the strdup'd keys
  blocks of their own with their texts; hash()'s `s++` walking "ab" links to the literal
  "ab" (no literal "b" or "" of its own); after free(e), e and table[1] dangling (JSON
  `freed`, text "(dangling: #2 freed)"); frees in the program's order, none leaked;
- learner_grid.c, `int **grid` of 3 calloc'd rows: the row array `int *[3]`, each row
  `int[4]` with the cells set, only the row written marked changed; after free(grid[0]) its
  slot links to no block, dangling;
- learner_bst.c, a binary search tree: the tree's keys and links at the end of the inserts;
  the node insert() just returned, held by no variable yet, still drawn as a struct tree
  (not as bytes); three insert() frames for the deepest insert; a post-order free; root
  dangling after destroy(root), until root = NULL;
- learner_box.rs: Box<Point>; m.insert(s, 1) leaves s stale and the key's block the map's
  (m[0].0); a tuple's String (t.0); a struct's name and Vec<String> (team.members[1]); a
  Vec<Vec<i32>> (grid[1]); a String through shout() keeps its block (h stale, loud the
  owner); Option<String> set (o) and taken (taken); at the closing `}` taken's "x" is still
  text; the drops named by owner, in the order gdb sees the frees, never drop(s) or drop(h).

Run by test_learner.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: learner_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check, finish, trace_json, trace_text  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
GDB = shutil.which("gdb")


def build(name):
    source = os.path.join(SRC, "tests", "cli", name)
    exe = os.path.join(WORK, os.path.splitext(name)[0])
    cmd = [RUSTC, "-g", "-o", exe, source] if name.endswith(".rs") else \
        ["cc", "-g", "-O0", "-o", exe, source]
    subprocess.run(cmd, check=True, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = open(source).read().splitlines()
    filled = next(i + 1 for i, l in enumerate(lines) if "filled" in l and ("/*" in l or "//" in l))
    return exe, filled


def trace(exe):
    return trace_json(BIN, exe, WORK)


def text_view(exe):
    return trace_text(BIN, exe, WORK)


def gdb(exe, commands):
    """gdb's printed values ($N = ...) for the commands, in order; None without gdb."""
    if not GDB:
        return None
    args = [GDB, "-q", "-batch", "-nx", "-ex", "set pagination off"]
    for c in commands:
        args += ["-ex", c]
    r = subprocess.run(args + [exe], cwd=WORK, capture_output=True, text=True, timeout=120)
    return [m.group(1) for m in re.finditer(r"^\$\d+ = (.*)$", r.stdout, re.M)]


def gdb_frees(exe, start):
    """The addresses the program frees from the breakpoint `start` on, in order."""
    if not GDB:
        return None
    script = os.path.join(WORK, "frees.gdb")
    with open(script, "w") as f:
        f.write(f"set pagination off\nbreak {start}\nrun\nbreak free\ncommands\nsilent\n"
                "printf \"free %p\\n\", $rdi\ncontinue\nend\ncontinue\n")
    r = subprocess.run([GDB, "-q", "-batch", "-nx", "-x", script, exe], cwd=WORK,
                       capture_output=True, text=True, timeout=120)
    return [int(a, 16) for a in re.findall(r"^free (0x[0-9a-f]+)", r.stdout, re.M)]


def or_known(live, known):
    """gdb's answer when gdb ran, else the one it gave when the facts were written."""
    return live if live else known


def step_at(t, line, after=0):
    return next((s for s in t["steps"] if s["line"] == line and s["index"] >= after), None)


def step_titled(t, start):
    return next((s for s in t["steps"] if s["title"].startswith(start)), None)


def var(step, name, frame=-1):
    return next((v for v in step["frames"][frame]["vars"] if v["name"] == name), None)


def untyped_too(b):
    """An untyped block (bytes only) fails the facts, not the script."""
    if b is not None:
        b.setdefault("type", None)
        if b.get("value") is None:
            b["value"] = {"kind": None, "text": None, "fields": [], "elements": []}
    return b


def block(step, ident):
    return untyped_too(next((b for b in step["heap"] if b["id"] == ident), None))


def block_at(step, addr):
    return untyped_too(next((b for b in step["heap"] if int(b["addr"], 16) == addr), None))


def field(value, name):
    return next((f["value"] for f in value.get("fields", []) if f["name"] == name), None)


def target(step, value):
    return block(step, value.get("block")) if value and value.get("block") is not None else None


def ints(value):
    return [e["value"] for e in value["elements"]]


def freed(t, after=0):
    """(block id, address) of every free event, in order, from step `after` on."""
    return [(e["block_id"], int(e["addr"], 16)) for s in t["steps"][after:]
            for e in s["events"] if e["kind"] == "free"]


def drops(step):
    """(owner path, block id) of each drop event, with the free that follows it."""
    out, ev = [], step["events"]
    for i, e in enumerate(ev):
        if e["kind"] == "drop":
            nxt = next((f for f in ev[i + 1:] if f["kind"] == "free"), None)
            out.append((e["function"], nxt["block_id"] if nxt else None))
    return out


def gdb_struct(text):
    """gdb's `{key = 0x... "ab", value = 1, next = 0x0}` as {field: first word}."""
    return {k: v for k, v in re.findall(r"(\w+) = (0x[0-9a-f]+|-?\d+)", text)}


def hash_table():
    exe, filled = build("learner_hash.c")
    t = trace(exe)
    s = step_at(t, filled + 1)
    table = var(s, "table")
    tb = target(s, table["value"])
    check("hash: the bucket array is a block typed struct entry *[4]",
          tb and tb["type"] == "struct entry *[4]", tb and tb["type"])
    if not tb:
        return
    slots = tb["value"]["elements"]
    g = or_known(gdb(exe, [f"break learner_hash.c:{filled + 1}", "run", "p *table@4",
                           "p *table[1]", "p *table[3]", "p *table[3]->next"]),
                 ["{0x0, 0x5555555592d0, 0x0, 0x555555559350}",
                  '{key = 0x5555555592f0 "ab", value = 1, next = 0x0}',
                  '{key = 0x555555559370 "c", value = 3, next = 0x555555559310}',
                  '{key = 0x555555559330 "ba", value = 2, next = 0x0}'])
    buckets = [int(a, 16) for a in re.findall(r"0x[0-9a-f]+", g[0])]
    check("hash: the four buckets hold gdb's pointers (p *table@4)",
          [int(e["addr"], 16) for e in slots] == buckets, [e["addr"] for e in slots])
    check("hash: buckets 0 and 2 are NULL, linked to no block",
          all(slots[i]["block"] is None for i in (0, 2)), slots)

    def chain(slot, n):
        nodes, v = [], slot
        while v and v.get("block") is not None and len(nodes) < n + 1:
            nodes.append(block(s, v["block"]))
            v = field(nodes[-1]["value"], "next")
        return nodes, v

    for slot, gtexts, texts in ((1, g[1:2], ['"ab"']), (3, g[2:4], ['"c"', '"ba"'])):
        nodes, end = chain(slots[slot], len(texts))
        check(f"hash: bucket {slot} chains {len(texts)} struct entry node(s), then NULL",
              len(nodes) == len(texts) and all(n["type"] == "struct entry" for n in nodes) and
              end and int(end["addr"], 16) == 0, [n["type"] for n in nodes])
        for node, gt, text in zip(nodes, gtexts, texts):
            want = gdb_struct(gt)
            key = field(node["value"], "key")
            kb = target(s, key)
            check(f"hash: node {text} holds value {want['value']} as gdb prints it",
                  str(field(node["value"], "value")["value"]) == want["value"], node["value"]["text"])
            check(f"hash: node {text}'s key is the strdup'd block at gdb's {want['key']}, its text {text}",
                  kb and int(kb["addr"], 16) == int(want["key"], 16) and
                  kb["value"]["text"] == text and kb["type"] == f"char[{len(text) - 1}]",
                  kb and (kb["addr"], kb["value"]["text"], kb["type"]))
    view = text_view(exe)
    m = re.search(rf"Step {s['index'] + 1}:.*?(?=\nStep )", view, re.S)
    check("hash: the text view draws the buckets as {NULL, → #2, NULL, → #6}",
          m and "{NULL, → #2, NULL, → #6}" in m.group(0), m and m.group(0)[:400])

    # hash()'s s++ walks "ab": "b" is inside the literal "ab", not a literal of its own
    walk = next((x for x in t["steps"] if x["frames"][-1]["function"] == "hash" and
                 (var(x, "s") or {}).get("value", {}).get("text", "").endswith('"b"')), None)
    names = [v["name"] for v in walk["statics"]] if walk else None
    sv = var(walk, "s")["value"] if walk else {}
    check('hash: s pointing at the "b" of "ab" lists no literal "b"',
          walk and '"b"' not in names and '"ab"' in names, names)
    check('hash: ... and links to the literal "ab"',
          walk and sv.get("static") is not None and
          walk["statics"][sv["static"]]["name"] == '"ab"', sv)
    fr = freed(t)
    gf = or_known(gdb_frees(exe, f"learner_hash.c:{filled + 1}"),
                  [0x5555555592f0, 0x5555555592d0, 0x555555559370, 0x555555559350,
                   0x555555559330, 0x555555559310, 0x5555555592a0])
    check("hash: the blocks are freed in gdb's order (keys before their nodes, the array last)",
          [a for _, a in fr] == gf[:len(fr)] and len(fr) == 7, [hex(a) for _, a in fr])
    fe = step_titled(t, "free(e): block #2 freed")
    ev = var(fe, "e")["value"] if fe else {}
    tb2 = target(fe, var(fe, "table")["value"]) if fe else None
    check("hash: after free(e), e is dangling into freed block #2 (freed: 2), at the same address",
          ev.get("freed") == 2 and ev.get("block") is None and int(ev["addr"], 16) == buckets[1] if ev else False, ev)
    check("hash: ... and so is table[1], still holding it",
          tb2 and tb2["value"]["elements"][1].get("freed") == 2, tb2 and tb2["value"]["elements"][1])
    m = re.search(rf"Step {fe['index'] + 1}:.*?(?=\nStep )", view, re.S) if fe else None
    rows = [" ".join(line.split("│")[1].split()) for line in m.group(0).splitlines()
            if line.count("│") >= 2] if m else []
    stack = " ".join(rows)
    check("hash: the text view says so: e = 0x… (dangling: #2 freed), the note on one line",
          re.search(r"e : struct entry \* \(8 bytes\) = 0x[0-9a-f]+ \(dangling: #2 freed\)", stack) and
          all("(dangling" not in r or "(dangling: #2 freed)" in r for r in rows), rows)
    check("hash: ... and in the bucket array: {NULL, (dangling: #2 freed), NULL, → #6}",
          m and "{NULL, (dangling: #2 freed)," in m.group(0), m and m.group(0)[:700])
    titles = [x["title"] for x in t["steps"] if any(e["kind"] == "free" for e in x["events"])]
    check("hash: each free's step is titled by its code: free(e->key), free(e), free(table)",
          titles[:2] == ["free(e->key): block #3 freed", "free(e): block #2 freed"] and
          titles[-1] == "free(table): block #1 freed", titles)
    check("hash: nothing leaked", t["leaks"] == [], t["leaks"])


def grid():
    exe, filled = build("learner_grid.c")
    t = trace(exe)
    s = step_at(t, filled + 1)
    rows = target(s, var(s, "grid")["value"])
    check("grid: grid's block is int *[3], 24 bytes", rows and rows["type"] == "int *[3]" and
          rows["size"] == 24, rows and rows["type"])
    if not rows:
        return
    g = or_known(gdb(exe, [f"break learner_grid.c:{filled + 1}", "run", "p *grid@3",
                           "p *grid[0]@4", "p *grid[1]@4", "p *grid[2]@4"]),
                 ["{0x5555555592c0, 0x5555555592e0, 0x555555559300}",
                  "{0, 0, 0, 0}", "{0, 0, 7, 0}", "{0, 0, 0, 9}"])
    want = [int(a, 16) for a in re.findall(r"0x[0-9a-f]+", g[0])]
    slots = rows["value"]["elements"]
    check("grid: the row pointers are gdb's (p *grid@3)",
          [int(e["addr"], 16) for e in slots] == want, [e["addr"] for e in slots])
    row_blocks = [target(s, e) for e in slots]
    check("grid: each row is its own block typed int[4]",
          all(b and b["type"] == "int[4]" for b in row_blocks) and
          len({b["id"] for b in row_blocks if b}) == 3, [b and b["type"] for b in row_blocks])
    for r in range(3):
        cells = [int(x) for x in re.findall(r"-?\d+", g[1 + r])]
        check(f"grid: row {r} holds gdb's cells {cells}",
              row_blocks[r] and ints(row_blocks[r]["value"]) == cells,
              row_blocks[r] and row_blocks[r]["value"]["text"])
    # grid[1][2] = 7 ran: row 1 changed, nothing else did
    set7 = next((x for x in t["steps"] if x["line"] == filled), None)
    ch = {b["id"]: b.get("changed") for b in set7["heap"]} if set7 else {}
    ids = [b and b["id"] for b in row_blocks]
    check("grid: after grid[1][2] = 7 only row 1's block is marked changed",
          ids[1] is not None and ch.get(ids[1]) is True and
          [ch.get(ids[0]), ch.get(ids[2]), ch.get(rows["id"])] == [False, False, False], ch)
    view = text_view(exe)
    m = re.search(rf"Step {set7['index'] + 1}:.*?(?=\nStep )", view, re.S) if set7 else None
    check("grid: ... and the text view marks its caption: #3 at 0x…, 16 bytes: int[4] (changed)",
          m and re.search(r"#3 at 0x[0-9a-f]+, 16 bytes: int\[4\] \(changed\)", m.group(0)) and
          not re.search(r"#2 at 0x[0-9a-f]+, 16 bytes: int\[4\] \(", m.group(0)),
          m and m.group(0)[-600:])
    f0 = step_titled(t, "free(grid[r]): block #2 freed")
    after = target(f0, var(f0, "grid")["value"]) if f0 else None
    el = after["value"]["elements"] if after else []
    check("grid: after free(grid[0]) its slot keeps the address but links to no block, rows 1 and 2 do",
          len(el) == 3 and el[0]["block"] is None and int(el[0]["addr"], 16) == want[0] and
          el[1]["block"] is not None and el[2]["block"] is not None, el)
    check("grid: ... dangling into the freed row (freed: 2), the live rows not",
          len(el) == 3 and el[0].get("freed") == 2 and "freed" not in el[1], el)
    fr = freed(t)
    gf = or_known(gdb_frees(exe, f"learner_grid.c:{filled + 1}"), want + [0x5555555592a0])
    check("grid: rows freed before the array, in gdb's order", [a for _, a in fr] == gf[:4] and
          len(fr) == 4, [hex(a) for _, a in fr])
    allocs = [x["title"] for x in t["steps"] if any(e["kind"] == "alloc" for e in x["events"])]
    check("grid: four allocations, the first titled by its code",
          len(allocs) == 4 and allocs[0] ==
          "int **grid = malloc(rows * sizeof *grid): 24 bytes allocated (block #1)", allocs)
    check("grid: nothing leaked", t["leaks"] == [], t["leaks"])


def bst():
    exe, filled = build("learner_bst.c")
    t = trace(exe)
    # the last insert() has returned to main's line; destroy() is called from the next line
    # without a step of main's there
    s = [x for x in t["steps"] if x["line"] == filled and x["frames"][-1]["function"] == "main"][-1]
    g = or_known(gdb(exe, [f"break learner_bst.c:{filled + 1}", "run", "p *root", "p *root->left",
                           "p *root->right", "p *root->left->right"]),
                 ["{key = 5, left = 0x5555555592c0, right = 0x5555555592e0}",
                  "{key = 3, left = 0x0, right = 0x555555559300}",
                  "{key = 8, left = 0x0, right = 0x0}", "{key = 4, left = 0x0, right = 0x0}"])
    root = target(s, var(s, "root")["value"])

    def node(b, path):
        for p in path:
            b = target(s, field(b["value"], p)) if b else None
        return b

    for path, gt in (((), g[0]), (("left",), g[1]), (("right",), g[2]), (("left", "right"), g[3])):
        n = node(root, path)
        want = gdb_struct(gt)
        name = "root" + "".join("->" + p for p in path)
        got = n and {k: field(n["value"], k) for k in ("key", "left", "right")}
        check(f"bst: {name} is a struct tree {{key = {want['key']}, left = {want['left']}, "
              f"right = {want['right']}}} as gdb prints it",
              n and n["type"] == "struct tree" and str(got["key"]["value"]) == want["key"] and
              int(got["left"]["addr"], 16) == int(want["left"], 16) and
              int(got["right"]["addr"], 16) == int(want["right"], 16), n and n["value"]["text"])
    # insert(t->left, 3) returned the new node; nothing on the stack holds it yet
    ret = or_known(gdb(exe, ["break learner_bst.c:15 if key == 3", "run", "finish"]),
                   ["(struct tree *) 0x5555555592c0"])
    raddr = int(re.search(r"0x[0-9a-f]+", ret[-1]).group(0), 16)
    rs = step_titled(t, f"insert() returned {hex(raddr)}")
    nb = block_at(rs, raddr) if rs else None
    check("bst: the node insert() just returned (in no variable yet) is still a struct tree, key 3",
          nb and nb["type"] == "struct tree" and str(field(nb["value"], "key")["value"]) == "3",
          nb and (nb["type"], nb["value"]["text"]))
    bt = gdb(exe, ["break learner_bst.c:15 if key == 4", "run", "p $_caller_is(\"main\", 3)"])
    deep = next((x for x in t["steps"] if x["title"].startswith("t = malloc") and
                 var(x, "key") and var(x, "key")["value"]["value"] == 4), None)
    fns = [f["function"] for f in deep["frames"]] if deep else None
    check("bst: inserting 4 runs three insert() frames above main (gdb: main is 3 callers up)",
          fns == ["main", "insert", "insert", "insert"] and (bt is None or bt == ["1"]), (fns, bt))
    fr = freed(t)
    keys_by_id = {b["id"]: field(b["value"], "key")["value"] for b in s["heap"]}
    gf = or_known(gdb_frees(exe, f"learner_bst.c:{filled + 1}"),
                  [0x555555559300, 0x5555555592c0, 0x5555555592e0, 0x5555555592a0])
    check("bst: destroy() frees in post-order, keys 4 3 8 5, as gdb sees the frees",
          [keys_by_id.get(i) for i, _ in fr] == [4, 3, 8, 5] and [a for _, a in fr] == gf[:4],
          [keys_by_id.get(i) for i, _ in fr])
    end = next((x for x in t["steps"] if x["title"] == "destroy() returned" and len(x["frames"]) == 1), None)
    rv = var(end, "root")["value"] if end else None
    check("bst: after destroy(root), root still holds the old address and links to no block",
          rv and rv["block"] is None and int(rv["addr"], 16) != 0 and end["heap"] == [], rv)
    root_id = var(s, "root")["value"]["block"]
    check("bst: ... dangling into the freed root node (freed: its id)",
          rv and root_id is not None and rv.get("freed") == root_id, (rv, root_id))
    after = next((x for x in t["steps"] if x["index"] > end["index"] and
                  var(x, "root") and var(x, "root")["value"]["addr"] == "0x0"), None) if end else None
    check("bst: root = NULL is no longer dangling", after and "freed" not in var(after, "root")["value"],
          after and var(after, "root")["value"])
    view = text_view(exe)
    m = re.search(rf"Step {after['index'] + 1}:.*?(?=\nStep |\Z)", view, re.S) if after else None
    check("bst: ... and the text view draws it NULL, as NULL pointers in the blocks are (gdb: 0x0)",
          m and "root : struct tree * (8 bytes) = NULL *" in m.group(0), m and m.group(0)[:500])
    check("bst: nothing leaked", t["leaks"] == [], t["leaks"])


def rust():
    exe, filled = build("learner_box.rs")
    t = trace(exe)
    s = step_at(t, filled)
    known = ["learner_box::Point {x: 3, y: 4}", "7"]
    # a String's RawVec: vec.buf.inner.ptr today, vec.buf.ptr in rustc 1.63: gdb answers one
    g = or_known(gdb(exe, [f"break learner_box.rs:{filled}", "run", "p *b", "p sum",
                           *[f"p/x {v}.vec.{raw}.ptr.pointer.pointer"
                             for v in ("s", "h", "loud") for raw in ("buf.inner", "buf")]]), known)
    bv = var(s, "b")["value"]
    bb = target(s, bv)
    check("rust: b's Box holds a Point {x: 3, y: 4} (gdb: p *b), owned by b",
          bb and bb["type"] == "Point" and bb["owner"] == "b" and
          [field(bb["value"], k)["value"] for k in ("x", "y")] == [3, 4] and "x: 3, y: 4" in g[0],
          bb and (bb["type"], bb["owner"], bb["value"]["text"]))
    check("rust: sum is 7 (gdb: p sum)", var(s, "sum")["value"]["value"] == 7 and g[1] == "7",
          var(s, "sum")["value"])

    ins = step_titled(t, "m.insert(s, 1)")
    sv = var(ins, "s")["value"] if ins else {}
    key = block_at(ins, int(sv["ptr"], 16)) if ins else None
    check("rust: after m.insert(s, 1), s is stale (moved into the map)", sv.get("stale") is True, sv)
    check('rust: ... and the block "key" is the map\'s, owned by m[0].0, never s',
          key and key["owner"] == "m[0].0" and key["value"]["text"] == '"key"',
          key and (key["owner"], key["value"]["text"]))
    mb = target(ins, var(ins, "m")["value"]) if ins else None
    entry = mb["value"]["elements"][0] if mb and mb["value"]["elements"] else None
    check("rust: the map's table holds (→ the key's block, 1)",
          entry and field(entry, "__0")["block"] == (key and key["id"]) and
          field(entry, "__1")["value"] == 1, mb and mb["value"]["text"])
    if len(g) > 2:
        check("rust: gdb's s and the map's key are the same address (the String moved, not copied)",
              key and int(g[2], 16) == int(key["addr"], 16), (g[2], key and key["addr"]))

    def owned(step, v, owner, text, typ=None):
        b = target(step, v)
        return b and b["owner"] == owner and (text is None or b["value"]["text"] == text) and \
            (typ is None or b["type"] == typ)

    tt, tteam = step_titled(t, "let t = "), step_titled(t, "let team = ")
    check("rust: a tuple's and a struct's Strings and Vec title their steps by owner path",
          tt and tt["title"].endswith(": t.0 len 1, cap 1") and tteam and
          tteam["title"].endswith(": team.name len 3, cap 3; team.members len 2, cap 2"),
          (tt and tt["title"], tteam and tteam["title"]))
    tv = var(s, "t")["value"]
    check('rust: t = (String::from("a"), 5): t.0 owns "a", t.1 is 5 (gdb: ("a", 5))',
          owned(s, field(tv, "__0"), "t.0", '"a"') and field(tv, "__1")["value"] == 5, tv["text"])
    team = var(s, "team")["value"]
    mem = target(s, field(team, "members"))
    check('rust: team.name owns "red", team.members a [String; 2]',
          owned(s, field(team, "name"), "team.name", '"red"') and
          owned(s, field(team, "members"), "team.members", None, "[String; 2]"), team["text"])
    check('rust: team.members[0] owns "ann", team.members[1] owns "bo" (gdb: {"ann", "bo"})',
          mem and owned(s, mem["value"]["elements"][0], "team.members[0]", '"ann"') and
          owned(s, mem["value"]["elements"][1], "team.members[1]", '"bo"'), mem and mem["value"]["text"])
    gb = target(s, var(s, "grid")["value"])
    rows = [target(s, e) for e in gb["value"]["elements"]] if gb else []
    check("rust: grid is [Vec<i32>; 2] whose rows grid[0] = [1, 2], grid[1] = [3, 4, 5] (gdb)",
          gb and gb["type"] == "[Vec<i32>; 2]" and [r and r["owner"] for r in rows] ==
          ["grid[0]", "grid[1]"] and [ints(r["value"]) for r in rows] == [[1, 2], [3, 4, 5]],
          gb and gb["value"]["text"])

    call = step_titled(t, "shout() called")
    back = step_titled(t, "shout() returned")
    arg = var(call, "s")["value"] if call else {}
    h_at_call = var(call, "h", frame=0)["value"] if call else {}
    loud = var(back, "loud")["value"] if back else {}
    check("rust: in shout(), s holds h's block and main's h is stale",
          arg.get("block") is not None and h_at_call.get("stale") is True, (arg, h_at_call))
    check('rust: after shout(), loud owns the same block, now "hi!" (gdb: loud\'s ptr is h\'s)',
          back and loud.get("block") == arg.get("block") and
          owned(back, loud, "loud", '"hi!"') and (len(g) < 5 or g[3] == g[4]), loud)

    some = step_titled(t, 'o = Some(String::from("x"))')
    ov = var(some, "o")["value"] if some else {}
    check('rust: o = Some(...) owns "x" (o), titled by the String in it: "o len 1, cap 1"',
          some and ov.get("variant") == "Some" and owned(some, field(ov, "__0"), "o", '"x"') and
          some["title"] == 'o = Some(String::from("x")): o len 1, cap 1', some and some["title"])
    took = step_at(t, filled, after=some["index"] if some else 0)
    o2, tk = (var(took, "o")["value"], var(took, "taken")["value"]) if took else ({}, {})
    check("rust: ... and let taken = o.take() is titled taken len 1, cap 1",
          took and took["title"] == "let taken = o.take(): taken len 1, cap 1", took and took["title"])
    check("rust: after o.take(), o is None and taken owns the same block",
          o2.get("variant") == "None" and tk.get("variant") == "Some" and
          field(tk, "__0")["block"] == field(ov, "__0")["block"] and
          owned(took, field(tk, "__0"), "taken", '"x"'), (o2, tk))
    last = t["steps"][-1]
    brace = t["steps"][-2]
    xb = block(brace, field(ov, "__0")["block"]) if ov else None
    check('rust: at the closing }, out of taken\'s scope, its block is still the text "x"',
          brace["line"] == filled + 1 and var(brace, "taken") is None and xb and
          xb["value"]["text"] == '"x"', xb and xb["value"]["text"])
    d = drops(last)
    names = [n for n, _ in d]
    want = ["taken", "loud", "grid[0]", "grid[1]", "grid", "team.name", "team.members[0]",
            "team.members[1]", "team.members", "t.0", "m[0].0", "m", "b"]
    check("rust: the drops are named by owner in Rust's order (reverse declaration, fields in order)",
          names == want, names)
    check("rust: never drop(s) nor drop(h): moved-from handles drop nothing",
          "s" not in names and "h" not in names, names)
    owners = {b["id"]: b["owner"] for b in brace["heap"]}
    check("rust: each drop frees the block its owner held at the step before",
          all(owners.get(i) == n for n, i in d), [(n, owners.get(i)) for n, i in d])
    fr = freed(t)
    gf = gdb_frees(exe, f"learner_box.rs:{filled}")
    check("rust: the blocks are freed in the order gdb sees the frees",
          gf is None or [a for _, a in fr] == gf[:len(fr)], ([hex(a) for _, a in fr], gf))
    view = text_view(exe)
    end_text = view[view.rfind("main() returned"):]
    check('rust: the freed list of the last step says "1 byte" for t.0\'s block, never "1 bytes"',
          re.search(r"freed: #4 at 0x[0-9a-f]+, 1 byte\b", end_text) and "1 bytes" not in view,
          end_text[:300])
    check("rust: nothing leaked", t["leaks"] == [], t["leaks"])


hash_table()
grid()
bst()
if RUSTC:
    rust()
else:
    print("skip: no rustc, the Rust program is not traced")
finish()

#!/usr/bin/env python3
"""tests/cpp/cpp_values_facts.py — libstdc++'s containers drawn as the lesson draws Rust's
(src/trace/debuginfo/dwarf_cxx_std.c), read from `stackheap run --json` of
tests/cpp/cpp_values.cpp and cpp_values_bst.cpp, built here with one compiler (g++ or
clang++, -g -O0), and compared with what gdb's pretty printers print:

- type names as a learner writes them: std::vector<std::string>, std::map<std::string, int>,
  std::unique_ptr<Node>, Person (no `struct `), const std::string & for a reference;
- std::string: a handle (ptr, len, cap) whose text is the string; a long one's block typed
  char[cap + 1] with the text, owned by the variable; a short one (in the object) no block,
  and not stale;
- std::vector<T>: len, cap and the elements as gdb gives them ([1, 2, 3]); its block T[cap]
  with the elements; a vector of strings' block std::string[2], each element a handle (the
  long one with its own block, owned by words[0]);
- std::shared_ptr: make_shared's one block std::_Sp_counted_ptr_inplace<int> holding the
  counts (gdb's use and weak counts) and the value, at gdb's get() - 16, the same block for
  both owners; shared_ptr(new Person)'s control block std::_Sp_counted_ptr<Person *> and the
  Person's own block (at gdb's get()), owned by boss.ptr;
- std::map and std::unordered_map: the handle's text the entries {"alice": 30, ...} in gdb's
  order, the nodes blocks typed as nodes with their key and value, reached through the tree's
  left/right and the list's next; the unordered_map's bucket array typed as its pointers;
  a set's keys in order; a derived struct's base part as gdb shows it ({<Shape>: ...});
- a class with a std::string member and a method: `this` a pointer to main's object; a
  constructor's `const std::string &` parameter reads as the string it refers to;
- a unique_ptr binary search tree: each node a Node block at the address gdb gives, owned by
  root, root.left, root.left.right (its parent's box).

Blocks libstdc++ allocates for the program (a vector's string, a tree's inner nodes) are
shown only when the engine watches operator new; facts on them are checked when they are
shown, and the script says so when they are not (all of them are on a build that has it).

Usage: cpp_values_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR COMPILER
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from factcheck import check, cxx_facts_setup, find_block, find_var, finish, gdb_answers, line_of, trace_json  # noqa: E402

BIN, SRC, WORK, CXX, TAG, build = cxx_facts_setup()
HAVE_GDB = shutil.which("gdb") is not None and not os.environ.get("SH_TEST_NO_GDB")

# What gdb 13.1 printed for the g++ 12 build (the values; addresses vary): used without gdb.
GDB_SAID = {
    "words": 'std::vector of length 2, capacity 2 = {"a string too long for the small buffer", '
             '"short"}',
    "greeting": '"hello, this is longer than fifteen"',
    "tiny": '"hi"',
    "nums": "std::vector of length 3, capacity 3 = {1, 2, 3}",
    "shared": "std::shared_ptr<int> (use count 2, weak count 0) = {get() = 0x0}",
    "*shared": "42",
    "boss": "std::shared_ptr<Person> (use count 1, weak count 0) = {get() = 0x0}",
    "*boss": '{name = "Ada Lovelace, a long name", age = 36}',
    "ages": 'std::map with 2 elements = {["alice"] = 30, ["bob"] = 25}',
    "stock": 'std::unordered_map with 2 elements = {["pears"] = 5, ["apples"] = 3}',
    "p": '{name = "Grace", age = 46}',
    "primes": "std::set with 3 elements = {[0] = 2, [1] = 5, [2] = 7}",
    "sq": "{<Shape> = {sides = 4}, side = 3}",
}
BST_SAID = ["root", "*root", "*root->left", "*root->right", "*root->left->right"]
not_shown = []


def gdb(exe, where, exprs):
    """gdb's answer for each expression at `where` (a dict), or {} without gdb."""
    if not HAVE_GDB:
        return {}
    return gdb_answers(exe, where, dict.fromkeys(exprs), note_to=lambda _: None,
                       guard=f"{TAG}: gdb answered every question at {where}")


def vector_text(said):
    """gdb's `std::vector of length 2, capacity 2 = {1, 2}` as (len, cap, "[1, 2]")."""
    m = re.match(r"std::vector of length (\d+), capacity (\d+) = \{(.*)\}$", said)
    return int(m.group(1)), int(m.group(2)), "[" + m.group(3) + "]"


def map_text(said):
    """gdb's `std::map with 2 elements = {["a"] = 1, ...}` as '{"a": 1, ...}' and its keys."""
    pairs = re.findall(r'\[("[^"]*"|[^\]]*)\] = ([^,}]+)', said)
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}", [k for k, _ in pairs]


def shared_counts(said):
    m = re.search(r"use count (\d+), weak count (\d+)\) = \{get\(\) = (0x[0-9a-f]+)", said)
    return int(m.group(1)), int(m.group(2)), int(m.group(3), 16)


def field(value, name):
    return next((f["value"] for f in value.get("fields", []) if f["name"] == name), None)


def shown(step, ident, what):
    """The block `ident` if the step shows it, else None, noted."""
    b = find_block(step, ident)
    if b is None:
        not_shown.append(what)
    return b


def step_at(t, function, line):
    return next((s for s in t["steps"] if s["frames"] and s["frames"][-1]["function"] == function
                 and s["line"] == line), None)


def last_before(t, line):
    """main's last step at or above `line` (its return: the step after the last call returned
    may stand for it), before the scope's end destroys anything."""
    found = None
    for s in t["steps"]:
        if not s["frames"] or s["frames"][-1]["function"] != "main":
            continue
        if s["line"] > line:
            break
        found = s
    return found


def values_facts():
    exe, source = build("cpp_values")
    ret = line_of(source, "return n - 46;")
    said = dict(GDB_SAID)
    if HAVE_GDB:   # the values from the g++ build: gdb cannot print clang++'s std::string
        ref = build("cpp_values", "g++")[0] if shutil.which("g++") else exe
        said.update(gdb(ref, f"cpp_values.cpp:{ret}", list(GDB_SAID)))
    own = gdb(exe, f"cpp_values.cpp:{ret}", ["shared", "boss", "&p"])
    t = trace_json(BIN, exe, WORK)
    s = last_before(t, ret)
    var = {n: find_var(s, n) for n in ("words", "greeting", "tiny", "nums", "shared", "other",
                                       "boss", "ages", "stock", "p", "primes", "sq")} if s else {}
    if not var or not all(var.values()):   # guards: counted only when they fail
        check(f"{TAG}: main's variables at a step up to line {ret}", False, var)
        return
    types = {"words": "std::vector<std::string>", "greeting": "std::string", "tiny": "std::string",
             "nums": "std::vector<int>", "shared": "std::shared_ptr<int>",
             "boss": "std::shared_ptr<Person>", "ages": "std::map<std::string, int>",
             "stock": "std::unordered_map<std::string, int>", "primes": "std::set<int>",
             "sq": "Square"}
    for n, want in types.items():
        check(f"{TAG}: {n} is a {want}", var[n]["type"] == want, var[n]["type"])

    # std::string, long and short
    g = var["greeting"]["value"]
    check(f"{TAG}: greeting is a string handle reading as gdb's {said['greeting']}",
          g.get("owned") == "string" and g["text"] == said["greeting"] and
          g["len"] == len(said["greeting"]) - 2, g)
    gb = find_block(s, g.get("block"))
    check(f"{TAG}: greeting's block is char[cap + 1] with its text, owned by greeting",
          gb is not None and gb["type"] == f"char[{g['cap'] + 1}]" and
          gb["value"]["text"] == said["greeting"] and gb["owner"] == "greeting", gb)
    tv = var["tiny"]["value"]
    check(f"{TAG}: tiny (short, 32 bytes) reads {said['tiny']}, in the object: no block, not "
          "stale, cap 15", var["tiny"]["size"] == 32 and tv.get("owned") == "string" and tv["text"] == said["tiny"] and tv["block"] is None and
          not tv["stale"] and tv["cap"] == 15 and
          int(tv["ptr"], 16) == int(var["tiny"]["addr"], 16) + 16, tv)

    # vectors
    n_len, n_cap, n_text = vector_text(said["nums"])
    nv = var["nums"]["value"]
    check(f"{TAG}: nums is a vec handle, len {n_len}, cap {n_cap}, reading {n_text}",
          nv.get("owned") == "vec" and (nv["len"], nv["cap"], nv["text"]) == (n_len, n_cap, n_text), nv)
    nb = find_block(s, nv.get("block"))
    check(f"{TAG}: nums's block is int[{n_cap}] holding {n_text}, owned by nums",
          nb is not None and nb["type"] == f"int[{n_cap}]" and nb["value"]["text"] == n_text and
          nb["owner"] == "nums", nb)
    w_len, w_cap, w_text = vector_text(said["words"])
    wv = var["words"]["value"]
    check(f"{TAG}: words is a vec handle, len {w_len}, cap {w_cap}, reading gdb's elements",
          wv.get("owned") == "vec" and (wv["len"], wv["cap"], wv["text"]) == (w_len, w_cap, w_text), wv)
    wb = find_block(s, wv.get("block"))
    if check(f"{TAG}: words's block is std::string[{w_cap}], owned by words",
             wb is not None and wb["type"] == f"std::string[{w_cap}]" and wb["owner"] == "words", wb):
        e0, e1 = wb["value"]["elements"][:2]
        check(f"{TAG}: words[0] and words[1] are string handles with gdb's texts",
              e0.get("owned") == "string" and e1.get("owned") == "string" and
              "[" + e0["text"] + ", " + e1["text"] + "]" == w_text, (e0, e1))
        check(f"{TAG}: words[1] (short) has no block and is not stale",
              e1["block"] is None and not e1["stale"], e1)
        b0 = shown(s, e0.get("block"), "words[0]'s chars")
        if b0:
            check(f"{TAG}: words[0]'s block is char[cap + 1] with its text, owned by words[0]",
                  b0["type"] == f"char[{e0['cap'] + 1}]" and b0["value"]["text"] == e0["text"] and
                  b0["owner"] == "words[0]", b0)

    # shared_ptr: make_shared, two owners
    use, weak, get = shared_counts(said["shared"])
    sv, ov = var["shared"]["value"], var["other"]["value"]
    check(f"{TAG}: shared and other are rc handles to one block",
          sv.get("owned") == "rc" and ov.get("owned") == "rc" and sv["block"] is not None and
          sv["block"] == ov["block"] and not sv["stale"] and not ov["stale"], (sv, ov))
    cb = find_block(s, sv.get("block"))
    if check(f"{TAG}: make_shared's block is std::_Sp_counted_ptr_inplace<int>",
             cb is not None and cb["type"] == "std::_Sp_counted_ptr_inplace<int>", cb):
        check(f"{TAG}: its counts are gdb's (use {use}, weak {weak}) and its value {said['*shared']}",
              field(cb["value"], "use_count")["value"] == use and
              field(cb["value"], "weak_count")["value"] == weak and
              field(cb["value"], "value")["text"] == said["*shared"], cb["value"])
        if "shared" in own:
            check(f"{TAG}: the value lies where gdb's get() points (the block + 16)",
                  int(cb["addr"], 16) + 16 == shared_counts(own["shared"])[2], (cb["addr"], own))
    # shared_ptr(new Person): two blocks
    use, weak, _ = shared_counts(said["boss"])
    bv = var["boss"]["value"]
    pb = find_block(s, bv.get("block"))
    if check(f"{TAG}: boss's control block is std::_Sp_counted_ptr<Person *> (use {use}, weak {weak})",
             pb is not None and pb["type"] == "std::_Sp_counted_ptr<Person *>" and
             field(pb["value"], "use_count")["value"] == use and
             field(pb["value"], "weak_count")["value"] == weak, pb):
        box = field(pb["value"], "ptr")
        person = find_block(s, box.get("block")) if box else None
        check(f"{TAG}: it holds the Person's own block, typed Person, owned by boss.ptr",
              person is not None and person["type"] == "Person" and person["owner"] == "boss.ptr" and
              field(person["value"], "name")["text"] + ", " + field(person["value"], "age")["text"]
              == ", ".join(re.findall(r"= (\"[^\"]*\"|\d+)", said["*boss"])), person)
        if person and "boss" in own:
            check(f"{TAG}: the Person's block is at gdb's get()",
                  int(person["addr"], 16) == shared_counts(own["boss"])[2], (person["addr"], own))

    # map and unordered_map
    for name, kind, node in (("ages", "btree", "std::_Rb_tree_node<std::pair<const std::string, int>>"),
                             ("stock", "map", "std::__detail::_Hash_node<std::pair<const std::string, int>, true>")):
        text, keys = map_text(said[name])
        mv = var[name]["value"]
        check(f"{TAG}: {name} is a {kind} handle of {len(keys)} entries reading {text}",
              mv.get("owned") == kind and mv["len"] == len(keys) and mv["text"] == text, mv)
        first = find_block(s, mv.get("block"))
        if not check(f"{TAG}: {name}'s first node is a {node} owned by {name}",
                     first is not None and first["type"] == node and first["owner"] == name, first):
            continue
        found, todo, missing = [], [first], False
        while todo:   # every node, through the boxes each one holds
            b = todo.pop()
            found.append(field(b["value"], "key")["text"])
            check(f"{TAG}: {name}'s node {found[-1]} is a {node} with a key and a value",
                  b["type"] == node and field(b["value"], "value") is not None, b["value"])
            for link in ("left", "right", "next"):
                h = field(b["value"], link)
                if h and h.get("owned") == "box" and int(h["ptr"], 16):
                    nb_ = shown(s, h["block"], f"{name}'s node under {found[-1]}")
                    missing = missing or nb_ is None
                    if nb_:
                        todo.append(nb_)
        if not missing:
            check(f"{TAG}: {name}'s nodes hold gdb's keys {keys}", sorted(found) == sorted(keys), found)

    # the unordered_map's bucket array, at its handle's ctrl: typed as its pointers
    sv_ = var["stock"]["value"]
    arr = next((b for b in s["heap"] if int(b["addr"], 16) == int(sv_.get("ctrl") or "0", 16)), None)
    if arr is None:
        not_shown.append("stock's bucket array")
    else:
        check(f"{TAG}: stock's bucket array is std::__detail::_Hash_node_base *[{sv_['cap']}]",
              arr["type"] == f"std::__detail::_Hash_node_base *[{sv_['cap']}]" and
              len(arr["value"]["elements"]) == min(sv_["cap"], 16), arr)

    # a set: its keys in order, each node a block of its own
    keys = re.findall(r"\] = (\d+)", said["primes"])
    pr = var["primes"]["value"]
    check(f"{TAG}: primes is a btree handle of {len(keys)} reading {{{', '.join(keys)}}}",
          pr.get("owned") == "btree" and pr["len"] == len(keys) and
          pr["text"] == "{" + ", ".join(keys) + "}", pr)
    root = find_block(s, pr.get("block"))
    check(f"{TAG}: primes's root node is a std::_Rb_tree_node<int> with a key and no value",
          root is not None and root["type"] == "std::_Rb_tree_node<int>" and
          field(root["value"], "key")["text"] in keys and field(root["value"], "value") is None, root)

    # a struct derived from another: the base's part an entry of its own, as gdb shows it
    base = re.sub(r" = ", ": ", said["sq"])
    check(f"{TAG}: sq reads {base} (gdb: {said['sq']})", var["sq"]["value"]["text"] == base,
          var["sq"]["value"].get("text"))

    # a class: its string member, its method's this, its constructor's reference
    pv = var["p"]["value"]
    check(f"{TAG}: p reads {{name: \"Grace\", age: 46}} as gdb's {said['p']}",
          field(pv, "name")["text"] == '"Grace"' and field(pv, "age")["value"] == 46 and
          said["p"] == '{name = "Grace", age = 46}', pv)
    b_step = step_at(t, "birthday", line_of(source, "return age;"))
    this = find_var(b_step, "this") if b_step else None
    if this is None:
        not_shown.append("birthday's this")
    else:
        check(f"{TAG}: birthday's this is a Person * pointing to main's p",
              this["type"].startswith("Person *") and
              int(this["value"]["addr"], 16) == int(var["p"]["addr"], 16), this)
    c_step = next((x for x in t["steps"] if x["frames"][-1]["function"] == "Person"), None)
    ref = find_var(c_step, "n") if c_step else None
    check(f"{TAG}: Person()'s n is a const std::string & reading the string it refers to",
          ref is not None and ref["type"] == "const std::string &" and
          ref["value"]["text"] == field(person["value"], "name")["text"]
          if pb and person else False, ref)


def bst_facts():
    exe, source = build("cpp_values_bst")
    ret = line_of(source, "return root->left->right->key - 4;")
    said = gdb(exe, f"cpp_values_bst.cpp:{ret}", BST_SAID)
    t = trace_json(BIN, exe, WORK)
    s = last_before(t, ret)
    if s is None:
        check(f"{TAG}: a step of main's up to line {ret} (bst)", False)
        return
    root = find_var(s, "root")
    check(f"{TAG}: root is a std::unique_ptr<Node>, a box",
          root is not None and root["type"] == "std::unique_ptr<Node>" and
          root["value"].get("owned") == "box", root)
    ins = next((x for x in t["steps"] if x["frames"][-1]["function"] == "insert"), None)
    param = find_var(ins, "root") if ins else None
    check(f"{TAG}: insert's root is a std::unique_ptr<Node> & (a pointer to main's root)",
          param is not None and param["type"] == "std::unique_ptr<Node> &" and
          param["value"]["kind"] == "pointer" and
          int(param["value"]["addr"], 16) == int(root["addr"], 16), param)
    want = {"root": 5, "root.left": 3, "root.right": 8, "root.left.right": 4}
    gdb_addr = {}
    if said:
        gdb_addr["root"] = re.search(r"get\(\) = (0x[0-9a-f]+)", said["root"]).group(1)
        for path, expr in (("root", "*root"), ("root.left", "*root->left")):
            lr = re.findall(r"get\(\) = (0x[0-9a-f]+)", said[expr])
            gdb_addr[path + ".left"], gdb_addr[path + ".right"] = lr
    block = find_block(s, root["value"].get("block"))
    nodes = {"root": block}
    for path in ("root.left", "root.right", "root.left.right"):
        parent = nodes.get(path.rsplit(".", 1)[0])
        h = field(parent["value"], path.rsplit(".", 1)[1]) if parent else None
        nodes[path] = shown(s, h.get("block"), path) if h else None
    for path, key in want.items():
        b = nodes[path]
        if b is None and path != "root":
            continue
        check(f"{TAG}: {path} is a Node block with key {key}, owned by {path}",
              b is not None and b["type"] == "Node" and field(b["value"], "key")["value"] == key and
              b["owner"] == path, b)
        if b and path in gdb_addr:
            check(f"{TAG}: {path}'s block is where gdb's get() points",
                  int(b["addr"], 16) == int(gdb_addr[path], 16), (b["addr"], gdb_addr[path]))
    leaf = nodes.get("root.left.right")
    if leaf:
        check(f"{TAG}: a leaf's empty children read nullptr",
              field(leaf["value"], "left")["text"] == "nullptr" and
              field(leaf["value"], "right")["text"] == "nullptr", leaf["value"])


values_facts()
bst_facts()
if not HAVE_GDB:
    print("note: no gdb: values compared with what gdb 13 printed, addresses not compared")
if not_shown:
    print(f"note: {TAG}: not shown by this engine (libstdc++'s own allocations): " +
          ", ".join(not_shown))
finish(f" ({TAG})")

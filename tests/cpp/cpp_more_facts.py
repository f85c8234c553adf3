#!/usr/bin/env python3
"""tests/cpp/cpp_more_facts.py — more of libstdc++ drawn as handles
(src/trace/debuginfo/dwarf_cxx_std.c), read from `stackheap run --json` of
tests/cpp/cpp_more.cpp built here with one compiler (g++ or clang++, -std=c++17 -g -O0), and
compared with what gdb's pretty printers print for the same build:

- std::list<int>: a list handle (owned "list") of gdb's length reading gdb's elements
  [10, 20, 30, 40]; its first node the block at gdb's _M_node._M_next, typed
  std::_List_node<int>, owned by lst; each node owning the next (lst.next, lst.next.next),
  their values gdb's; the first node's prev and the last node's next the list's own header
  (in lst, at gdb's &lst._M_impl._M_node - &lst);
- std::forward_list<int>: the same, its first node at gdb's _M_head._M_next, typed
  std::_Fwd_list_node<int>, the last one's next nullptr;
- push_back's step tells the list's new length; a std::list<double> never added to (its
  node type not in the DWARF) reads [], len 0, as gdb's "empty std::list";
- std::deque<int>: a deque handle reading gdb's [0, 1, 2, 3] (push_front'ed), len 4; its map
  block at gdb's _M_map, typed int *[gdb's _M_map_size], owned by dq; the slots in use boxes
  of the chunks, int[128] (512 bytes) each, the first element at gdb's _M_start._M_cur;
- std::optional<int>: an engaged one reads as gdb's contained value, an empty one `nullopt`;
- std::unique_ptr<int[]>: its block, at gdb's get(), typed int[4] holding gdb's
  arr.get()[0]@4, the handle's len 4 (today's main: the first int only);
- tests/cpp/cpp_more_throw.cpp's exception object: the block the catch's `e` refers to (at
  gdb's &e) is allocated in the step that pops check(), at the throw's line (it was told at
  the catch: libstdc++'s __cxa_allocate_exception returns the object past its own header,
  inside the block), and freed at the catch's end.

Usage: cpp_more_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR COMPILER
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from factcheck import check, cxx_facts_setup, find_block, find_var, finish, gdb_answers, line_of, trace_json  # noqa: E402

BIN, SRC, WORK, CXX, TAG, build = cxx_facts_setup("-std=c++17")
HAVE_GDB = shutil.which("gdb") is not None and not os.environ.get("SH_TEST_NO_GDB")

# What gdb 13.1 printed for the g++ 12 build at `return n - 27;` (heap addresses vary by
# build and allocator: used without gdb, addresses then not compared).
QUESTIONS = ["lst", "fwd", "some", "none", "arr.get()[0]@4", "(void*)lst._M_impl._M_node._M_next",
             "(void*)fwd._M_impl._M_head._M_next",
             "(char*)&lst._M_impl._M_node - (char*)&lst", "arr", "dq", "dq._M_impl._M_map_size", "unused",
             "(void*)dq._M_impl._M_map", "(void*)dq._M_impl._M_start._M_cur"]
GDB_SAID = {
    "lst": "std::__cxx11::list = {[0] = 10, [1] = 20, [2] = 30, [3] = 40}",
    "fwd": "std::forward_list = {[0] = 7, [1] = 8, [2] = 9}",
    "some": "std::optional<int> = {[contained value] = 5}",
    "none": "std::optional<int> [no contained value]",
    "arr.get()[0]@4": "{1, 2, 3, 4}",
    "(char*)&lst._M_impl._M_node - (char*)&lst": "0",
    "dq": "std::deque with 4 elements = {0, 1, 2, 3}",
    "dq._M_impl._M_map_size": "8",
    "unused": "empty std::__cxx11::list",
}


def gdb(exe, where):
    """gdb's answers to QUESTIONS at `where`; without gdb, what gdb 13 said (GDB_SAID: the
    addresses it gave are not kept, they are this machine's)."""
    got = gdb_answers(exe, where, {q: GDB_SAID.get(q) for q in QUESTIONS}, note_to=lambda _: None,
                      guard=f"{TAG}: gdb answered every question at {where}")
    return {k: v for k, v in got.items() if v is not None}


def field(value, name):
    return next((f["value"] for f in (value or {}).get("fields", []) if f["name"] == name), None)


def elements(said):
    """gdb's `... = {[0] = 10, [1] = 20}` as "[10, 20]"."""
    return "[" + ", ".join(re.findall(r"\[\d+\] = ([^,}]+)", said)) + "]"


def addr_of(said):
    m = re.search(r"0x[0-9a-f]+", said or "")
    return int(m.group(0), 16) if m else None


def chain(step, first, owner):
    """The nodes from `first` through their `next` boxes: [(block, path)]."""
    out, b, path = [], first, owner
    while b is not None and len(out) < 64:
        out.append((b, path))
        nx = field(b["value"], "next")
        if not nx or nx.get("owned") != "box" or not int(nx["ptr"], 16):
            break
        b, path = find_block(step, nx.get("block")), path + ".next"
    return out


def facts():
    exe, source = build("cpp_more")
    ret = line_of(source, "return n - 27;")
    said = gdb(exe, f"cpp_more.cpp:{ret}")
    t = trace_json(BIN, exe, WORK)
    s = next((x for x in t["steps"] if x["frames"] and x["frames"][-1]["function"] == "main"
              and x["line"] == ret), None)
    var = {n: find_var(s, n) for n in ("lst", "fwd", "some", "none", "arr", "dq", "unused")} if s else {}
    if not var or not all(var.values()):   # guards: counted only when they fail
        check(f"{TAG}: main's variables at line {ret}", False, var)
        return

    for name, node in (("lst", "std::_List_node<int>"), ("fwd", "std::_Fwd_list_node<int>")):
        want = elements(said[name])
        n = want.count(",") + 1
        v = var[name]["value"]
        check(f"{TAG}: {name} is a list handle of {n} reading gdb's {want}",
              v.get("owned") == "list" and v.get("len") == n and v.get("text") == want, v)
        first = find_block(s, v.get("block"))
        head = {"lst": "(void*)lst._M_impl._M_node._M_next",
                "fwd": "(void*)fwd._M_impl._M_head._M_next"}[name]
        if not check(f"{TAG}: {name}'s first node is a {node} block owned by {name}",
                     first is not None and first["type"] == node and first["owner"] == name, first):
            continue
        if head in said:
            check(f"{TAG}: {name}'s first node is at gdb's {head}",
                  int(first["addr"], 16) == addr_of(said[head]), (first["addr"], said[head]))
        nodes = chain(s, first, name)
        got = "[" + ", ".join(field(b["value"], "value")["text"] for b, _ in nodes) + "]"
        check(f"{TAG}: {name}'s nodes, each owning the next, hold gdb's {want}",
              got == want and all(b["type"] == node and b["owner"] == p for b, p in nodes),
              [(b["type"], b["owner"], b["value"].get("text")) for b, _ in nodes])
        last = field(nodes[-1][0]["value"], "next")
        if name == "fwd":
            check(f"{TAG}: fwd's last node's next is nullptr",
                  last is not None and last.get("text") == "nullptr", last)
            continue
        header = int(var["lst"]["addr"], 16) + int(said.get(
            "(char*)&lst._M_impl._M_node - (char*)&lst", "0"))
        check(f"{TAG}: lst's last node's next and first node's prev are its header, in lst",
              last is not None and last.get("kind") == "pointer" and
              int(last["addr"], 16) == header and
              int(field(first["value"], "prev")["addr"], 16) == header, (last, header))

    push = next((x for x in t["steps"] if x["line"] == line_of(source, "lst.push_back(40);") + 1),
                None)
    check(f"{TAG}: push_back's step tells lst's new length",
          push is not None and "lst len 4" in push["title"], push and push["title"])

    uv = var["unused"]["value"]
    check(f"{TAG}: unused (gdb: {said['unused']}) is an empty list handle reading []",
          said["unused"].startswith("empty ") and uv.get("owned") == "list" and
          uv.get("len") == 0 and uv.get("text") == "[]", uv)

    want = "[" + said["dq"].split(" = {", 1)[1].rstrip("}") + "]"
    n = want.count(",") + 1
    dv = var["dq"]["value"]
    m = find_block(s, dv.get("block"))
    size = int(said["dq._M_impl._M_map_size"])
    where = {k: addr_of(said.get(k)) for k in ("(void*)dq._M_impl._M_map",
                                               "(void*)dq._M_impl._M_start._M_cur")}
    check(f"{TAG}: dq is a deque handle of {n} reading gdb's {want}; its map block int *[{size}] "
          "owned by dq" + (" at gdb's _M_map" if HAVE_GDB else ""),
          dv.get("owned") == "deque" and dv.get("len") == n and dv.get("text") == want and
          m is not None and m["type"] == f"int *[{size}]" and m["owner"] == "dq" and
          (not HAVE_GDB or int(m["addr"], 16) == where["(void*)dq._M_impl._M_map"]), (dv, m))
    chunks = []
    for i, slot in enumerate((m or {}).get("value", {}).get("elements", [])):
        if slot.get("owned") == "box":
            chunks.append((find_block(s, slot.get("block")), f"dq[{i}]"))
    cur = where.get("(void*)dq._M_impl._M_start._M_cur")
    check(f"{TAG}: dq's map slots in use own its chunks, int[128] each (the first element "
          "in one of them" + (", at gdb's _M_start._M_cur)" if HAVE_GDB else ")"),
          chunks and all(c is not None and c["type"] == "int[128]" and c["size"] == 512 and
                         c["owner"] == p for c, p in chunks) and
          (not HAVE_GDB or any(int(c["addr"], 16) <= cur < int(c["addr"], 16) + 512
                               for c, _ in chunks)),
          [(c and c["type"], c and c["owner"], p) for c, p in chunks])

    some = re.search(r"\[contained value\] = (.*)\}$", said["some"])
    check(f"{TAG}: some reads gdb's contained value {some and some.group(1)}",
          some is not None and var["some"]["value"].get("text") == some.group(1),
          var["some"]["value"])
    check(f"{TAG}: none (gdb: {said['none']}) reads nullopt",
          "no contained value" in said["none"] and var["none"]["value"].get("text") == "nullopt",
          var["none"]["value"])

    want = "[" + said["arr.get()[0]@4"].strip("{}") + "]"
    av = var["arr"]["value"]
    b = find_block(s, av.get("block"))
    at = addr_of(said.get("arr")) if HAVE_GDB else None
    check(f"{TAG}: arr's block{' (at gdb get())' if at else ''} is int[4] holding gdb's {want}, "
          "owned by arr; the handle's len 4",
          b is not None and b["type"] == "int[4]" and b["value"]["text"] == want and
          b["owner"] == "arr" and av.get("len") == 4 and (not at or int(b["addr"], 16) == at),
          (av, b, at))


def throw_facts():
    exe, source = build("cpp_more_throw")
    catch = line_of(source, "got = e.what()")
    amp_e = None
    if HAVE_GDB:
        r = subprocess.run(["gdb", "-nx", "-batch", "-ex", f"break cpp_more_throw.cpp:{catch}",
                            "-ex", "run", "-ex", "print (void*)&e", exe], capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, DEBUGINFOD_URLS=""))
        amp_e = addr_of(r.stdout.split("$1 = ")[-1]) if "$1 = " in r.stdout else None
    t = trace_json(BIN, exe, WORK)
    at = next((x for x in t["steps"] if x["line"] == catch and find_var(x, "e")), None)
    e = find_var(at, "e") if at else None
    obj = find_block(at, e["value"].get("block")) if e else None
    if obj is None or e["value"]["kind"] != "pointer" or (
            amp_e is not None and int(e["value"]["addr"], 16) != amp_e):   # a guard
        check(f"{TAG}: the catch's e refers into a heap block at gdb's &e", False, (e, amp_e))
        return
    made = [x for x in t["steps"] for ev in x["events"]
            if ev["kind"] == "alloc" and ev.get("block_id") == obj["id"]]
    gone = [x for x in t["steps"] for ev in x["events"]
            if ev["kind"] == "free" and ev.get("block_id") == obj["id"]]
    throw = line_of(source, "throw std::invalid_argument")
    check(f"{TAG}: the exception object is allocated in the step popping check(), at the throw's "
          f"line {throw}, and freed at the catch's closing brace",
          len(made) == 1 and made[0]["title"] == "exception: popped check()" and
          obj["alloc_line"] == throw and len(gone) == 1 and
          gone[0]["index"] > at["index"] and gone[0]["title"].startswith("}"),
          ([x["title"] for x in made], obj["alloc_line"], [x["title"] for x in gone]))


facts()
throw_facts()
if not HAVE_GDB:
    print("note: no gdb: values compared with what gdb 13 printed, addresses not compared")
finish(f" ({TAG})")

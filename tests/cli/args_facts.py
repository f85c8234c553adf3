#!/usr/bin/env python3
"""tests/cli/args_facts.py — the program's arguments in the Static/Global region
(docs/trace-json.md, "Static variable"): tests/cli/args.c run with `one` and `two words`;
at the line marked `facts` the region has the array main's argv points to (named argv,
char *[4], its elements pointing to the texts and a NULL last) and the three texts (named
by their text, as literals), argv and `first` link to them (`static`), the text view draws
them in an "arguments" group and argv as &argv[0], and the Python Tutor export has them in
its globals. The values are compared with gdb's (`print argv[1]` ...) when it is installed,
else with GDB_SAID, what gdb 13 printed. Run by test_args.sh; prints "ok"/"FAIL" per fact
and "N passed, N failed".

Usage: args_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, gdb_answers, load_trace, c_compiler  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
source = os.path.join(SRC, "tests", "cli", "args.c")
prog = os.path.join(WORK, "args")
subprocess.run([*c_compiler(), "-g", "-O0", "-o", prog, source], check=True)
FACTS = next(i + 1 for i, l in enumerate(open(source).read().splitlines()) if "/* facts */" in l)
ARGS = ["one", "two words"]
ENV = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", COLUMNS="120")

# gdb -batch at FACTS, the same arguments: what it printed (addresses vary with the
# environment; the texts and the distances between them do not)
GDB_SAID = {"argc": "3", "argv[0]": '0x7fffffffe9b3 "%s"' % prog, "argv[1]": '0x7fffffffe9ba "one"',
            "argv[2]": '0x7fffffffe9be "two words"', "argv[3]": "0x0",
            "argv[2] - argv[1]": "4", "first == argv[1]": "1"}


def text_of(said):   # 0x7fffffffe9ba "one" -> "one" (with its quotes); 0x0 -> None
    m = re.search(r'(".*")$', said)
    return m.group(1) if m else None


gdb = gdb_answers(prog, f"args.c:{FACTS}", GDB_SAID, ARGS)

tj = os.path.join(WORK, "t.json")
subprocess.run([BIN, "run", "--json", tj, "--", prog, *ARGS], check=True, env=ENV,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t = load_trace(tj)
step = next(s for s in t["steps"] if s["line"] == FACTS)
st = step["statics"]
main = {v["name"]: v for v in step["frames"][0]["vars"]}
arr_i = next((i for i, v in enumerate(st) if v["name"] == "argv" and v.get("argument")), None)
check("JSON: the region has argv's array, an argument", arr_i is not None, [v["name"] for v in st])
if arr_i is None:
    finish()
arr = st[arr_i]
els = arr["value"]["elements"]
check("JSON: argv's array is char *[4] (argc 3 and the NULL), 32 bytes",
      arr["type"] == "char *[4]" and arr["size"] == 32 and len(els) == 4, (arr["type"], arr["size"]))
check("JSON: the array is where main's argv points, and argv links to it",
      arr["addr"] == main["argv"]["value"]["addr"] and main["argv"]["value"]["static"] == arr_i,
      (arr["addr"], main["argv"]["value"]))
texts = [text_of(gdb[f"argv[{i}]"]) for i in range(3)]
check("gdb: argc is 3", str(main["argc"]["value"]["value"]) == gdb["argc"])
check("gdb: the elements' texts are argv[0..2]'s, the last is NULL (argv[3] = 0x0)",
      [text_of(e["text"]) for e in els[:3]] == texts and els[3]["addr"] == gdb["argv[3]"],
      ([e["text"] for e in els], texts))
check("gdb: argv[2] - argv[1] is the distance of their texts",
      int(els[2]["addr"], 16) - int(els[1]["addr"], 16) == int(gdb["argv[2] - argv[1]"]))
for i, e in enumerate(els[:3]):
    tgt = st[e["static"]] if e.get("static") is not None else None
    check(f"JSON: argv[{i}] links to its text, named {texts[i]}, an argument char array",
          tgt is not None and tgt["name"] == texts[i] and tgt.get("argument") and
          not tgt.get("literal") and tgt["addr"] == e["addr"] and
          tgt["type"] == "char[%d]" % (len(json.loads(texts[i])) + 1) and
          tgt["value"]["text"] == texts[i], tgt)
first = main["first"]["value"]
check("gdb: first == argv[1], and first links to the text \"one\"",
      gdb["first == argv[1]"] == "1" and first["addr"] == els[1]["addr"] and
      first.get("static") is not None and st[first["static"]]["name"] == '"one"', first)

# the text view: an "arguments" group, argv drawn as &argv[0]
out = subprocess.run([BIN, "run", "--", prog, *ARGS], env=ENV, capture_output=True,
                     text=True).stdout
m = re.search(r"(?ms)^Step \d+: .*?args\.c:%d$(.*?)(?=^Step \d+:|\Z)" % FACTS, out)
view = m.group(1) if m else ""
region = view.split("Static/Global", 1)[1] if "Static/Global" in view else ""
check("text view: main's argv is &argv[0]", "argv : char ** (8 bytes) = &argv[0]" in view)
check("text view: the region has an arguments group with argv's array and the texts",
      "│ arguments" in region and "argv : char *[4] (32 bytes)" in region and
      all(re.search(r"│\s+%s : char\[\d+\]" % re.escape(x), region) for x in texts), region)
check('text view: the array shows its elements\' texts', '"two words"' in region)

# the Python Tutor export: the array and the texts among the globals
po = os.path.join(WORK, "t.opt.json")
subprocess.run([BIN, "run", "--pytutor", po, "--", prog, *ARGS], check=True, env=ENV,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = json.load(open(po))
e = next(x for x in d["trace"] if x["line"] == FACTS and x["stack_to_render"])
g = e["globals"]
check("pytutor: argv and the three texts are globals, in ordered_globals",
      all(k in g and k in e["ordered_globals"] for k in ["argv"] + texts), e["ordered_globals"])
ga = g.get("argv", [])
check("pytutor: argv is a C_ARRAY of 4 pointers to the texts' addresses",
      ga[:1] == ["C_ARRAY"] and [x[3] for x in ga[2:5]] == [g[k][1] for k in texts] and
      ga[5][3] == "0x0", ga)
check("pytutor: main's argv points at the array",
      e["stack_to_render"][0]["encoded_locals"]["argv"][3] == ga[1])
finish()

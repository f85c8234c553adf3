#!/usr/bin/env python3
"""tests/cli/growth_facts.py — a container growing into a new block is no drop; a value
reassigned is one (src/trace/engine/tracer.c, forget_growth_drops), read from `stackheap run
--json` of tests/cli/growth_drops.rs:

- m, a HashMap, inserting 8 entries: twice its table is freed and a bigger one, m's too, made
  in the same step (hashbrown grows by a new block, not by realloc); neither step tells a
  drop of m (they told drop(m) before), both tell the old table's free;
- `m = HashMap::with_capacity(20)`, `v = vec![3, 4, 5]` and a method's
  `self.items = vec![0; 5]` (bag.items): each a drop of the handle's old value, with its
  block's free, though the handle owns a new block in the same step too; so is
  `*r = String::from("replaced")` through a reference to name.

Usage: growth_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import RUSTC, check, finish, line_of, load_trace  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
source = os.path.join(SRC, "tests", "cli", "growth_drops.rs")
prog = os.path.join(WORK, "growth_drops")
subprocess.run([RUSTC, "-g", "-o", prog, source], check=True, cwd=WORK)
out = os.path.join(WORK, "growth_drops.json")
subprocess.run([BIN, "run", "--json", out, "--", prog], check=True, cwd=WORK,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
steps = load_trace(out)["steps"]

# each step that frees a block some handle owned the step before: (the step before's line,
# that handle, the size freed, the sizes of the handle's blocks made in this step, drops told)
replaced = []
for prev, s in zip(steps, steps[1:]):
    owner = {b["id"]: b.get("owner") for b in prev["heap"]}
    made = {e["block_id"] for e in s["events"] if e["kind"] == "alloc"}
    drops = [e.get("function") for e in s["events"] if e["kind"] == "drop"]
    for e in s["events"]:
        if e["kind"] == "free" and owner.get(e["block_id"]):
            h = owner[e["block_id"]]
            new = [b["size"] for b in s["heap"] if b.get("owner") == h and b["id"] in made]
            replaced.append((prev["line"], h, e["size"], new, drops))

insert = line_of(source, "m.insert(i, i * 10)")
grew = [r for r in replaced if r[1] == "m" and r[3] and r[3][0] > r[2] and r[0] == insert]
check("m's table replaced by a bigger one of m's in the same step, twice while inserting",
      len(grew) == 2, replaced)
check("neither growth tells a drop of m (its free is told)",
      grew and all("m" not in r[4] for r in grew), grew)

for text, handle in (("m = HashMap::with_capacity(20)", "m"), ("v = vec![3, 4, 5]", "v"),
                     ("self.items = vec![0; 5]", "bag.items"),
                     ('*r = String::from("replaced")', "name")):
    at = line_of(source, text)
    got = [r for r in replaced if r[0] == at and r[1] == handle]
    check(f"`{text}` drops {handle}'s old value (its free told), though {handle} owns a new "
          f"block in the same step", len(got) == 1 and got[0][3] and handle in got[0][4],
          (got, replaced))
finish()

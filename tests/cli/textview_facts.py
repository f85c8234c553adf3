#!/usr/bin/env python3
"""tests/cli/textview_facts.py — the text view in a terminal of 60, 100 and 160 columns
(COLUMNS) and in a pipe with no COLUMNS (100): every line of every step within the width
(display columns: a box glyph is one), nothing cut with an ellipsis, every value of the
program's wide struct, long array, heap struct, heap buffer and heap text present at the
line marked `facts` of tests/cli/textview.c (the values gdb prints there: `p squares`,
`p ada`, `p *bob`, `p *buf@10`, `p msg`), the stack box's right edge in one column on every
row, and each arrow drawn beside a box ending on that box's left edge, under its top corner.
Run by test_textview.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

Usage: textview_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, load_trace, c_compiler  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
source = os.path.join(SRC, "tests", "cli", "textview.c")
prog = os.path.join(WORK, "textview")
subprocess.run([*c_compiler(), "-g", "-O0", "-o", prog, source], check=True)
FACTS = next(i + 1 for i, l in enumerate(open(source).read().splitlines()) if "/* facts */" in l)



def env_for(columns):
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)
    return env


def expected(columns):
    """gdb's values at the facts line, as the text view writes them (C's notation); &ada
    from the JSON of a run with the same environment (the stack's addresses depend on it)."""
    trace_file = os.path.join(WORK, "tv.json")
    subprocess.run([BIN, "run", "--json", trace_file, "--", prog], check=True,
                   env=env_for(columns), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    trace = load_trace(trace_file)
    step = next(s for s in trace["steps"] if s["line"] == FACTS)
    ada = next(v for v in step["frames"][-1]["vars"] if v["name"] == "ada")
    return ("1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144".split(", ") +
            ['"Ada Lovelace"', "36", "1.65", "1815", "1843", "1852", "7"] +
            ['"Bob"', "41", "1.8", "100000001", "200000002", "300000003", "400000004",
             ada["addr"]] +   # best_friend = &ada
            ["1000003", "4000012", "9000027", "16000048", "25000075", "36000108", "49000147",
             "64000192", "81000243", "100000300"])


TEXT = "a rather long message that does not fit in a narrow heap column"


def view(columns):
    return subprocess.run([BIN, "run", "--", prog], env=env_for(columns), capture_output=True,
                          text=True).stdout


def facts_step(out):
    m = re.search(r"(?ms)^Step \d+: .*?textview\.c:%d$(.*?)(?=^Step \d+:|\Z)" % FACTS, out)
    return m.group(0) if m else ""


def stack_edges_line_up(text):
    """The stack box's rows, from its top border to its bottom one: the right edge of each
    in the column of the top border's corner."""
    lines = text.splitlines()
    top = next((i for i, l in enumerate(lines) if l.startswith("  ┌")), None)
    if top is None:
        return False
    edge = lines[top].index("┐")
    for l in lines[top + 1:]:
        if len(l) <= edge or l[edge] not in "│┤┘":
            return False
        if l.startswith("  └"):
            return True
    return False


def arrows_reach(text):
    """Each arrow beside a box (`─→│`) ends on the box's left edge, under its `┌`."""
    lines = text.splitlines()
    hits = 0
    for i, l in enumerate(lines):
        for m in re.finditer("─→│", l):
            col = m.start() + 2
            if i == 0 or len(lines[i - 1]) <= col or lines[i - 1][col] != "┌":
                return -1
            hits += 1
    return hits


for columns in (60, 100, 160, None):
    name = f"COLUMNS={columns}" if columns else "no COLUMNS, a pipe"
    width = columns or 100
    out = view(columns)
    lines = out.splitlines()
    too_wide = [l for l in lines if len(l) > width]
    check(f"{name}: every line within {width} columns ({len(lines)} lines)",
          lines and not too_wide, too_wide[:3])
    check(f"{name}: nothing cut with an ellipsis", "…" not in out and "..." not in out,
          [l for l in lines if "…" in l][:3])
    st = facts_step(out)
    values = expected(columns)
    missing = [v for v in values if not re.search(r"(?<![\w.])%s(?![\w])" % re.escape(v), st)]
    check(f"{name}: every value gdb prints at the facts line is in the view", st and not missing,
          missing)
    squeezed = re.sub(r"[\s│]", "", st)
    check(f"{name}: the heap text is whole (its lines joined)",
          '"%s"' % TEXT.replace(" ", "") in squeezed)
    steps = re.split(r"(?m)^(?=Step \d+:)", out)[1:]
    bad = [s.splitlines()[0] for s in steps if not stack_edges_line_up(s)]
    check(f"{name}: the stack box's right edge lines up on every row ({len(steps)} steps)",
          steps and not bad, bad[:2])
    reach = [arrows_reach(s) for s in steps]
    check(f"{name}: every arrow beside a box ends on its left edge ({sum(max(r, 0) for r in reach)} arrows)",
          steps and min(reach) >= 0 and sum(reach) > 0)
    bob = re.search(r"─→│ \{name:", st)
    check(f"{name}: bob's arrow reaches the box of his struct", bob is not None)

finish()

"""tests/trace/api_example_facts.py — the facts of tests/trace/api_example.sh: what
build/examples/trace_api prints for build/lesson/add, checked with gdb and the JSON trace."""
import os
import re
import subprocess
import sys

stackheap, src, work = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "tests", "cli"))
from factcheck import check, finish, gdb_answers, trace_json  # noqa: E402

build = os.path.dirname(stackheap)
example = os.path.join(build, "examples", "trace_api")
add = os.path.join(build, "lesson", "add")
for path in (example, add):
    if not os.access(path, os.X_OK):
        check(f"{path} is built", False)
        finish()

r = subprocess.run([example, add], capture_output=True, text=True, timeout=120, cwd=work)
check("the example runs", r.returncode == 0, r.stderr)
out = r.stdout

# step N  line L  title / "  fn: a = 1  b = ?" lines / "  output: ..." lines
steps = []
for line in out.splitlines():
    m = re.match(r"step (\d+)  line (\d+)  (.*)$", line)
    if m:
        steps.append({"line": int(m[2]), "title": m[3], "frames": [], "output": ""})
    elif line.startswith("  output: "):
        steps[-1]["output"] += line[len("  output: "):]
    elif line.startswith("  ") and steps:
        fn, _, rest = line.strip().partition(":")
        vals = dict(v.split(" = ", 1) for v in rest.strip().split("  ") if v)
        steps[-1]["frames"].append((fn, vals))

trace = trace_json(stackheap, add, work)
check("as many steps as the JSON trace", len(steps) == len(trace["steps"]),
      f"{len(steps)} != {len(trace['steps'])}")
check("the same lines and titles as the JSON trace",
      [(s["line"], s["title"]) for s in steps] ==
      [(s["line"], s["title"]) for s in trace["steps"]])
check("the same variables' values as the JSON trace",
      all([(f["function"], {v["name"]: v["value"]["text"] for v in f["vars"]}) for f in js["frames"]]
          == s["frames"] for s, js in zip(steps, trace["steps"])))
check("the summary line", out.splitlines()[-1] == f"exit code 0, {len(steps)} steps, no leaks",
      out.splitlines()[-1])
check("the program's output is an event of its step", any(s["output"] == "sum = 15" for s in steps))

# gdb at each line where a step stops (not the returns: they show the calling line, stopped
# on the next), the innermost frame's values that are known
compared = 0
for s in steps:
    if not s["frames"] or "returned" in s["title"]:
        continue
    fn, vals = s["frames"][-1]
    known = {k: v for k, v in vals.items() if v != "?"}
    if not known:
        continue
    got = gdb_answers(add, f"add.c:{s['line']}", known, note_to=lambda _: None)
    check(f"line {s['line']} in {fn}(): {known} as gdb says", got == known, got)
    compared += len(known)
check("values compared with gdb", compared >= 8, compared)
finish()

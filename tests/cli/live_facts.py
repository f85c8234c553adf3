#!/usr/bin/env python3
"""tests/cli/live_facts.py — `stackheap run` as the program runs and within bounds:

- the text view is streamed: with the program (live_ask.c) waiting on a FIFO for its
  input, the step of its scanf line, with the prompt "n? " as its output, is on the
  tracer's stdout (a pipe) before anything is written to the FIFO; then the rest comes;
  waiting for input longer than --timeout is not a timeout (CPU time is counted);
- SIGINT (exit 130) and SIGTERM (143) while the program waits: the program is killed, the
  tool says it was interrupted, and --json, --html and --pytutor files are valid documents
  holding the steps so far (the prompt's step last, with an "interrupted" limit event);
- output files are opened before the program starts: a bad --json path fails at once and
  the program (live_marker.c) never runs;
- output passes through whole: fwrite("A\\0B", 1, 3) is "A\\u0000B" in the JSON and
  `A\\0B` in the text view;
- --timeout (default 60, in --help) stops a loop in code without -g (live_spin.c) with a
  message and the trace so far;
- under `ulimit -s 160` the tracer lives and the program's stack overflow (SIGSEGV) is the
  last step.

Run by test_live.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".
Usage: live_facts.py STACKHEAP_BIN SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, load_trace, c_compiler  # noqa: E402

BIN, SRC, WORK = sys.argv[1:4]
HERE = os.path.join(SRC, "tests", "cli")


def build(name, *sources, debug=True):
    out = os.path.join(WORK, name)
    flags = ["-g", "-O0"] if debug else ["-g0", "-O0"]   # -g0: past a -gdwarf-N of SH_TEST_CFLAGS
    subprocess.run([*c_compiler(), *flags, "-o", out, *[os.path.join(HERE, s) for s in sources]],
                   check=True)
    return out


ask = build("live_ask", "live_ask.c")
nul = build("live_nul", "live_nul.c")
marker_prog = build("live_marker", "live_marker.c")
recurse = build("live_recurse", "live_recurse.c")
spin_o = os.path.join(WORK, "live_spin.o")
subprocess.run([*c_compiler(), "-g0", "-O0", "-c", "-o", spin_o, os.path.join(HERE, "live_spin.c")], check=True)
spin_main_o = os.path.join(WORK, "live_spin_main.o")
subprocess.run([*c_compiler(), "-g", "-O0", "-c", "-o", spin_main_o,
                os.path.join(HERE, "live_spin_main.c")], check=True)
spin = os.path.join(WORK, "live_spin")
subprocess.run([*c_compiler(), "-o", spin, spin_main_o, spin_o], check=True)

ASK_LINES = open(os.path.join(HERE, "live_ask.c")).read().splitlines()
SCANF = next(i + 1 for i, l in enumerate(ASK_LINES) if "scanf(" in l)


def read_until(fd, want, seconds):
    """What a pipe gives within `seconds`, stopping once it has `want` (a pattern)."""
    got = b""
    end = time.time() + seconds
    while not want.search(got) and time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        got += chunk
    return got


def load_steps(path):
    """The steps of a JSON trace, or None when there is none or it is not valid JSON."""
    try:
        return load_trace(path)["steps"]
    except (OSError, ValueError, KeyError):
        return None


def start_waiting(extra, name):
    """The tracer on live_ask with stdin a FIFO nobody has written to yet."""
    fifo = os.path.join(WORK, name + ".fifo")
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)   # the program's open of the FIFO does not block
    reader = os.open(fifo, os.O_RDONLY)
    p = subprocess.Popen([BIN, "run", *extra, "--", ask], stdin=reader,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=())
    os.close(reader)
    return p, writer


# ---- streaming ------------------------------------------------------------------------------
prompt_step = f"ask.c:{SCANF}".encode()
# --timeout 1 as well: waiting for input is not running, the program is not killed for it
p, writer = start_waiting(["--timeout", "1"], "stream")
PROMPT = re.compile(rb"output \S+ n\?")   # the view trims the line's trailing space
before = read_until(p.stdout.fileno(), PROMPT, 30)
time.sleep(2.5)
check("streamed: the scanf line's step is out before the program has its input",
      prompt_step in before, before[-400:].decode(errors="replace"))
check("streamed: the prompt 'n? ' is out before the program has its input",
      PROMPT.search(before) is not None)
check("streamed: no step after the read is out before the input",
      b"twice: 42" not in before and b"Summary" not in before)
os.write(writer, b"21\n")
os.close(writer)
try:
    rest, err = p.communicate(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    rest, err = p.communicate()
text = (before + rest).decode(errors="replace")
check("streamed: the program then reads 21 and prints twice: 42", "twice: 42" in text, text[-300:])
check("streamed: waiting 2.5 s for its input past --timeout 1 does not time it out",
      "timeout" not in text and b"timeout" not in err, err[-200:])
check("streamed: the run ends normally (exit 0, summary)",
      p.returncode == 0 and "exit code: 0" in text, f"rc {p.returncode} {err[-200:]!r}")
steps = [l for l in text.splitlines() if l.startswith("Step ")]
check("streamed: each step once, in order",
      [int(l.split()[1].rstrip(":")) for l in steps] == list(range(1, len(steps) + 1)) and steps,
      str(steps))

# ---- SIGINT / SIGTERM -----------------------------------------------------------------------
for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
    name = signal.Signals(sig).name
    files = {k: os.path.join(WORK, f"{name}.{k}") for k in ("json", "html", "pytutor")}
    p, writer = start_waiting(["--json", files["json"], "--html", files["html"],
                               "--pytutor", files["pytutor"]], name)
    # the program has its pid out once it runs; the prompt step waits for the read
    time.sleep(3)   # files mode: stdout stays quiet; the program waits in scanf by now
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=30)
        ended = True
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        ended = False
    os.close(writer)
    err = err.decode(errors="replace")
    check(f"{name}: the tool ends, exit {code}", ended and p.returncode == code,
          f"rc {p.returncode}")
    check(f"{name}: it says it was interrupted", "interrupted" in err, err[-300:])
    try:
        trace = load_trace(files["json"])
    except (OSError, ValueError) as e:
        trace = None
        check(f"{name}: the JSON trace is a valid document", False, str(e))
    else:
        check(f"{name}: the JSON trace is a valid document", True)
    if trace:
        last = trace["steps"][-1]
        outs = "".join(e.get("text", "") for s in trace["steps"] for e in s["events"]
                       if e["kind"] == "output")
        check(f"{name}: the trace holds the steps so far, the scanf line's last",
              last["line"] == SCANF and "n? " in outs, f"line {last['line']}")
        check(f"{name}: its last event says the run was interrupted",
              any(e["kind"] == "limit" and "interrupted" in e.get("text", "")
                  for e in last["events"]), str(last["events"]))
        pid = int(outs.split()[1]) if outs.startswith("pid ") else 0
        check(f"{name}: the program was killed", pid and not os.path.exists(f"/proc/{pid}")
              or pid and open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z", str(pid))
    try:
        page = open(files["html"]).read()
        check(f"{name}: the HTML page is complete and tells the interruption",
              page.rstrip().endswith("</html>") and f"interrupted ({name})" in page)
    except OSError as e:
        check(f"{name}: the HTML page is complete and tells the interruption", False, str(e))
    try:
        pt = json.load(open(files["pytutor"]))
        check(f"{name}: the Python Tutor export is valid, one entry per step or more",
              trace and len(pt["trace"]) >= len(trace["steps"]))
        end = pt["trace"][-1]
        check(f"{name}: the export ends with instruction_limit_reached saying so",
              end.get("event") == "instruction_limit_reached" and
              "interrupted" in end.get("exception_msg", ""), str(end.get("event")))
    except (OSError, ValueError) as e:
        check(f"{name}: the Python Tutor export is valid, one entry per step or more", False, str(e))

# ---- output files first ---------------------------------------------------------------------
marker = os.path.join(WORK, "ran")
t0 = time.time()
r = subprocess.run([BIN, "run", "--json", "/nonexistent-dir/x.json", "--", marker_prog, marker],
                   capture_output=True, text=True, timeout=60)
check("bad --json path: fails (exit 1) naming the file",
      r.returncode == 1 and "/nonexistent-dir/x.json" in r.stderr, f"{r.returncode} {r.stderr!r}")
check("bad --json path: the program never ran", not os.path.exists(marker))
ok_json = os.path.join(WORK, "marker.json")
r = subprocess.run([BIN, "run", "--json", ok_json, "--", marker_prog, marker],
                   capture_output=True, text=True, timeout=60)
check("good --json path: the program ran (the marker works)",
      r.returncode == 0 and os.path.exists(marker))
r = subprocess.run([BIN, "run", "--json", os.path.join(WORK, "none.json"), "--",
                    os.path.join(WORK, "no-such-program")], capture_output=True, text=True,
                   timeout=60)
check("a program that cannot be traced leaves no empty output file",
      r.returncode == 1 and not os.path.exists(os.path.join(WORK, "none.json")))

# a file that was there is not ours to remove or empty when the run cannot start: a kept
# trace, or a link such as /dev/stdout (a test of the link itself, not of /dev/stdout)
kept = os.path.join(WORK, "kept.json")
with open(kept, "w") as f:
    f.write("an earlier trace\n")
link = os.path.join(WORK, "stdout-link")
os.symlink(kept, link)
for path in (kept, link):
    subprocess.run([BIN, "run", "--json", path, "--", os.path.join(WORK, "no-such-program")],
                   capture_output=True, timeout=60)
check("a run that cannot start leaves an existing file and a link as they were",
      os.path.islink(link) and open(kept).read() == "an earlier trace\n")
r = subprocess.run([BIN, "run", "--json", "/dev/stdout", "--", marker_prog, marker],
                   capture_output=True, timeout=60)
check("--json /dev/stdout writes the trace to standard output",
      r.returncode == 0 and json.loads(r.stdout)["format"] == "stackheap-trace",
      r.stdout[:80])
r = subprocess.run([BIN, "run", "--json", kept, "--", marker_prog, marker],
                   capture_output=True, timeout=60)
check("an existing file is replaced by the trace when the run happens",
      json.load(open(kept))["format"] == "stackheap-trace")

# ---- output bytes whole ---------------------------------------------------------------------
nul_json = os.path.join(WORK, "nul.json")
subprocess.run([BIN, "run", "--json", nul_json, "--", nul], capture_output=True, timeout=60)
outs = [e["text"] for s in load_trace(nul_json)["steps"] for e in s["events"]
        if e["kind"] == "output"]
check("NUL: the JSON output is a newline, A, NUL, B", "".join(outs) == "\nA\0B", repr(outs))
raw = open(nul_json, "rb").read()
check("NUL: written as \\u0000", b"A\\u0000B" in raw)
r = subprocess.run([BIN, "run", "--", nul], capture_output=True, timeout=60)
view = r.stdout.decode("utf-8", "replace")
check("NUL: the text view shows A\\0B", "A\\0B" in view,
      [l for l in view.splitlines() if "output" in l])
# an empty line is one empty output line: nothing read past it, no raw NUL written
out_lines = [l for l in view.splitlines() if "output" in l or l.startswith("         ")]
check("an empty output line is drawn empty, the bytes after it once",
      b"\0" not in r.stdout and [l.rstrip() for l in out_lines[:2]] == ["  output │", "  output │ A\\0B"],
      out_lines[:3])

# ---- timeout --------------------------------------------------------------------------------
r = subprocess.run([BIN, "run", "--help"], capture_output=True, text=True, timeout=60)
check("--timeout is in --help with its default of 60 s",
      "--timeout" in r.stdout and "default 60" in r.stdout)
spin_json = os.path.join(WORK, "spin.json")
t0 = time.time()
try:
    r = subprocess.run([BIN, "run", "--timeout", "2", "--json", spin_json, "--", spin],
                       capture_output=True, text=True, timeout=60)
    took = time.time() - t0
    check("timeout: a loop in code without -g ends (exit 1) within 30 s",
          r.returncode == 1 and took < 30, f"rc {r.returncode} in {took:.1f} s")
    check("timeout: the message names --timeout", "--timeout 2" in r.stderr, r.stderr[-300:])
    steps = load_steps(spin_json) or [{"events": []}]
    last = steps[-1]
    check("timeout: the trace so far, main's printf output in it",
          any(e["kind"] == "output" and e.get("text") == "spinning\n"
              for s in steps for e in s["events"]))
    check("timeout: the last event is the timeout's limit",
          last["events"] and last["events"][-1]["kind"] == "limit" and
          "timeout" in last["events"][-1].get("text", ""), str(last["events"]))
except subprocess.TimeoutExpired:
    check("timeout: a loop in code without -g ends (exit 1) within 30 s", False, "hung 60 s")

# ---- ulimit -s 160 --------------------------------------------------------------------------
rec_json = os.path.join(WORK, "recurse.json")
r = subprocess.run(["bash", "-c", 'ulimit -s 160 && exec "$0" run --json "$1" -- "$2"',
                    BIN, rec_json, recurse], capture_output=True, text=True, timeout=300)
check("ulimit -s 160: the tracer finishes (exit 0)", r.returncode == 0,
      f"rc {r.returncode} {r.stderr[-300:]!r}")
last = (load_steps(rec_json) or [{"events": []}])[-1]
sig = [e for e in last["events"] if e["kind"] == "signal"]
check("ulimit -s 160: the last step is the program's SIGSEGV, a stack overflow",
      sig and sig[0].get("value") == 11 and "stack overflow" in sig[0].get("text", ""),
      str(last["events"]))
check("ulimit -s 160: the limit the program had is its own (0.2 MiB)",
      "0.2 MiB (ulimit -s)" in sig[0].get("text", "") if sig else False)

finish()

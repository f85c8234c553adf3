"""tests/cli/factcheck.py — how the tracer's facts scripts report: check() prints "ok" or
"FAIL" per fact and counts it; finish() prints the closing "N passed, N failed" line and
exits non-zero if any fact failed."""
import sys

_counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        _counts["passed"] += 1
        print(f"ok   {name}")
    else:
        _counts["failed"] += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    return bool(cond)


def finish(note=""):
    print(f"{_counts['passed']} passed, {_counts['failed']} failed{note}")
    sys.exit(1 if _counts["failed"] else 0)

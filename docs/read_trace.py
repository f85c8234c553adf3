#!/usr/bin/env python3
"""docs/read_trace.py — reads a stackheap JSON trace (docs/trace-json.md), version 1 or 2,
and gives its steps whole, as version 1 writes them. Standard library only.

    import read_trace
    doc = read_trace.load("trace.json")       # the document, "steps" rebuilt whole
    for step in read_trace.steps(doc): ...    # or step by step, as a generator

    python3 docs/read_trace.py trace.json 12  # prints step 12 whole

Version 2 writes each step as a patch on the one before; this applies them in order. Steps
share the objects that did not change from one to the next: copy one before changing it.
"""
import json
import sys

VERSIONS = (1, 2)


def _fill_text(v):
    """Puts back what version 2 leaves out of a value: an integer's text, when it is the
    decimal form of its value (fields, elements and nested values too)."""
    if not isinstance(v, dict):
        return v
    if v.get("kind") in ("int", "uint") and "text" not in v:
        v["text"] = str(v["value"])
    for f in v.get("fields", ()):
        _fill_text(f["value"])
    for e in v.get("elements", ()):
        _fill_text(e)
    return v


def _whole_var(v):
    _fill_text(v["value"])
    return v


def _whole_frame(f):
    for v in f["vars"]:
        _whole_var(v)
    return f


def _whole_block(b):
    _fill_text(b["value"])
    return b


def _unmarked(obj, marks):
    """obj with the marks off (the same object when none is on)."""
    if not any(obj.get(m) for m in marks):
        return obj
    return {**obj, **{m: False for m in marks}}


def _vars(old, patch):
    """A var-list patch ("nvars", "vars") applied to the previous step's list."""
    out = [_unmarked(v, ("changed",)) for v in old[:patch.get("nvars", len(old))]]
    for key, vp in sorted(patch.get("vars", {}).items(), key=lambda kv: int(kv[0])):
        i = int(key)
        if i >= len(out):            # a whole variable, added at the end
            assert i == len(out), "variable %d after %d" % (i, len(out))
            out.append(_whole_var(vp))
            continue
        new = {**out[i], **vp}       # the keys that changed; "value" replaced whole
        if "value" in vp:
            _fill_text(new["value"])
        new["changed"] = vp.get("changed", "value" in vp)
        out[i] = new
    return out


def steps(doc):
    """The document's steps, each whole as version 1 writes it (a generator)."""
    if doc.get("format") != "stackheap-trace":
        raise ValueError("not a stackheap trace")
    version = doc.get("version")
    if version not in VERSIONS:
        raise ValueError("trace version %r: this reader knows %s" % (version, VERSIONS))
    if version == 1:
        yield from doc["steps"]
        return
    frames, heap, statics, file = [], [], [], None
    for index, p in enumerate(doc["steps"]):
        file = p.get("file", file)
        line = p["line"]
        inserted = [_whole_frame(f) for f in p.get("insert", ())]
        if p.get("cut") or inserted:   # a deep recursion's window moved
            frames = frames[:1] + inserted + frames[1 + p.get("cut", 0):]
        frames = frames[:len(frames) - p.get("pop", 0)]
        patches = p.get("frames", {})
        kept = []
        for i, f in enumerate(frames):
            if 1 <= i <= len(inserted):
                kept.append(f)
                continue
            fp = patches.get(str(i), {})
            nf = {**f, **{k: v for k, v in fp.items() if k not in ("vars", "nvars")}}
            nf["new"] = False
            nf["vars"] = _vars(f["vars"], fp)
            kept.append(nf)
        frames = kept + [_whole_frame(f) for f in p.get("push", ())]
        statics = _vars(statics, p.get("statics", {}))
        hp = p.get("heap", {})
        gone = set(hp.get("gone", ()))
        put = {b["id"]: _whole_block(b) for b in hp.get("put", ())}
        heap = [_unmarked(b, ("new", "grown", "changed")) for b in heap
                if b["id"] not in gone and b["id"] not in put] + list(put.values())
        heap.sort(key=lambda b: int(b["addr"], 16))
        yield {"index": index, "file": file, "line": line,
               "title": p.get("title", "line %d" % line),
               "depth": p.get("depth", len(frames)), "frames": frames, "heap": heap,
               "statics": statics, "events": p.get("events", [])}


def load(path):
    """The trace at `path`, its "steps" a list of whole steps (version 1's shape); its
    "version" stays the one the file was written in."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["steps"] = list(steps(doc))
    return doc


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: read_trace.py TRACE.json STEP\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    n = int(argv[2])
    for i, step in enumerate(steps(doc)):
        if i == n:
            json.dump(step, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
    sys.stderr.write("read_trace.py: no step %d (the trace has %d)\n" % (n, len(doc["steps"])))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

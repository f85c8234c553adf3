/*
 * src/trace/render/html/steps.js — any step of a JSON trace (docs/trace-json.md), whole, as
 * version 1 writes it: the one reader of the trace's steps, for the lesson page (page.js,
 * embedded before it) and for the tests and benches that run under node (require()).
 *
 * Version 1 holds every step whole: step i is steps[i]. Version 2 holds each step as a
 * patch on the step before (frames popped, patched and pushed; variables by index; blocks
 * gone and put by id; marks per step; an int's text left out when it is its digits), so
 * step i is every patch up to i applied in turn to a state (apply(), below). Opening the
 * trace applies them all once and keeps a copy of the state now and then (a checkpoint);
 * step i is then its checkpoint's copy plus the patches after it, however long the trace.
 *
 * A state is a version 1 step whose frames, variables and blocks are its own (apply()
 * changes them in place; a step handed out is a copy), with the list of the objects the
 * last patch marked (`marked`), so that the next patch clears those marks without looking
 * at the rest. Values are shared, never changed (a patch replaces a variable's value whole).
 */
var shSteps = (function () {
  'use strict';

  // Steps between two checkpoints: at least EVERY, and more for a large state (COPIES
  // objects copied per step at most), so a jump applies at most that many patches and the
  // checkpoints of a long trace of a big heap still fit in memory.
  const EVERY = 256, COPIES = 4;

  // An int's or uint's text that version 2 left out (it is the value's digits), put back,
  // inside structs and arrays too. Changes the patch's own object: doing it twice is harmless.
  function fillText(v) {
    if (!v || typeof v !== 'object') return v;
    if ((v.kind === 'int' || v.kind === 'uint') && v.text === undefined) v.text = String(v.value);
    if (v.fields) for (const f of v.fields) fillText(f.value);
    if (v.elements) for (const e of v.elements) fillText(e);
    return v;
  }

  // A whole variable of a patch, as the state's own (its mark as written).
  function ownVar(v, marked) {
    const out = Object.assign({}, v);
    fillText(out.value);
    if (out.changed === undefined) out.changed = false;
    if (out.changed) marked.push(out);
    return out;
  }

  // A var-list patch ({vars, nvars}) applied to a list of variables (a kept frame's, the
  // statics): the list cut to nvars, then each listed variable patched or added.
  function patchVars(vars, p, marked) {
    if (p.nvars !== undefined) vars.length = p.nvars;
    const old = vars.length;
    for (const key in p.vars) {
      const i = Number(key), q = p.vars[key];
      if (i >= old) { vars[i] = ownVar(q, marked); continue; }
      const v = vars[i];
      for (const k in q) v[k] = q[k];   // the keys that changed
      if (q.value !== undefined) fillText(v.value);
      v.changed = q.changed !== undefined ? q.changed : q.value !== undefined;
      if (v.changed) marked.push(v);
    }
    for (let i = old; i < vars.length; i++) if (!vars[i]) throw new Error('variable ' + i + ' is missing');
  }

  // A pushed frame is new, unless its object says otherwise: in a recursion deeper than a
  // step keeps, the frames that come back into view as it unwinds were there all along.
  function pushFrame(f, marked) {
    const out = Object.assign({}, f);
    if (out.new === undefined) out.new = true;
    if (out.new) marked.push(out);
    out.vars = (f.vars || []).map((v) => ownVar(v, marked));
    return out;
  }

  // Addresses are "0x" and lower-case hex without leading zeros: the shorter is the lower.
  const below = (a, b) => (a.length !== b.length ? a.length < b.length : a < b);
  function patchHeap(heap, p, marked) {
    const drop = new Set(p.gone || []);
    const put = (p.put || []).map((b) => {
      const out = Object.assign({}, b);
      for (const k of ['new', 'grown', 'changed']) if (out[k] === undefined) out[k] = false;
      if (out.new || out.grown || out.changed) marked.push(out);
      fillText(out.value);
      drop.add(out.id);
      return out;
    });
    const kept = drop.size ? heap.filter((b) => !drop.has(b.id)) : heap;
    if (!put.length) return kept;
    put.sort((a, b) => (below(a.addr, b.addr) ? -1 : 1));
    const out = [];   // both by address: merged
    let i = 0, j = 0;
    while (i < kept.length || j < put.length) {
      if (j >= put.length || (i < kept.length && below(kept[i].addr, put[j].addr))) out.push(kept[i++]);
      else out.push(put[j++]);
    }
    return out;
  }

  // The state before step 0: no frames, no blocks, no statics, file null.
  const empty = () => ({ index: -1, file: null, line: 0, title: '', depth: 0,
    frames: [], heap: [], statics: [], events: [], marked: [] });

  // Applies step `index`'s patch to state `st` (the step before it), in place.
  function apply(st, patch, index) {
    const marked = st.marked;
    if (marked.length) {   // marks are the step's own: the last step's go
      for (const o of marked) {
        if (o.changed) o.changed = false;
        if (o.new) o.new = false;
        if (o.grown) o.grown = false;
      }
      marked.length = 0;
    }
    const frames = st.frames;
    if (patch.cut || patch.insert) {   // a deep recursion's window moved
      const cut = patch.cut || 0, ins = (patch.insert || []).map((f) => pushFrame(f, marked));
      if (1 + cut > frames.length) throw new Error('step ' + index + ' cuts ' + cut + ' of ' + frames.length + ' frames');
      frames.splice(1, cut, ...ins);
    }
    if (patch.pop) {
      if (patch.pop > frames.length) throw new Error('step ' + index + ' pops ' + patch.pop + ' of ' + frames.length + ' frames');
      frames.length -= patch.pop;
    }
    for (const key in patch.frames) {
      const f = frames[key], p = patch.frames[key];
      if (!f) throw new Error('step ' + index + ' patches frame ' + key + ' of ' + frames.length);
      if (p.function !== undefined) f.function = p.function;
      if (p.file !== undefined) f.file = p.file;
      if (p.line !== undefined) f.line = p.line;
      if (p.cfa !== undefined) f.cfa = p.cfa;
      patchVars(f.vars, p, marked);
    }
    if (patch.push) for (const f of patch.push) frames.push(pushFrame(f, marked));
    if (patch.statics) patchVars(st.statics, patch.statics, marked);
    if (patch.heap) st.heap = patchHeap(st.heap, patch.heap, marked);
    st.index = index;
    if (patch.file !== undefined) st.file = patch.file;
    st.line = patch.line;
    st.title = patch.title !== undefined ? patch.title : 'line ' + patch.line;
    // written only when a deep recursion's middle is left out (more than the frames kept)
    st.depth = patch.depth !== undefined ? patch.depth : frames.length;
    st.events = patch.events || [];
    return st;
  }

  // A copy of a state whose frames, variables and blocks are its own (values shared).
  // `keepMarks`: the copy is a state (with its list of marked objects), else a step.
  function copy(st, keepMarks) {
    const marked = keepMarks ? [] : null;
    const own = (o) => {
      const c = Object.assign({}, o);
      if (marked && (c.changed || c.new || c.grown)) marked.push(c);
      return c;
    };
    const out = {
      index: st.index, file: st.file, line: st.line, title: st.title, depth: st.depth,
      frames: st.frames.map((f) => { const c = own(f); c.vars = f.vars.map(own); return c; }),
      heap: st.heap.map(own),
      statics: st.statics.map(own),
      events: st.events,
    };
    if (marked) out.marked = marked;
    return out;
  }
  const size = (st) => st.frames.reduce((n, f) => n + 1 + f.vars.length, 0) + st.heap.length + st.statics.length;

  // Steps of version 2 from `patch(i)`, the patch of step i (n of them): checkpoints made
  // as the patches are first applied, in order, as far as a step asked for needs (or all of
  // them, a slice at a time, by warm()).
  function patched(n, patch, every) {
    const marks = [];   // checkpoints, by index
    const st = empty();
    let built = -1, since = Infinity;
    function buildTo(i) {
      while (built < i) {
        built++;
        apply(st, patch(built), built);
        if (++since >= every && since * COPIES >= size(st)) { marks.push(copy(st, true)); since = 0; }
      }
    }
    let cur = null;   // the state of the step asked for last: the next one is usually after it
    function at(i) {
      if (!(i >= 0 && i < n)) return undefined;
      buildTo(i);
      if (i === built) return copy(st, false);
      let lo = 0, hi = marks.length - 1;   // the last checkpoint at or before i
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (marks[mid].index <= i) lo = mid; else hi = mid - 1; }
      const mark = marks[lo];
      if (!cur || cur.index > i || cur.index < mark.index) cur = copy(mark, true);
      for (let k = cur.index + 1; k <= i; k++) apply(cur, patch(k), k);
      return copy(cur, false);
    }
    // Builds every checkpoint in slices of a few milliseconds between the page's own work
    // (a jump meanwhile builds what it needs itself); calls done() at the end.
    function warm(done) {
      const clock = typeof performance === 'object' ? () => performance.now() : () => Date.now();
      // the next slice as soon as the page's events are handled: a message, not a
      // setTimeout(0), which browsers hold back 4 ms once nested
      const ch = typeof MessageChannel === 'function' ? new MessageChannel() : null;
      const next = ch ? () => ch.port2.postMessage(0) : () => setTimeout(slice, 0);
      const slice = () => {
        const t0 = clock();
        while (built < n - 1 && clock() - t0 < 12) buildTo(Math.min(n - 1, built + 1000));
        if (built < n - 1) { next(); return; }
        if (ch) ch.port1.close();
        if (done) done();
      };
      if (ch) ch.port1.onmessage = slice;
      slice();
    }
    return { version: 2, length: n, at, events: (i) => patch(i).events || [], warm };
  }
  const whole = (raw) => ({ version: 1, length: raw.length, at: (i) => raw[i],
    events: (i) => raw[i].events || [], warm: (done) => done && done() });

  function known(trace) {
    if (!trace || trace.format !== 'stackheap-trace') throw new Error('this is not a stackheap trace');
    if (trace.version !== 1 && trace.version !== 2) {
      throw new Error('this page reads versions 1 and 2 of the trace, not version ' + JSON.stringify(trace.version));
    }
  }

  // The steps of a parsed trace document: {version, length, at(i), events(i), warm(done)};
  // at(i) is step i whole, a new object each time; events(i) its events alone. Throws an
  // Error whose message a reader can be shown when the document is not a trace or not of a
  // version this reader knows.
  function open(trace, every) {
    known(trace);
    const raw = trace.steps || [];
    if (trace.version === 1) return whole(raw);
    return patched(raw.length, (i) => raw[i], every || EVERY);
  }

  // The same from the trace's text: {trace, steps}, `trace` the document without its steps.
  // Version 2 puts one step per line ("steps":[ then "\n{" before each step), and a page
  // keeps those line breaks: then each step is parsed when it is first needed, and the
  // parsed patches do not outlive their use (a million of them parsed at once is seconds of
  // a browser's time and hundreds of megabytes).
  function openText(text, every) {
    const at = text.indexOf('"steps":[');   // no string can hold it: its quotes would be \"
    if (at < 0) { const t = JSON.parse(text); return { trace: t, steps: open(t, every) }; }
    const trace = JSON.parse(text.slice(0, at) + '"steps":[]}');
    known(trace);
    const first = at + 9;
    if (trace.version !== 2 || text.charAt(first) !== '\n') {   // whole, or not one step a line
      const t = JSON.parse(text);
      return { trace: t, steps: open(t, every) };
    }
    const starts = [];
    for (let k = text.indexOf('\n{', first); k >= 0; k = text.indexOf('\n{', k + 1)) starts.push(k + 1);
    const close = text.lastIndexOf(']');
    const patch = (i) => {
      let end = i + 1 < starts.length ? starts[i + 1] - 1 : close;
      for (let c = text.charCodeAt(end - 1); c === 44 || c <= 32; c = text.charCodeAt(--end - 1)) { /* ',' and blanks */ }
      return JSON.parse(text.slice(starts[i], end));
    };
    return { trace, steps: patched(starts.length, patch, every || EVERY) };
  }

  return { open, openText, apply, empty, fillText };
})();
if (typeof module === 'object' && module.exports) module.exports = shSteps;

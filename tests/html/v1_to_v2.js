// tests/html/v1_to_v2.js — a version 1 trace (docs/trace-json.md) written as version 2, for
// the tests of the reader of version 2 (src/trace/render/html/steps.js): each step as the
// patch on the step before, by the rules of version 2 (a frame kept when it is the same
// activation and not new; variables by index; blocks gone and put by id; marks written only
// where the reader could not derive them; an int's text left out when it is its digits).
// The test's own writer, from the spec, not the C writer's: the two are held to the same
// reader. Used by steps_check.js and page_v2.js; also `node v1_to_v2.js IN.json OUT.json`.
'use strict';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// A value with every int's and uint's text left out where it is the value's digits.
function slim(v) {
  if (!v || typeof v !== 'object') return v;
  const out = Object.assign({}, v);
  if ((v.kind === 'int' || v.kind === 'uint') && v.text === String(v.value)) delete out.text;
  if (v.fields) out.fields = v.fields.map((f) => Object.assign({}, f, { value: slim(f.value) }));
  if (v.elements) out.elements = v.elements.map(slim);
  return out;
}
const slimVar = (v) => Object.assign({}, v, { value: slim(v.value) });

// The var-list patch from `a` to `b` (a kept frame's variables, or the statics), or null.
function varsPatch(a, b) {
  const p = {};
  if (b.length < a.length) p.nvars = b.length;
  const vars = {};
  b.forEach((v, i) => {
    if (i >= a.length) { vars[i] = slimVar(v); return; }
    const q = {};
    for (const k of Object.keys(v)) if (k !== 'changed' && !same(v[k], a[i][k])) q[k] = k === 'value' ? slim(v[k]) : v[k];
    const derived = q.value !== undefined;   // the mark a reader gives it without being told
    if (v.changed !== derived) q.changed = v.changed;
    if (Object.keys(q).length) vars[i] = q;
  });
  if (Object.keys(vars).length) p.vars = vars;
  return Object.keys(p).length ? p : null;
}

const unmarked = (b) => Object.assign({}, b, { new: false, grown: false, changed: false });

function stepPatch(a, b) {
  const p = { line: b.line };
  if (!a || b.file !== a.file) p.file = b.file;
  if (b.title !== 'line ' + b.line) p.title = b.title;
  const af = a ? a.frames : [];
  if (b.depth !== b.frames.length) p.depth = b.depth;   // as the tracer writes it: only a deep recursion's
  if (b.events.length) p.events = b.events;
  let keep = 0;   // frames of `a` still there: the same activation, not pushed again
  while (keep < af.length && keep < b.frames.length && !b.frames[keep].new &&
         af[keep].function === b.frames[keep].function && af[keep].cfa === b.frames[keep].cfa) keep++;
  if (af.length > keep) p.pop = af.length - keep;
  const frames = {};
  for (let i = 0; i < keep; i++) {
    const fa = af[i], fb = b.frames[i], q = {};
    for (const k of ['function', 'file', 'line', 'cfa']) if (fa[k] !== fb[k]) q[k] = fb[k];
    Object.assign(q, varsPatch(fa.vars, fb.vars));
    if (Object.keys(q).length) frames[i] = q;
  }
  if (Object.keys(frames).length) p.frames = frames;
  if (b.frames.length > keep) {
    p.push = b.frames.slice(keep).map((f) => Object.assign({}, f, { vars: f.vars.map(slimVar) }));
  }
  const st = varsPatch(a ? a.statics : [], b.statics);
  if (st) p.statics = st;
  const before = new Map((a ? a.heap : []).map((x) => [x.id, x]));
  const now = new Set(b.heap.map((x) => x.id));
  const gone = [...before.keys()].filter((id) => !now.has(id));
  const put = b.heap.filter((x) => !before.has(x.id) || x.new || x.grown || x.changed ||
    !same(unmarked(before.get(x.id)), unmarked(x))).map((x) => Object.assign({}, x, { value: slim(x.value) }));
  if (gone.length || put.length) {
    p.heap = {};
    if (gone.length) p.heap.gone = gone;
    if (put.length) p.heap.put = put;
  }
  return p;
}

function toV2(trace) {
  const out = Object.assign({}, trace, { version: 2 });
  out.steps = trace.steps.map((s, i) => stepPatch(i ? trace.steps[i - 1] : null, s));
  return out;
}

// Written as version 2 is: compact, one step per line.
function write(trace) {
  const head = Object.assign({}, trace);
  delete head.steps;
  const h = JSON.stringify(head);
  return h.slice(0, -1) + ',"steps":[\n' + trace.steps.map((s) => JSON.stringify(s)).join(',\n') + '\n]}\n';
}

module.exports = { toV2, write, slim };

if (require.main === module) {
  const fs = require('fs');
  const [src, dst] = process.argv.slice(2);
  fs.writeFileSync(dst, write(toV2(JSON.parse(fs.readFileSync(src, 'utf8')))));
}

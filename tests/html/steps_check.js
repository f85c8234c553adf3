// tests/html/steps_check.js — the page's reader of the trace's steps
// (src/trace/render/html/steps.js) under node, run by tests/html/test_steps.sh:
//
//     node steps_check.js [V1.json | V1.json=V2.json]...
//
// First small version 2 documents written by hand from the rules of version 2
// (docs/trace-json.md): each rule, the marks included, on its own. Then each trace given:
// V1.json alone is written as version 2 by tests/html/v1_to_v2.js; V1.json=V2.json pairs a
// run's version 1 with the C writer's version 2 of the same run. Every step rebuilt from
// version 2 (in order, backwards and at random, with checkpoints every 1, 3 and 256
// steps) must be version 1's step, key for key. Prints "ok"/"FAIL" per check and
// "N passed, N failed"; exits 1 on a failure.
'use strict';
const fs = require('fs');
const path = require('path');
const S = require(path.join(__dirname, '..', '..', 'src', 'trace', 'render', 'html', 'steps.js'));
const { toV2, write } = require(path.join(__dirname, 'v1_to_v2.js'));

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log('ok   ' + name); }
  else { failed++; console.log('FAIL ' + name + (detail !== undefined ? ': ' + detail : '')); }
  return ok;
}
// JSON with every object's keys sorted: equal when the two hold the same, whatever the order.
const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));
const show = (v) => JSON.stringify(v);
const doc = (steps) => ({ format: 'stackheap-trace', version: 2, program: 'p', language: 'c', argv: [],
  source_files: ['loop.c'], stack_limit: null, exit_code: 0, signal: null, leaks: [], steps });
const all = (d, every) => { const st = S.open(JSON.parse(JSON.stringify(d)), every); return Array.from({ length: st.length }, (_, i) => st.at(i)); };

const int = (n) => ({ kind: 'int', value: n });
const v = (name, value, more) => Object.assign({ name, type: 'int', size: 4, addr: '0x7ffc' + name.length,
  param: false, changed: false, value }, more);
const mainFrame = { function: 'main', file: 'loop.c', line: 9, cfa: '0x7ff0', new: true,
  vars: [v('n', int(5)), v('sum', int(0)), v('i', { kind: 'uninit', text: '?' })] };

// ---- the spec's example: loop.c's body and `for` line ------------------------------------
{
  const s = all(doc([
    { line: 9, file: 'loop.c', events: [{ kind: 'call', function: 'main' }], push: [mainFrame] },
    { line: 12, frames: { 0: { line: 12, vars: { 1: { value: int(3) } } } } },
    { line: 11, frames: { 0: { line: 11, vars: { 2: { value: int(2) } } } } },
  ]));
  check('step 0 patches the empty step: main pushed and new, depth its frames, file and events as written',
    s[0].index === 0 && s[0].file === 'loop.c' && s[0].depth === 1 && s[0].frames.length === 1 &&
    s[0].frames[0].new === true && s[0].events.length === 1 && s[0].title === 'line 9' &&
    s[0].heap.length === 0 && s[0].statics.length === 0, show(s[0]));
  const f1 = s[1].frames[0];
  check('a var patch replaces the value, marks it changed; the int\'s text is its digits',
    f1.vars[1].value.text === '3' && f1.vars[1].value.value === 3 && f1.vars[1].changed === true &&
    f1.vars[1].name === 'sum' && f1.vars[1].type === 'int', show(f1.vars[1]));
  check('a kept frame is not new; its line patched; the file, depth carry over; no events, title "line N"',
    f1.new === false && f1.line === 12 && s[1].file === 'loop.c' && s[1].depth === 1 &&
    s[1].events.length === 0 && s[1].title === 'line 12', show(s[1]));
  check('a mark lasts one step: sum unmarked at step 2, i marked',
    s[2].frames[0].vars[1].changed === false && s[2].frames[0].vars[2].changed === true &&
    s[2].frames[0].vars[1].value.text === '3' && s[2].frames[0].vars[2].value.text === '2', show(s[2].frames[0].vars));
  check('a step handed out is not changed by the steps built after it',
    s[1].frames[0].vars[1].changed === true && s[1].frames[0].line === 12 && s[0].frames[0].new === true);
  check('version 1\'s keys in version 1\'s order',
    show(Object.keys(s[1])) === show(['index', 'file', 'line', 'title', 'depth', 'frames', 'heap', 'statics', 'events']));
}

// ---- calls and returns: pop, push, depth --------------------------------------------------
{
  const add = { function: 'add', file: 'add.c', line: 3, cfa: '0x7fe0', new: true,
    vars: [v('a', int(1), { param: true }), v('b', int(2), { param: true, changed: true })] };
  const s = all(doc([
    { line: 9, file: 'loop.c', push: [mainFrame] },
    { line: 3, file: 'add.c', title: 'add() called', depth: 2, push: [add] },
    { line: 4, frames: { 1: { line: 4 } } },
    { line: 10, file: 'loop.c', title: 'add() returned 3', depth: 1, pop: 1,
      frames: { 0: { line: 10, vars: { 1: { value: int(3) } } } } },
    { line: 10, title: 'add() called', depth: 2, pop: 0, push: [Object.assign({}, add, { cfa: '0x7fe0' })] },
  ]));
  check('a pushed frame: new, on top, its variables marked as written; title and depth as written',
    s[1].frames.length === 2 && s[1].frames[1].function === 'add' && s[1].frames[1].new === true &&
    s[1].frames[0].new === false && s[1].frames[1].vars[1].changed === true && s[1].frames[1].vars[0].changed === false &&
    s[1].depth === 2 && s[1].title === 'add() called' && s[1].file === 'add.c', show(s[1].frames));
  check('the next step: the pushed frame kept, no longer new, its marks gone',
    s[2].frames[1].new === false && s[2].frames[1].line === 4 && s[2].frames[1].vars.every((x) => !x.changed) &&
    s[2].depth === 2 && s[2].frames[0].line === 9, show(s[2].frames));
  check('pop takes frames off the top; the patch applies to the frames kept',
    s[3].frames.length === 1 && s[3].frames[0].function === 'main' && s[3].frames[0].line === 10 &&
    s[3].frames[0].vars[1].changed === true && s[3].depth === 1, show(s[3].frames));
  check('a frame pushed again (same function) is new again', s[4].frames.length === 2 && s[4].frames[1].new === true);
}
{
  // a recursion deeper than a step keeps: depth written while it exceeds the frames kept
  const f = (n) => ({ function: 'down', file: 'd.c', line: 3, cfa: '0x7f' + n, new: true, vars: [] });
  const s = all(doc([
    { line: 9, file: 'd.c', push: [mainFrame, f(1)] },
    { line: 3, depth: 150, pop: 1, push: [f(2)] },
    { line: 3, frames: { 1: { line: 2 } } },
  ]));
  check('depth: the frames\' count unless written; written, it is the whole stack\'s',
    s[0].depth === 2 && s[1].depth === 150 && s[2].depth === 2, [s[0].depth, s[1].depth, s[2].depth].join());
}

// ---- variable lists: nvars, whole variables, explicit marks --------------------------------
{
  const s = all(doc([
    { line: 9, file: 'loop.c', push: [mainFrame] },
    { line: 10, frames: { 0: { nvars: 1, vars: { 1: v('t', int(7), { changed: true }) } } } },
    { line: 11, frames: { 0: { vars: { 1: { value: int(8), changed: false }, 2: v('u', int(1)) } } } },
    { line: 12, frames: { 0: { vars: { 0: { changed: true } } } } },
    { line: 13, frames: { 0: { vars: { 0: { name: 'nn', type: 'long', size: 8 } } } } },
  ]));
  const names = (st) => st.frames[0].vars.map((x) => x.name + (x.changed ? '*' : ''));
  check('nvars cuts the list first; a whole variable past the count is added, marked as written',
    show(names(s[1])) === show(['n', 't*']) && s[1].frames[0].vars[1].value.text === '7', show(names(s[1])));
  check('"changed": false with a value: replaced, not marked; a whole variable unmarked as written',
    show(names(s[2])) === show(['n', 't', 'u']) && s[2].frames[0].vars[1].value.value === 8, show(names(s[2])));
  check('"changed": true without a value: marked, the value kept',
    show(names(s[3])) === show(['n*', 't', 'u']) && s[3].frames[0].vars[0].value.value === 5, show(names(s[3])));
  check('a var patch without a value: its keys replaced, not marked',
    show(names(s[4])) === show(['nn', 't', 'u']) && s[4].frames[0].vars[0].type === 'long' &&
    s[4].frames[0].vars[0].size === 8 && s[4].frames[0].vars[0].value.value === 5, show(s[4].frames[0].vars[0]));
}

// ---- the static region ----------------------------------------------------------------------
{
  const g = { name: 'count', function: null, literal: false, argument: false, type: 'int', size: 4,
    addr: '0x4010', changed: false, value: int(0) };
  const s = all(doc([
    { line: 9, file: 'loop.c', push: [mainFrame], statics: { vars: { 0: g } } },
    { line: 10, statics: { vars: { 0: { value: int(1) }, 1: Object.assign({}, g, { name: '"hi"', literal: true, changed: true, value: { kind: 'array', text: '"hi"', elements: [] } }) } } },
    { line: 11 },
    { line: 12, statics: { nvars: 1 } },
  ]));
  check('statics: a whole static at step 0 as written; its value patched and marked; a literal added as written',
    s[0].statics.length === 1 && s[0].statics[0].changed === false && s[1].statics[0].value.text === '1' &&
    s[1].statics[0].changed === true && s[1].statics[1].literal === true && s[1].statics[1].changed === true, show(s[1].statics));
  check('statics: marks gone at the next step; nvars cuts the region',
    s[2].statics.every((x) => !x.changed) && s[2].statics.length === 2 && s[3].statics.length === 1, show(s[3].statics));
}

// ---- the heap: gone, put, by address, marks ---------------------------------------------------
{
  const b = (id, addr, more) => Object.assign({ id, addr, size: 16, alloc_file: 'loop.c', alloc_line: 10,
    bytes_hex: '', new: false, grown: false, changed: false, pointers: [], type: 'int[4]',
    value: { kind: 'array', text: '{1, 2, 3, 4}', elements: [int(1), int(2), { kind: 'int', value: 3, text: 'three' }, int(4)] },
    owner: null }, more);
  const s = all(doc([
    { line: 9, file: 'loop.c', push: [mainFrame], heap: { put: [b(2, '0x5555a0', { new: true }), b(1, '0x555590', { new: true })] } },
    { line: 10, heap: { put: [b(3, '0x10', { new: true }), b(4, '0x5555b0')] } },
    { line: 11, heap: { gone: [1], put: [b(2, '0x5555a0', { grown: true, size: 32 })] } },
    { line: 12 },
  ]));
  const ids = (st) => st.heap.map((x) => x.id + (x.new ? 'n' : '') + (x.grown ? 'g' : '') + (x.changed ? 'c' : ''));
  check('put blocks kept by address, their marks as written', show(ids(s[0])) === show(['1n', '2n']), show(ids(s[0])));
  check('a shorter address is lower ("0x10" before "0x555590"); blocks not put lose their marks',
    show(ids(s[1])) === show(['3n', '1', '2', '4']), show(ids(s[1])));
  check('gone blocks go; a put block replaces the one of its id in place',
    show(ids(s[2])) === show(['3', '2g', '4']) && s[2].heap[1].size === 32, show(ids(s[2])));
  check('no heap key: the same blocks, unmarked', show(ids(s[3])) === show(['3', '2', '4']), show(ids(s[3])));
  const el = s[0].heap[0].value.elements;
  check('an int\'s text put back inside an array; a text that is not the digits kept',
    el[0].text === '1' && el[2].text === 'three' && s[0].heap[0].value.text === '{1, 2, 3, 4}', show(el));
}

// ---- versions --------------------------------------------------------------------------------
{
  const refuse = (d) => { try { S.open(d); return null; } catch (e) { return e.message; } };
  const m3 = refuse(Object.assign(doc([]), { version: 3 }));
  check('version 3 is refused, saying so', m3 !== null && /version 3/.test(m3), m3);
  check('a document that is not a trace is refused', refuse({ version: 2, steps: [] }) !== null && refuse(null) !== null);
  const v1 = Object.assign(doc([]), { version: 1, steps: [{ index: 0, file: 'x.c', line: 1 }] });
  const o1 = S.open(v1);
  check('version 1 is read as it is', o1.version === 1 && o1.length === 1 && o1.at(0) === v1.steps[0]);
  let threw = null;
  try { all(doc([{ line: 1, file: null }, { line: 2, pop: 1 }])); } catch (e) { threw = e.message; }
  check('a patch that pops more frames than there are is an error, not a wrong step', threw !== null, threw);
}

// ---- the trace's text ------------------------------------------------------------------------
{
  const d = doc([{ line: 9, file: 'loop.c', push: [mainFrame] }, { line: 10, title: 'a, b', events: [{ kind: 'output', text: '\n{"steps":[\n{' }] }]);
  const text = write(d);
  const r = S.openText(text);
  check('from the text: the header without its steps, the steps a line each (a string holding "\\n{" is no step)',
    r.trace.program === 'p' && r.trace.steps.length === 0 && r.steps.length === 2 &&
    r.steps.at(1).events[0].text === '\n{"steps":[\n{' && r.steps.at(1).frames[0].line === 9, show(r.trace));
  const flat = S.openText(JSON.stringify(d));
  check('from a text without line breaks: parsed whole, the same steps', flat.steps.length === 2 && canon(flat.steps.at(1)) === canon(r.steps.at(1)));
  const none = S.openText(write(doc([])));
  check('from the text of a trace without steps: none', none.steps.length === 0 && none.steps.at(0) === undefined);
  let m = null;
  try { S.openText(write(Object.assign(doc([{ line: 1 }]), { version: 3 }))); } catch (e) { m = e.message; }
  check('from the text: version 3 refused', m !== null && /version 3/.test(m), m);
  const v1 = Object.assign(doc([]), { version: 1, steps: [{ index: 0, file: 'x.c', line: 1, events: [] }] });
  const r1 = S.openText(JSON.stringify(v1, null, 2));
  check('from the text of version 1: read whole', r1.steps.version === 1 && r1.steps.at(0).file === 'x.c');
}

// ---- whole traces: version 1 against version 2, every step --------------------------------------
for (const spec of process.argv.slice(2)) {
  const [f1, f2] = spec.split('=');
  const t1 = JSON.parse(fs.readFileSync(f1, 'utf8'));
  let text2, name = path.basename(f1);
  if (f2) { text2 = fs.readFileSync(f2, 'utf8'); name += ' (the C writer\'s version 2)'; }
  else text2 = write(toV2(t1));
  const t2 = JSON.parse(text2);
  const n = t1.steps.length;
  if (!check(name + ': version 2 has the same number of steps (' + n + ')', t2.version === 2 && t2.steps.length === n,
    t2.version + ', ' + t2.steps.length)) continue;
  for (const every of [1, 3, 256]) {
    const st = S.open(JSON.parse(text2), every);
    const order = [...Array(n).keys()];
    if (every === 3) order.reverse();
    if (every === 256) for (let i = n - 1; i > 0; i--) { const j = (i * 7919 + 13) % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    const wrong = [];
    for (const i of order) {
      const a = canon(t1.steps[i]), b = canon(st.at(i));
      if (a !== b && wrong.length < 2) {
        let k = 0;
        while (a[k] === b[k]) k++;
        wrong.push('step ' + i + ': v1 …' + a.slice(Math.max(0, k - 60), k + 60) + ' / rebuilt …' + b.slice(Math.max(0, k - 60), k + 60));
      }
    }
    const how = every === 1 ? 'in order' : every === 3 ? 'backwards' : 'at random';
    check(name + ': every step rebuilt from version 2 (' + how + ', a checkpoint every ' + every + ') is version 1\'s',
      !wrong.length, wrong.join(' | '));
  }
  // from its text, a step a line (as a page keeps it: no line break but before a step),
  // parsed a step at a time
  const page = text2.replace(/\n(?!\{)/g, '');
  const { trace: head, steps: lines } = S.openText(page, 5);
  const wrong = [];
  for (let i = n - 1; i >= 0; i -= 1 + (i % 3)) if (canon(t1.steps[i]) !== canon(lines.at(i)) && wrong.length < 2) wrong.push('step ' + i);
  check(name + ': read from its text a step at a time, as a page holds it, every step is version 1\'s',
    lines.length === n && !wrong.length && head.program === t1.program && head.steps.length === 0 &&
    show(lines.events(n - 1)) === show(t1.steps[n - 1].events), wrong.join(' | ') || lines.length);
  console.log('     ' + name + ': ' + n + ' steps, version 1 ' + fs.statSync(f1).size + ' bytes, version 2 ' + Buffer.byteLength(text2) + ' bytes');
}

console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);

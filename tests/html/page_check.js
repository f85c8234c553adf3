// tests/html/page_check.js — the lesson page in a real browser: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core. Run by tests/html/test_page.sh, which makes
// the pages with `stackheap run --json T.json --html T.html` and passes them here:
//
//     node page_check.js SHOTS_DIR NAME=PAGE.html:TRACE.json ...
//
// The JSON trace of the same run is the truth the page is held to: on every step the
// highlighted line, the narration, the frames and their variables, the heap blocks and
// every arrow's two ends. Then what a reader does: keys, the slider, scrolling, clicking a
// card, #step-N links, a phone's screen, printing; with the console clean and no request
// leaving the page. Prints "ok"/"FAIL" per check and "N passed, N failed"; exits 1 on a failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core'));
const shSteps = require(path.join(__dirname, '..', '..', 'src', 'trace', 'render', 'html', 'steps.js'));

// A trace with every step whole (version 2's patches applied by the page's own reader,
// which tests/html/test_steps.sh holds to version 1): the truth the page is held to.
function whole(trace) {
  const st = shSteps.open(trace);
  return Object.assign({}, trace, { steps: Array.from({ length: st.length }, (_, i) => st.at(i)) });
}

const [shots, ...specs] = process.argv.slice(2);
const pages = {};
let index = null;   // --index=PATH: the lesson index of scripts/lessons.sh and every page it links
for (const spec of specs) {
  if (spec.startsWith('--index=')) { index = path.resolve(spec.slice(8)); continue; }
  const m = /^([\w-]+)=(.+\.html):(.+\.json)$/.exec(spec);
  if (!m) { console.error('page_check.js: bad page ' + spec); process.exit(2); }
  pages[m[1]] = { html: path.resolve(m[2]), trace: whole(JSON.parse(fs.readFileSync(m[3], 'utf8'))) };
}
fs.mkdirSync(shots, { recursive: true });

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log('ok   ' + name); }
  else { failed++; console.log('FAIL ' + name + (detail !== undefined ? ': ' + detail : '')); }
  return ok;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const show = (v) => JSON.stringify(v);
// page.js cuts longer names, types and values at these lengths (MAX_NAME, MAX_TYPE, MAX_VALUE)
const MAX_NAME = 20, MAX_TYPE = 22, MAX_VALUE = 30;
const cut = (t, max) => (t.length > max ? t.slice(0, max - 1) + '…' : t);

// Everything a reader sees of the current step, read from the page.
function readState() {
  const q = (sel, root) => (root || document).querySelector(sel);
  const rect = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  const cur = q('#source .ln.current');
  const pane = q('#source-pane').getBoundingClientRect();
  const frames = [...document.querySelectorAll('#diagram g.frame')].map((f) => ({
    function: q('.fname', f).textContent,
    vars: [...f.querySelectorAll('g.var')].map((v) => ({
      name: q('.name', v).textContent,
      type: q('.type', v).textContent,
      size: q('.size', v).textContent,
      text: q('.value', v).getAttribute('data-text'),
      shown: [...q('.value', v).querySelectorAll('text')].map((t) => t.textContent).join(' '),
      box: rect(v),
    })),
  }));
  const more = q('#diagram .more-frames');
  const blocks = [...document.querySelectorAll('#diagram g.block')].map((b) => ({
    id: Number(b.getAttribute('data-id')),
    contents: q('.contents', b).textContent,
    box: rect(q('.block-box', b)),
  }));
  const arrows = [...document.querySelectorAll('#diagram path.arrow')].map((p) => {
    const m = p.getScreenCTM(), len = p.getTotalLength();
    const at = (pt) => ({ x: pt.x * m.a + pt.y * m.c + m.e, y: pt.x * m.b + pt.y * m.d + m.f });
    return { from: p.getAttribute('data-from'), block: Number(p.getAttribute('data-block')),
      start: at(p.getPointAtLength(0)), end: at(p.getPointAtLength(len)) };
  });
  const stackArrows = [...document.querySelectorAll('#diagram path.arrow-stack')].map((p) => {
    const m = p.getScreenCTM(), len = p.getTotalLength();
    const at = (pt) => ({ x: pt.x * m.a + pt.y * m.c + m.e, y: pt.x * m.b + pt.y * m.d + m.f });
    return { from: p.getAttribute('data-from'), to: p.getAttribute('data-to'),
      start: at(p.getPointAtLength(0)), end: at(p.getPointAtLength(len)) };
  });
  const card = q('.card.current');
  const cr = card && card.getBoundingClientRect();
  return {
    step: Number(document.body.getAttribute('data-step')),
    line: cur ? Number(cur.getAttribute('data-line')) : null,
    lineVisible: cur ? (() => { const r = cur.getBoundingClientRect(); return r.top >= pane.top && r.bottom <= pane.bottom; })() : false,
    missing: (q('#source .missing') || {}).textContent || null,
    title: q('#narration h2').textContent,
    narration: q('#narration').textContent,
    counter: q('#counter').textContent,
    slider: Number(q('#slider').value),
    hash: location.hash,
    frames, blocks, arrows, stackArrows, more: more ? more.textContent : null,
    cards: document.querySelectorAll('.card').length,
    elements: document.getElementsByTagName('*').length,
    currentCard: card ? Number(card.getAttribute('data-step')) : null,
    currentCardOnScreen: !!cr && cr.bottom > 0 && cr.top < innerHeight,
  };
}

const inside = (p, b) => p.x >= b.x - 0.5 && p.x <= b.x + b.w + 0.5 && p.y >= b.y - 0.5 && p.y <= b.y + b.h + 0.5;

// Every reference from a variable to a block, as the page names its arrows.
function refs(name, v, out) {
  if (!v) return out;
  if (v.kind === 'owned' && v.block != null && !v.stale) out.push([name + '.ptr', v.block]);
  else if (v.kind === 'pointer' && v.block != null) out.push([name, v.block]);
  else if (v.kind === 'struct') for (const f of v.fields || []) refs(name + '.' + String(f.name).replace(/^__/, ''), f.value, out);
  else if (v.kind === 'array') (v.elements || []).forEach((e, i) => refs(name + '[' + i + ']', e, out));
  return out;
}

// The page's state against the trace's step; returns the problems found.
function compare(st, step, trace, hasSource) {
  const bad = [];
  if (st.step !== step.index + 1) bad.push('data-step ' + st.step + ', expected ' + (step.index + 1));
  const line = step.line >= 1 ? step.line : null;   // a stop outside the program's lines: none
  if (hasSource && st.line !== line) bad.push('highlighted line ' + st.line + ', expected ' + line);
  if (hasSource && line && !st.lineVisible) bad.push('line ' + st.line + ' is not in view in the source pane');
  if (st.title !== step.title) bad.push('narration ' + show(st.title) + ', expected ' + show(step.title));
  if (st.counter !== 'Step ' + (step.index + 1) + ' of ' + trace.steps.length) bad.push('counter ' + show(st.counter));
  if (st.slider !== step.index + 1) bad.push('slider at ' + st.slider);
  const left = (step.depth || 0) - step.frames.length;   // a deep recursion's middle, left out
  if (left > 0 && step.frames.length > 1 ? st.more !== '\u22ef ' + left + ' more frames' : st.more !== null)
    bad.push('left-out frames note ' + show(st.more) + ', expected ' + (left > 0 ? left + ' more frames' : 'none'));
  const want = step.frames.slice().reverse();
  if (!same(st.frames.map((f) => f.function), want.map((f) => f.function))) {
    bad.push('frames ' + show(st.frames.map((f) => f.function)) + ', expected ' + show(want.map((f) => f.function)));
    return bad;
  }
  want.forEach((f, i) => {
    const got = st.frames[i].vars;
    if (got.length !== f.vars.length) { bad.push(f.function + ': ' + got.length + ' vars, expected ' + f.vars.length); return; }
    f.vars.forEach((v, k) => {
      const g = got[k];
      const exp = { name: cut(v.name, MAX_NAME), type: cut(v.type, MAX_TYPE), size: v.size + ' B', text: v.value.text };
      const have = { name: g.name, type: g.type, size: g.size, text: g.text };
      if (!same(have, exp)) bad.push(f.function + '.' + v.name + ' shows ' + show(have) + ', expected ' + show(exp));
      const o = v.value;
      const visible = o.kind === 'owned'
        ? (o.stale ? ['ptr (moved or freed)'] : ['ptr'].concat(
            // a C++ container's text beside its ptr ("= \"Hello\""); Rust's handles have none
            o.text && !String(o.text).startsWith('{ptr') ? ['= ' + cut(o.text, MAX_VALUE)] : [],
            o.owned === 'box' || o.owned === 'rc' ? [] : ['len ' + o.len, 'cap ' + o.cap]))
        : [cut(o.text, MAX_VALUE)];
      if (g.shown !== visible.join(' ')) bad.push(f.function + '.' + v.name + ' reads ' + show(g.shown) + ', expected ' + show(visible.join(' ')));
    });
  });
  if (!same(st.blocks.map((b) => b.id), step.heap.map((b) => b.id))) {
    bad.push('heap blocks ' + show(st.blocks.map((b) => b.id)) + ', expected ' + show(step.heap.map((b) => b.id)));
  }
  // every reference has an arrow from its variable's row into its block
  const live = new Set(step.heap.map((b) => b.id));
  for (const f of step.frames) for (const v of f.vars) for (const [from, block] of refs(v.name, v.value, [])) {
    if (!live.has(block)) continue;
    const a = st.arrows.find((x) => x.from === from);
    const b = st.blocks.find((x) => x.id === block);
    const row = st.frames.find((x) => x.function === f.function).vars.find((x) => x.name === cut(v.name, MAX_NAME));
    if (!a) { bad.push('no arrow from ' + from + ' to block #' + block); continue; }
    if (a.block !== block) bad.push('arrow ' + from + ' goes to #' + a.block + ', expected #' + block);
    if (b && !inside(a.end, b.box)) bad.push('arrow ' + from + ' ends at ' + show(a.end) + ', outside block #' + block + ' ' + show(b.box));
    if (row && !inside(a.start, row.box)) bad.push('arrow ' + from + ' starts at ' + show(a.start) + ', outside its row ' + show(row.box));
  }
  return bad;
}

const LAUNCH = {
  executablePath: process.env.SH_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
};

async function main() {
  const browser = await chromium.launch(LAUNCH);
  try {
    for (const [name, p] of Object.entries(pages)) await checkPage(browser, name, p);
    if (pages.pointers) await checkPointers(browser, pages.pointers);
    if (pages.rust_heap_types) await checkRustHeap(browser, pages.rust_heap_types);
    if (pages.nosource) await checkNoSource(browser, pages.nosource);
    if (pages.deep) await checkDeep(browser, pages.deep);
    if (pages.stackptr) await checkStackPointer(browser, pages.stackptr);
    if (pages.statics) await checkStatics(browser, pages.statics);
    if (pages.static_links) await checkStaticLinks(browser, pages.static_links);
    if (pages.args) await checkArgs(browser, pages.args);
    if (pages.add) await checkPhoneAndPrint(browser, pages.add);
    if (index) await checkIndex(browser, index);
  } finally {
    await browser.close();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

// A page opened with a watch on its console and its requests.
async function open(browser, p, hash, viewport) {
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 800 } });
  const page = await context.newPage();
  const url = 'file://' + p.html;
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('failed request: ' + r.url()));
  page.on('request', (r) => { if (r.url().split('#')[0] !== url) problems.push('request: ' + r.url()); });
  await page.goto(url + (hash || ''));
  await page.waitForSelector('body[data-ready]', { timeout: 20000 });
  const state = async () => { await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))); return page.evaluate(readState); };
  return { context, page, problems, state };
}

async function checkPage(browser, name, p) {
  const t = p.trace, n = t.steps.length;
  const hasSource = !!(t.source_files.length && p.html && !name.startsWith('nosource'));
  const { context, page, problems, state } = await open(browser, p);
  let st = await state();
  check(name + ': opens at step 1', st.step === 1, 'step ' + st.step);
  const first = compare(st, t.steps[0], t, hasSource);
  check(name + ': step 1 shows the trace\'s first step', !first.length, first.join('; '));

  // → through every step (up to 80): each drawn as the trace says
  const walk = Math.min(n, 80);
  const wrong = [];
  for (let i = 1; i < walk; i++) {
    await page.keyboard.press('ArrowRight');
    st = await state();
    const bad = compare(st, t.steps[i], t, hasSource);
    if (bad.length) wrong.push('step ' + (i + 1) + ': ' + bad.join('; '));
  }
  check(name + ': ArrowRight walks through ' + walk + ' steps, each as its JSON step (line, narration, frames, locals, blocks, arrows)',
    !wrong.length, wrong.slice(0, 3).join(' | '));
  check(name + ': the DOM stays small (cards on screen only)', st.cards <= 40 && st.elements < 3000, st.cards + ' cards, ' + st.elements + ' elements');

  await page.keyboard.press('ArrowLeft');
  st = await state();
  check(name + ': ArrowLeft goes back one step', st.step === walk - 1, 'step ' + st.step);
  await page.keyboard.press('End');
  st = await state();
  check(name + ': End shows the last step', st.step === n && !compare(st, t.steps[n - 1], t, hasSource).length, 'step ' + st.step);
  await page.keyboard.press('ArrowRight');
  st = await state();
  check(name + ': ArrowRight at the last step stays there', st.step === n, 'step ' + st.step);
  await page.keyboard.press('Home');
  st = await state();
  check(name + ': Home shows step 1', st.step === 1, 'step ' + st.step);

  // the address follows the step
  const mid = Math.max(1, Math.ceil(n / 2));
  for (let i = 1; i < mid; i++) await page.keyboard.press('ArrowRight');
  await waitFor(page, mid, '#step-' + mid);
  st = await state();
  check(name + ': the address follows the step (#step-' + mid + ')', st.hash === '#step-' + mid, st.hash);

  // the slider
  await page.evaluate((v) => { const s = document.getElementById('slider'); s.value = String(v); s.dispatchEvent(new Event('input', { bubbles: true })); }, n);
  st = await state();
  check(name + ': the slider moved to ' + n + ' shows step ' + n, st.step === n && !compare(st, t.steps[n - 1], t, hasSource).length, 'step ' + st.step);
  await page.focus('#slider');
  await page.keyboard.press('Home');
  st = await state();
  check(name + ': the slider\'s own keys move the steps (Home: step 1)', st.step === 1, 'step ' + st.step);
  await page.keyboard.press('ArrowRight');
  st = await state();
  check(name + ': ... and its ArrowRight: step 2', st.step === Math.min(2, n), 'step ' + st.step);
  await page.evaluate(() => document.activeElement.blur());

  // scrolling: down the page step by step, then to the end and back to the top
  await page.evaluate(() => window.scrollTo(0, 0));
  st = await state();
  check(name + ': scrolled to the top: step 1', st.step === 1, 'step ' + st.step);
  const seen = [];
  let monotone = true, scrollBad = [];
  const stepH = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--step-h')));
  for (let k = 0; k < Math.min(n, 25); k++) {
    await page.mouse.move(100, 500);
    await page.mouse.wheel(0, stepH);
    await page.waitForTimeout(60);
    st = await state();
    if (seen.length && st.step < seen[seen.length - 1]) monotone = false;
    seen.push(st.step);
    const bad = compare(st, t.steps[st.step - 1], t, hasSource);
    if (st.currentCard !== st.step || !st.currentCardOnScreen) bad.push('the current card is ' + st.currentCard + (st.currentCardOnScreen ? '' : ', off screen'));
    if (bad.length) scrollBad.push('step ' + st.step + ': ' + bad.join('; '));
  }
  check(name + ': scrolling down moves forward through the steps', monotone && seen[seen.length - 1] > 1 || n === 1, show(seen));
  check(name + ': each step reached by scrolling is drawn as its JSON step, its card on screen', !scrollBad.length, scrollBad.slice(0, 2).join(' | '));
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  st = await state();
  check(name + ': scrolled to the bottom: the last step', st.step === n, 'step ' + st.step + ' of ' + n);
  await page.evaluate(() => window.scrollTo(0, 0));
  st = await state();
  check(name + ': back at the top: step 1', st.step === 1, 'step ' + st.step);

  // clicking a card
  if (n >= 3) {
    await page.click('.card[data-step="3"]');
    await waitFor(page, 3);
    await page.waitForTimeout(700);   // and the smooth scroll has ended: the step must stay
    st = await state();
    check(name + ': clicking the card of step 3 shows step 3', st.step === 3, 'step ' + st.step);
  }
  check(name + ': the console is clean and nothing is requested', !problems.length, problems.slice(0, 3).join(' | '));
  await context.close();

  // a deep link, in a fresh page
  const k = Math.max(1, n - 1);
  const dl = await open(browser, p, '#step-' + k);
  st = await dl.state();
  const bad = compare(st, t.steps[k - 1], t, hasSource);
  check(name + ': the link #step-' + k + ' opens step ' + k, !bad.length, bad.join('; '));
  await dl.page.evaluate(() => { location.hash = '#step-1'; });
  await waitFor(dl.page, 1);
  st = await dl.state();
  check(name + ': following #step-1 within the page shows step 1', st.step === 1, 'step ' + st.step);
  const far = await open(browser, p, '#step-' + (n + 100));
  st = await far.state();
  check(name + ': a link past the end opens the last step', st.step === n, 'step ' + st.step);
  check(name + ': deep links keep the console clean', !dl.problems.length && !far.problems.length, dl.problems.concat(far.problems).slice(0, 3).join(' | '));
  await dl.context.close();
  await far.context.close();
}

// Waits until the page shows step k (and, if given, its address says `hash`), up to 10 s:
// a loaded machine must not fail a check by timing; the check after it says what it saw.
async function waitFor(page, k, hash) {
  try {
    await page.waitForFunction(([x, h]) => document.body.getAttribute('data-step') === String(x) &&
      (!h || location.hash === h), [k, hash || null], { timeout: 10000 });
  } catch (e) { /* not there: the check that follows fails with what the page shows */ }
}

// Steps of the trace that satisfy `pred`, by index.
const findStep = (t, pred) => t.steps.find((s) => pred(s));
const varOf = (s, fn, name) => { const f = s.frames.find((x) => x.function === fn); return f && f.vars.find((v) => v.name === name); };

async function checkPointers(browser, p) {
  const t = p.trace;
  const s = findStep(t, (x) => x.frames.length === 2 && x.frames[1].function === 'sum' && x.heap.length === 3);
  if (!check('pointers: the trace has a step inside sum() with three blocks', !!s)) return;
  const { context, page, problems, state } = await open(browser, p, '#step-' + (s.index + 1));
  const st = await state();
  check('pointers: frames sum on top of main', same(st.frames.map((f) => f.function), ['sum', 'main']), show(st.frames.map((f) => f.function)));
  const ids = s.heap.map((b) => b.id);
  const contents = Object.fromEntries(st.blocks.map((b) => [b.id, b.contents]));
  // C blocks typed by their pointers (int *, char *, struct node *), decoded by the tracer
  check('pointers: the int array block reads {1, 2, 3, 4}', contents[ids[0]] === '{1, 2, 3, 4}', contents[ids[0]]);
  check('pointers: the string block reads "</script><!--"', contents[ids[1]] === '"</script><!--"', contents[ids[1]]);
  check('pointers: the node block reads {value: 7, next: NULL}', contents[ids[2]] === '{value: 7, next: NULL}', contents[ids[2]]);
  for (const [from, id] of [['numbers', ids[0]], ['values', ids[0]], ['text', ids[1]], ['head', ids[2]]]) {
    const a = st.arrows.find((x) => x.from === from);
    const b = st.blocks.find((x) => x.id === id);
    check('pointers: the arrow of ' + from + ' ends inside block #' + id, a && b && inside(a.end, b.box), show(a && a.end) + ' vs ' + show(b && b.box));
  }
  const sumLine = st.frames[0].vars.find((v) => v.name === 'n');
  check('pointers: sum\'s n is 4', sumLine && sumLine.shown === '4', show(sumLine));
  await page.screenshot({ path: path.join(shots, 'pointers-step-' + (s.index + 1) + '.png') });
  const out = findStep(t, (x) => x.events.some((e) => e.kind === 'output'));
  if (out) {
    await page.evaluate((k) => { location.hash = '#step-' + k; }, out.index + 1);
    await waitFor(page, out.index + 1);
    const o = await state();
    check('pointers: the narration shows the output "</script><!-- 10"', o.narration.includes('</script><!-- 10'), o.narration);
  }
  const freed = findStep(t, (x) => x.events.some((e) => e.kind === 'free'));
  if (freed) {
    await page.evaluate((k) => { location.hash = '#step-' + k; }, freed.index + 1);
    await waitFor(page, freed.index + 1);
    const o = await state();
    const e = freed.events.find((x) => x.kind === 'free');
    check('pointers: a free is narrated (block #' + e.block_id + ' freed)', o.narration.includes('block #' + e.block_id + ' freed'), o.narration);
  }
  check('pointers: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

// A pointer into the stack (a struct passed by pointer): an arrow from the callee's p into
// the row of the caller's origin; none while nothing points into the stack.
async function checkStackPointer(browser, p) {
  const t = p.trace;
  const s = findStep(t, (x) => x.frames.length === 2 && x.frames[1].function === 'by_pointer');
  if (!check('stack pointer: the trace has a step inside by_pointer()', !!s)) return;
  const { context, page, problems, state } = await open(browser, p, '#step-' + (s.index + 1));
  let st = await state();
  const a = st.stackArrows.find((x) => x.from === 'p');
  const main = st.frames.find((f) => f.function === 'main');
  const origin = main && main.vars.find((v) => v.name === 'origin');
  const caller = st.frames.find((f) => f.function === 'by_pointer');
  const pv = caller && caller.vars.find((v) => v.name === 'p');
  check('stack pointer: an arrow goes from by_pointer\'s p to main\'s origin', a && a.to === 'origin', show(st.stackArrows));
  check('stack pointer: it starts in p\'s row and ends in origin\'s row',
    a && origin && pv && inside(a.start, pv.box) && inside(a.end, origin.box),
    show(a) + ' vs ' + show(origin && origin.box));
  await page.screenshot({ path: path.join(shots, 'stackptr-step-' + (s.index + 1) + '.png') });
  await page.evaluate(() => { location.hash = '#step-1'; });
  await waitFor(page, 1);
  st = await state();
  check('stack pointer: no stack arrow at step 1', st.stackArrows.length === 0, show(st.stackArrows));
  check('stack pointer: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

// The Static/Global region under the heap: a row per static variable of the JSON with its
// value and change mark, grouped (globals, each function's statics, literals), and arrows
// from s to the literal "hi" and from p to squares; nothing of it in the frames.
async function checkStatics(browser, p) {
  const t = p.trace;
  const last = [...t.steps].reverse().find((x) => x.frames.length && (x.statics || []).length);
  const bump = t.steps.find((x) => (x.statics || []).some((v) => v.name === 'count' && v.changed));
  if (!check('statics: the trace has a static region and a step where count changed', !!(last && bump))) return;
  const { context, page, problems, state } = await open(browser, p, '#step-' + (bump.index + 1));
  const region = () => page.evaluate(() => {
    const rect = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
    return {
      groups: [...document.querySelectorAll('#diagram g.static-group')].map((g) => g.getAttribute('data-group')),
      rows: [...document.querySelectorAll('#diagram g.svar')].map((r) => ({
        name: r.getAttribute('data-name'), function: r.getAttribute('data-function') || null,
        text: r.querySelector('.value').getAttribute('data-text'), changed: r.classList.contains('changed'),
        box: rect(r) })),
      arrows: [...document.querySelectorAll('#diagram path.arrow-static')].map((a) => {
        const m = a.getScreenCTM(), len = a.getTotalLength();
        const at = (pt) => ({ x: pt.x * m.a + pt.y * m.c + m.e, y: pt.x * m.b + pt.y * m.d + m.f });
        return { from: a.getAttribute('data-from'), to: a.getAttribute('data-to'), end: at(a.getPointAtLength(len)) };
      }),
    };
  });
  const expect = (st) => st.statics.map((v) => ({ name: v.name, function: v.function, text: v.value.text, changed: v.changed }));
  const bare = (rows) => rows.map(({ name, function: fn, text, changed }) => ({ name, function: fn, text, changed }));
  let r = await region();
  const order = (rows) => [...rows].sort((a, b) => (a.function || '').localeCompare(b.function || '') || a.name.localeCompare(b.name));
  check('statics: at the step where count went up, every static row shows the JSON\'s value and mark',
    same(order(bare(r.rows)), order(expect(bump))), show(bare(r.rows)) + ' vs ' + show(expect(bump)));
  check('statics: count\'s row is marked changed', r.rows.some((x) => x.name === 'count' && x.changed));
  await page.evaluate((k) => { location.hash = '#step-' + k; }, last.index + 1);
  await waitFor(page, last.index + 1);
  r = await region();
  const st = await state();
  // in the source's order (next_ticket is declared before main), whichever compiler built it
  check('statics: groups globals, static in next_ticket(), static in main(), string literals',
    same(r.groups, ['globals', 'static in next_ticket()', 'static in main()', 'string literals (read-only)']), show(r.groups));
  check('statics: the last step\'s rows are the JSON\'s', same(order(bare(r.rows)), order(expect(last))),
    show(bare(r.rows)));
  check('statics: no frame shows count or primes', st.frames.every((f) => f.vars.every((v) => v.name !== 'count' && v.name !== 'primes')));
  for (const [from, to] of [['s', '"hi"'], ['p', 'squares']]) {
    const a = r.arrows.find((x) => x.from === from);
    const row = r.rows.find((x) => x.name === to);
    check('statics: an arrow from ' + from + ' ends in the row of ' + to, a && row && a.to === to && inside(a.end, row.box),
      show(a) + ' vs ' + show(row && row.box));
  }
  await page.screenshot({ path: path.join(shots, 'statics-step-' + (last.index + 1) + '.png') });
  check('statics: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

// The region linked with the heap: an arrow from the global head's row into the block it
// points to, and the nodes' counter drawn as &hits.
async function checkStaticLinks(browser, p) {
  const t = p.trace;
  const s = [...t.steps].reverse().find((x) => x.frames.length &&
    (x.statics || []).some((v) => v.name === 'head' && v.value.block != null) && x.heap.length === 2);
  if (!check('static links: the trace has a step with head linked to a block and two nodes', !!s)) return;
  const head = s.statics.find((v) => v.name === 'head').value.block;
  const { context, page, problems } = await open(browser, p, '#step-' + (s.index + 1));
  const r = await page.evaluate(() => {
    const rect = (el) => { const q = el.getBoundingClientRect(); return { x: q.x, y: q.y, w: q.width, h: q.height }; };
    return {
      arrows: [...document.querySelectorAll('#diagram path.arrow-from-static')].map((a) => {
        const m = a.getScreenCTM(), len = a.getTotalLength();
        const at = (pt) => ({ x: pt.x * m.a + pt.y * m.c + m.e, y: pt.x * m.b + pt.y * m.d + m.f });
        return { from: a.getAttribute('data-from'), block: +a.getAttribute('data-block'),
          start: at(a.getPointAtLength(0)), end: at(a.getPointAtLength(len)) };
      }),
      blocks: [...document.querySelectorAll('#diagram g.block')].map((b) => ({ id: +b.getAttribute('data-id'),
        box: rect(b.querySelector('rect')), text: b.querySelector('.contents').textContent })),
      rows: [...document.querySelectorAll('#diagram g.svar')].map((x) => ({ name: x.getAttribute('data-name'), box: rect(x) })),
    };
  });
  const a = r.arrows.find((x) => x.from === 'head');
  const b = r.blocks.find((x) => x.id === head), row = r.rows.find((x) => x.name === 'head');
  check('static links: an arrow from head\'s row ends in its block #' + head,
    a && b && row && a.block === head && inside(a.end, b.box) && Math.abs(a.start.y - (row.box.y + row.box.h / 2)) < row.box.h,
    show(a) + ' vs ' + show(b && b.box) + ' ' + show(row && row.box));
  check('static links: both nodes show counter: &hits', r.blocks.filter((x) => x.text.includes('counter: &hits')).length === 2,
    show(r.blocks.map((x) => x.text)));
  check('static links: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

// The program's arguments: an "arguments" group with argv's array and its texts.
async function checkArgs(browser, p) {
  const t = p.trace;
  const s = [...t.steps].reverse().find((x) => (x.statics || []).some((v) => v.argument));
  if (!check('args: the trace has a step with the arguments', !!s)) return;
  const { context, page, problems } = await open(browser, p, '#step-' + (s.index + 1));
  const r = await page.evaluate(() => [...document.querySelectorAll('#diagram g.static-group')].map((g) => ({
    group: g.getAttribute('data-group'), names: [...g.querySelectorAll('g.svar')].map((x) => x.getAttribute('data-name')) })));
  const args = r.find((x) => x.group === 'arguments');
  check('args: an arguments group with argv and "one", "two words"',
    args && args.names.includes('argv') && args.names.includes('"one"') && args.names.includes('"two words"'), show(r));
  check('args: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

// A recursion deeper than the trace keeps: the page says how many frames are left out.
async function checkDeep(browser, p) {
  const t = p.trace;
  const s = findStep(t, (x) => (x.depth || 0) > x.frames.length + 5);
  if (!check('deep: the trace has a step with frames left out', !!s)) return;
  const { context, problems, state } = await open(browser, p, '#step-' + (s.index + 1));
  const st = await state();
  const bad = compare(st, s, t, true);
  check('deep: step ' + (s.index + 1) + ' as its JSON step, with "' + (s.depth - s.frames.length) + ' more frames" between main and the rest',
    !bad.length && st.more === '\u22ef ' + (s.depth - s.frames.length) + ' more frames' &&
    st.frames[st.frames.length - 1].function === 'main', bad.join('; ') || show(st.more));
  check('deep: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

async function checkRustHeap(browser, p) {
  const t = p.trace;
  const s = findStep(t, (x) => { const v = varOf(x, 'main', 'numbers'); return v && v.value.kind === 'owned' && v.value.len === 3 && v.value.block != null; });
  if (!check('rust heap_types: the trace has numbers with len 3 and a block', !!s)) return;
  const { context, page, problems, state } = await open(browser, p, '#step-' + (s.index + 1));
  let st = await state();
  const nb = varOf(s, 'main', 'numbers').value.block;
  const block = st.blocks.find((b) => b.id === nb);
  check('rust heap_types: numbers\' block reads [1, 2, 3, _]', block && block.contents === '[1, 2, 3, _]', block && block.contents);
  const a = st.arrows.find((x) => x.from === 'numbers.ptr');
  check('rust heap_types: numbers.ptr ends at the block [1, 2, 3, _]', a && block && a.block === nb && inside(a.end, block.box), show(a) + ' ' + show(block));
  const row = st.frames[0].vars.find((v) => v.name === 'numbers');
  check('rust heap_types: numbers shows ptr, len 3, cap 4', row && row.shown === 'ptr len 3 cap 4', row && row.shown);
  const name = varOf(s, 'main', 'name');
  if (name && name.value.block != null) {
    const nb2 = st.blocks.find((b) => b.id === name.value.block);
    const a2 = st.arrows.find((x) => x.from === 'name.ptr');
    check('rust heap_types: name.ptr ends at the block "Hello, world!"', nb2 && nb2.contents === '"Hello, world!"' && a2 && inside(a2.end, nb2.box), show(nb2));
  }
  await page.screenshot({ path: path.join(shots, 'rust-heap_types-step-' + (s.index + 1) + '.png') });
  const b = findStep(t, (x) => { const v = varOf(x, 'main', 'boxed'); return v && v.value.block != null; });
  if (b) {
    await page.evaluate((k) => { location.hash = '#step-' + k; }, b.index + 1);
    await waitFor(page, b.index + 1);
    st = await state();
    const bid = varOf(b, 'main', 'boxed').value.block;
    const bb = st.blocks.find((x) => x.id === bid);
    const a3 = st.arrows.find((x) => x.from === 'boxed.ptr');
    check('rust heap_types: boxed.ptr ends at the block 42', bb && bb.contents === '42' && a3 && inside(a3.end, bb.box), show(bb));
    await page.screenshot({ path: path.join(shots, 'rust-heap_types-step-' + (b.index + 1) + '.png') });
  }
  check('rust heap_types: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
}

async function checkNoSource(browser, p) {
  const { context, problems, state } = await open(browser, p);
  const st = await state();
  check('a page whose source is gone says so', !!st.missing && /cannot read/.test(st.missing), show(st.missing));
  check('... and still draws the step', st.frames.length === p.trace.steps[0].frames.length && st.title === p.trace.steps[0].title);
  check('... with the console clean', !problems.length, problems.join(' | '));
  await context.close();
}

async function checkPhoneAndPrint(browser, p) {
  const t = p.trace;
  const s = findStep(t, (x) => x.frames.length === 2) || t.steps[0];
  const { context, page, problems, state } = await open(browser, p, '#step-' + (s.index + 1), { width: 390, height: 844 });
  let st = await state();
  const layout = await page.evaluate(() => {
    const stage = document.getElementById('stage').getBoundingClientRect();
    const rail = document.getElementById('rail').getBoundingClientRect();
    return { overflow: document.documentElement.scrollWidth - innerWidth, stageBottom: stage.bottom, railTop: rail.top + scrollY, stageTop: stage.top };
  });
  check('phone: nothing overflows the page sideways', layout.overflow <= 1, layout.overflow + 'px');
  check('phone: source and diagram sit above the steps', layout.stageBottom <= layout.railTop + 1, show(layout));
  check('phone: the step of the link is drawn', !compare(st, s, t, true).length, compare(st, s, t, true).join('; '));
  await page.screenshot({ path: path.join(shots, 'add-phone-step-' + (s.index + 1) + '.png') });
  await page.keyboard.press('ArrowRight');
  st = await state();
  check('phone: ArrowRight still moves', st.step === Math.min(s.index + 2, t.steps.length), 'step ' + st.step);
  await page.mouse.move(200, 800);
  await page.mouse.wheel(0, 300);
  await page.waitForTimeout(150);
  st = await state();
  check('phone: the stage stays in view while the steps scroll', (await page.evaluate(() => document.getElementById('stage').getBoundingClientRect().top)) >= 0 && st.currentCardOnScreen);
  await page.emulateMedia({ media: 'print' });
  const print = await page.evaluate(() => ({
    rail: getComputedStyle(document.getElementById('rail')).display,
    controls: getComputedStyle(document.getElementById('controls')).display,
    diagram: document.querySelector('#diagram svg').getBoundingClientRect().width,
    source: document.getElementById('source').getBoundingClientRect().height,
  }));
  check('print: the steps and controls are left out, source and diagram printed', print.rail === 'none' && print.controls === 'none' && print.diagram > 100 && print.source > 100, show(print));
  await page.emulateMedia({ media: 'screen' });
  const before = (await state()).step;
  await page.setViewportSize({ width: 1280, height: 800 });   // the phone turned into a desktop
  await page.waitForTimeout(200);
  st = await state();
  const turned = compare(st, t.steps[before - 1], t, true);
  check('resize: a wider window keeps the step (' + before + ') and draws it whole', st.step === before && !turned.length, 'step ' + st.step + ' ' + turned.join('; '));
  check('phone: the console is clean', !problems.length, problems.join(' | '));
  await context.close();
  const desk = await open(browser, p, '#step-' + (s.index + 1));
  await desk.page.screenshot({ path: path.join(shots, 'add-step-' + (s.index + 1) + '.png') });
  await desk.context.close();
}

// The lesson index: every link leads to a page that opens cleanly and draws its first and
// last steps and every step between as its own embedded trace says.
async function checkIndex(browser, file) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('file://' + file);
  const links = await page.evaluate(() => [...document.querySelectorAll('td a')].map((a) => ({ href: a.getAttribute('href'), text: a.textContent, row: a.closest('tr').querySelector('.prog').textContent })));
  const rows = await page.evaluate(() => [...document.querySelectorAll('tbody tr')].map((r) => r.querySelector('.prog').textContent));
  check('index: one row per lesson program', same(rows, ['add', 'stack_types', 'heap_types', 'drop_order']), show(rows));
  check('index: a C page for each program', ['add', 'stack_types', 'heap_types', 'drop_order'].every((n) => links.some((l) => l.row === n && l.text === 'C' && l.href === n + '-c.html')), show(links));
  check('index: the console is clean', !problems.length, problems.join(' | '));
  await page.screenshot({ path: path.join(shots, 'lessons-index.png') });
  await context.close();
  for (const l of links) {
    const html = path.join(path.dirname(file), l.href);
    if (!check('index: ' + l.href + ' exists', fs.existsSync(html))) continue;
    const text = fs.readFileSync(html, 'utf8');
    const m = /<script type="application\/json" id="sh-trace">([\s\S]*?)<\/script>/.exec(text);
    const trace = m && whole(JSON.parse(m[1]));
    if (!check('index: ' + l.href + ' holds its trace', trace && trace.steps.length > 0)) continue;
    const p = { html, trace };
    const o = await open(browser, p);
    const wrong = [];
    let st = await o.state();
    const hasSource = true;
    for (let i = 0; i < Math.min(trace.steps.length, 60); i++) {
      if (i) { await o.page.keyboard.press('ArrowRight'); st = await o.state(); }
      const bad = compare(st, trace.steps[i], trace, hasSource);
      if (bad.length) wrong.push('step ' + (i + 1) + ': ' + bad.join('; '));
    }
    await o.page.keyboard.press('End');
    st = await o.state();
    const last = compare(st, trace.steps[trace.steps.length - 1], trace, hasSource);
    if (last.length) wrong.push('last step: ' + last.join('; '));
    check('index: ' + l.href + ' draws its steps as its trace says, console clean', !wrong.length && !o.problems.length,
      wrong.slice(0, 2).concat(o.problems.slice(0, 2)).join(' | '));
    await o.context.close();
  }
}

main().catch((e) => { console.log('FAIL page_check.js: ' + (e && e.stack || e)); console.log(passed + ' passed, ' + (failed + 1) + ' failed'); process.exit(1); });

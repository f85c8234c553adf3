// tests/html/page_v2.js — the lesson page draws a trace of version 2 exactly as it draws
// the same trace of version 1: run by tests/html/test_page_v2.sh, in headless Chromium
// (Debian's) driven by playwright-core.
//
//     node page_v2.js NAME=PAGE.html:V1.json[:V2.json] ...
//
// For each page (made by `stackheap run --html`) two copies are written beside it, the
// same page with its trace replaced: by version 1 (V1.json), and by version 2 (V2.json, the
// tracer's, or else V1.json written as version 2 by tests/html/v1_to_v2.js). Both open side
// by side; at every step (ArrowRight from the first, up to 120, then End, then a #step-N
// link) what the reader sees must be the same: the diagram's SVG, the narration, the
// source's highlighted lines, the counter and the cards on screen. A page whose trace is of
// version 3 must say that it cannot show it. Prints "ok"/"FAIL" per check and
// "N passed, N failed"; exits 1 on a failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core'));
const { toV2, write } = require(path.join(__dirname, 'v1_to_v2.js'));

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log('ok   ' + name); }
  else { failed++; console.log('FAIL ' + name + (detail !== undefined ? ': ' + detail : '')); }
  return ok;
}

const TRACE = /(<script type="application\/json" id="sh-trace">)([\s\S]*?)(<\/script>)/;
// The page with its trace replaced by `json` (text), written as render_html.c writes it.
function withTrace(html, json, file) {
  const text = fs.readFileSync(html, 'utf8');
  if (!TRACE.test(text)) throw new Error(html + ' has no sh-trace element');
  // the line breaks of version 2 before its steps kept, as render_html.c keeps them
  const safe = json.replace(/[ \t\r]*\n(?!\{)[ \t\r]*/g, '').replace(/</g, '\\u003c');
  fs.writeFileSync(file, text.replace(TRACE, (m, a, b, c) => a + safe + c));
  return file;
}

// What a reader sees of the current step.
function seen() {
  const q = (s) => document.querySelector(s);
  return {
    step: document.body.getAttribute('data-step'),
    diagram: q('#diagram').innerHTML,
    narration: q('#narration').innerHTML,
    source: q('#source-name').textContent,
    lines: [...document.querySelectorAll('#source .ln.current, #source .ln.caller')].map((e) => e.className + ' ' + e.getAttribute('data-line')),
    counter: q('#counter').textContent,
    cards: [...document.querySelectorAll('.card')].map((c) => c.className + ' ' + c.getAttribute('data-step') + ' ' + c.textContent).sort(),
    intro: q('#intro').textContent,
    outro: q('#outro').textContent,
  };
}

async function open(browser, file, hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('file://' + file + (hash || ''));
  await page.waitForSelector('body[data-ready]', { timeout: 60000 });
  return { context, page, problems, state: () => page.evaluate(seen) };
}

function differ(a, b) {
  for (const k of Object.keys(a)) {
    const x = JSON.stringify(a[k]), y = JSON.stringify(b[k]);
    if (x !== y) {
      let i = 0;
      while (x[i] === y[i]) i++;
      return k + ': v1 …' + x.slice(Math.max(0, i - 50), i + 70) + ' / v2 …' + y.slice(Math.max(0, i - 50), i + 70);
    }
  }
  return null;
}

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.SH_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'] });
  let sample = null;
  for (const spec of process.argv.slice(2)) {
    const m = /^([\w-]+)=([^:]+\.html):([^:]+\.json)(?::([^:]+\.json))?$/.exec(spec);
    if (!m) { console.error('page_v2.js: bad page ' + spec); process.exit(2); }
    const [, name, html, j1, j2] = m;
    const text1 = fs.readFileSync(j1, 'utf8');
    const t1 = JSON.parse(text1);
    const text2 = j2 ? fs.readFileSync(j2, 'utf8') : write(toV2(t1));
    const who = j2 ? 'the tracer\'s version 2' : 'version 2';
    const p1 = await open(browser, withTrace(html, text1, html.replace(/\.html$/, '.v1.html')));
    const p2 = await open(browser, withTrace(html, text2, html.replace(/\.html$/, '.v2.html')));
    sample = sample || html.replace(/\.html$/, '.v2.html');
    const n = t1.steps.length;
    const wrong = [];
    let a = await p1.state(), b = await p2.state();
    const walk = Math.min(n, 120);
    for (let i = 0; ; i++) {
      const d = differ(a, b);
      if (d) wrong.push('step ' + a.step + ' ' + d);
      if (i + 1 >= walk || wrong.length >= 3) break;
      await p1.page.keyboard.press('ArrowRight');
      await p2.page.keyboard.press('ArrowRight');
      [a, b] = [await p1.state(), await p2.state()];
    }
    check(name + ': ' + who + ' draws steps 1 to ' + walk + ' as version 1 does (diagram, narration, source lines, cards)',
      !wrong.length && a.step === String(walk), wrong.join(' | ') || 'at step ' + a.step);
    for (const o of [p1, p2]) await o.page.keyboard.press('End');
    [a, b] = [await p1.state(), await p2.state()];
    let d = differ(a, b);
    check(name + ': ' + who + ' draws the last step (End) as version 1 does', !d && a.step === String(n), d || a.step);
    for (const o of [p1, p2]) await o.page.keyboard.press('ArrowLeft');
    [a, b] = [await p1.state(), await p2.state()];
    d = differ(a, b);
    check(name + ': ... and the step before it (ArrowLeft)', !d && a.step === String(Math.max(1, n - 1)), d || a.step);
    check(name + ': console clean in both', !p1.problems.length && !p2.problems.length, p1.problems.concat(p2.problems).slice(0, 3).join(' | '));
    await p1.context.close();
    await p2.context.close();
    // a link into the middle: the page opens there
    const k = Math.max(1, Math.floor(n * 2 / 3));
    const l1 = await open(browser, html.replace(/\.html$/, '.v1.html'), '#step-' + k);
    const l2 = await open(browser, html.replace(/\.html$/, '.v2.html'), '#step-' + k);
    [a, b] = [await l1.state(), await l2.state()];
    d = differ(a, b);
    check(name + ': ' + who + ' opened at #step-' + k + ' shows it as version 1 does', !d && a.step === String(k), d || a.step);
    await l1.context.close();
    await l2.context.close();
  }

  // A trace of a version the page does not know: said on the page, not drawn as garbage.
  if (sample) {
    const t = JSON.parse(fs.readFileSync(sample, 'utf8').match(TRACE)[2]);
    t.version = 3;
    const file = withTrace(sample, JSON.stringify(t), sample.replace(/\.v2\.html$/, '.v3.html'));
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + file);
    await page.waitForTimeout(300);
    const said = await page.evaluate(() => document.body.innerText);
    const drawn = await page.evaluate(() => document.querySelectorAll('#diagram svg').length);
    check('a page whose trace is of version 3 says it cannot show it, draws nothing, throws nothing',
      /version 3/.test(said) && drawn === 0 && !errors.length, JSON.stringify(said.slice(0, 200)) + ' ' + errors.join(' | '));
    await context.close();
  }
  await browser.close();
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}
main().catch((e) => { console.log('FAIL page_v2.js: ' + (e && e.stack || e)); console.log(passed + ' passed, ' + (failed + 1) + ' failed'); process.exit(1); });

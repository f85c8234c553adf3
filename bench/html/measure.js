// bench/html/measure.js — how fast a lesson page opens and reaches its last step, in
// headless Chromium (Debian's) driven by playwright-core: run by bench/html/run.sh.
//
//     node measure.js RUNS PAGE.html...
//
// For each page, RUNS times in a fresh browser context: `open` is from navigation to the
// page's first step drawn (data-ready: HTML parsed, trace JSON parsed, step 1 drawn);
// `End key` the time until the last step is drawn after pressing End; `scroll to end` the
// same after scrolling the window to its bottom (scroll event, rAF, draw); `link` opening
// the page at #step-N (the last). Prints one JSON line per page with the best and the
// median of each, the DOM's size at the last step and the JS heap in use.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', '..', 'tests', 'html', 'node_modules', 'playwright-core'));

const [runs, ...files] = process.argv.slice(2);
const LAUNCH = {
  executablePath: process.env.SH_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
};

const best = (a) => Math.min(...a);
const median = (a) => { const s = a.slice().sort((x, y) => x - y); return s[s.length >> 1]; };

// Waits until the page shows step `n`, polling each animation frame; returns the ms taken
// since `t0` (performance.now() in the page).
const waitStep = (page, n, t0) => page.evaluate(([n, t0]) => new Promise((resolve) => {
  const poll = () => {
    if (document.body.getAttribute('data-step') === String(n)) {
      requestAnimationFrame(() => resolve(performance.now() - t0));   // drawn and painted
    } else requestAnimationFrame(poll);
  };
  poll();
}), [n, t0]);

async function one(browser, file) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('file://' + file);
  await page.waitForSelector('body[data-ready]', { timeout: 120000 });
  const open = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    r(performance.now() - (nav ? nav.startTime : 0));
  })));
  const n = await page.evaluate(() => Number(document.getElementById('slider').max));
  let t0 = await page.evaluate(() => performance.now());
  await page.keyboard.press('End');
  const end = await waitStep(page, n, t0);
  await page.keyboard.press('Home');
  await waitStep(page, 1, 0);
  await page.waitForTimeout(100);
  t0 = await page.evaluate(() => { const t = performance.now(); window.scrollTo(0, document.documentElement.scrollHeight); return t; });
  const scroll = await waitStep(page, n, t0);
  const dom = await page.evaluate(() => ({
    elements: document.getElementsByTagName('*').length,
    cards: document.querySelectorAll('.card').length,
    heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
  }));
  await context.close();

  const c2 = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p2 = await c2.newPage();
  await p2.goto('file://' + file + '#step-' + n);
  await p2.waitForSelector('body[data-ready]', { timeout: 120000 });
  const link = await p2.evaluate(([n]) => new Promise((r) => {
    const poll = () => (document.body.getAttribute('data-step') === String(n)
      ? requestAnimationFrame(() => r(performance.now() - performance.getEntriesByType('navigation')[0].startTime))
      : requestAnimationFrame(poll));
    poll();
  }), [n]);
  await c2.close();
  return { n, open, end, scroll, link, dom, errors };
}

(async () => {
  const browser = await chromium.launch(LAUNCH);
  for (const file of files) {
    const rs = [];
    for (let i = 0; i < Number(runs); i++) rs.push(await one(browser, path.resolve(file)));
    const pick = (k) => ({ best: best(rs.map((r) => r[k])), median: median(rs.map((r) => r[k])) });
    console.log(JSON.stringify({ file, steps: rs[0].n, open: pick('open'), end: pick('end'), scroll: pick('scroll'),
      link: pick('link'), elements: rs[0].dom.elements, cards: rs[0].dom.cards, heap: rs[0].dom.heap,
      errors: rs.flatMap((r) => r.errors).slice(0, 3), version: browser.version() }));
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });

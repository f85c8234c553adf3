// bench/trace/page.js — how fast a lesson page opens and jumps, in headless Chromium
// (Debian's) driven by playwright-core (tests/html/node_modules): run by bench/trace/page.sh.
//
//     node page.js RUNS JUMPS PAGE.html
//
// RUNS times, each in a fresh browser context: `open` is from navigation to the first step
// drawn and painted (data-ready: the HTML parsed, the trace's header and first step read,
// step 1 drawn, then a frame); `ready` from navigation to every step's patch applied (the
// page's data-steps, a version 1 page has none: then at once); then JUMPS jumps to random steps (the same ones each run),
// each from writing #step-N into the address to step N drawn and painted (the page's
// hashchange, goTo, its diagram and cards). Prints one JSON line: the median open, the
// median jump of each run and the median of those, the slowest jump, the JS heap in use.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', '..', 'tests', 'html', 'node_modules', 'playwright-core'));

const [runs, jumps, file] = process.argv.slice(2);
const median = (a) => { const s = a.slice().sort((x, y) => x - y); return s[(s.length - 1) >> 1]; };

async function one(browser, targets) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('file://' + path.resolve(file), { timeout: 600000 });
  await page.waitForSelector('body[data-ready], p.noscript', { timeout: 600000 });
  const open = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    r(performance.now() - (nav ? nav.startTime : 0));
  })));
  const n = await page.evaluate(() => (document.body.getAttribute('data-ready') ? Number(document.getElementById('slider').max) : 0));
  // every step's patch applied (version 2 does it after the first step is drawn, a slice at
  // a time; version 1 has nothing to do)
  const ready = n ? await page.evaluate(() => new Promise((r) => {
    const nav = performance.getEntriesByType('navigation')[0];
    const poll = () => (document.body.getAttribute('data-steps') || !window.shSteps
      ? r(performance.now() - (nav ? nav.startTime : 0)) : setTimeout(poll, 5));
    poll();
  })) : null;
  if (!n) errors.push('the page shows no step: ' + await page.evaluate(() => document.body.innerText.slice(0, 200)));
  const times = [];
  for (const k of n ? targets(n) : []) {
    times.push(await page.evaluate((k) => new Promise((resolve) => {
      const t0 = performance.now();
      location.hash = '#step-' + k;
      const poll = () => {
        if (document.body.getAttribute('data-step') === String(k)) requestAnimationFrame(() => resolve(performance.now() - t0));
        else requestAnimationFrame(poll);
      };
      poll();
    }), k));
  }
  const heap = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
  await context.close();
  return { n, open, ready, jump: times.length ? median(times) : null, slowest: times.length ? Math.max(...times) : null, heap, errors };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.SH_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--enable-precise-memory-info', '--js-flags=--max-old-space-size=4096'],
  });
  // The same random steps each run (a fixed seed), none the step just shown.
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  let picked = null;
  const targets = (n) => {
    if (!picked) { picked = []; while (picked.length < Number(jumps)) picked.push(2 + Math.floor(rand() * (n - 1))); }
    return picked.map((k) => Math.min(k, n));
  };
  const rs = [];
  for (let i = 0; i < Number(runs); i++) rs.push(await one(browser, targets));
  const opens = rs.map((r) => r.open), readies = rs.map((r) => r.ready).filter((x) => x != null), js = rs.map((r) => r.jump).filter((x) => x != null);
  console.log(JSON.stringify({ file, steps: rs[0].n, open: median(opens), opens, ready: readies.length ? median(readies) : null, jump: js.length ? median(js) : null,
    jumps: js, slowest: Math.max(0, ...rs.map((r) => r.slowest || 0)), heap: Math.max(...rs.map((r) => r.heap)),
    errors: rs.flatMap((r) => r.errors).slice(0, 3), version: browser.version() }));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });

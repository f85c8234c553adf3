/*
 * src/trace/render/html/page.js — the lesson page's renderer (docs/html.md): reads the JSON
 * trace (docs/trace-json.md, its steps through steps.js) and the sources that
 * src/trace/render/render_html.c put in the page, and draws one step at a time: the source with the step's line highlighted, the step's
 * narration, and its Stack | Heap diagram as SVG with arrows from pointers to heap blocks.
 *
 * Scrolling moves through the steps: the rail holds one card per step, a fixed height each,
 * but only the cards on screen exist in the DOM, and only the current step is drawn, so a
 * trace of 10,000 steps stays light. Keys (← →, Home, End), the slider and links #step-N
 * (N counted from 1, as the page shows steps) move too. No libraries, no network.
 */
(function () {
  'use strict';

  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  // ---- the data ------------------------------------------------------------------------
  // The steps come from steps.js (embedded before this script): any step whole, from a
  // trace of version 1 (every step whole) or 2 (each step a patch on the one before).
  let trace, sources, steps;
  try {
    sources = JSON.parse($('sh-sources').textContent).files || [];
    ({ trace, steps } = shSteps.openText($('sh-trace').textContent));
  } catch (e) {
    const p = document.createElement('p');
    p.className = 'noscript';
    p.textContent = e instanceof SyntaxError ? 'This page holds no readable trace.' : 'This page cannot show its trace: ' + e.message + '.';
    document.body.insertBefore(p, document.body.firstChild);
    return;
  }
  const nsteps = steps.length;
  const lang = trace.language || '';

  // ---- small helpers -------------------------------------------------------------------
  function h(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function s(tag, attrs, parent, text) {
    const e = document.createElementNS(SVG, tag);
    if (attrs) for (const k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  const basename = (p) => (p ? String(p).replace(/^.*\//, '') : '');
  function cut(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many || one + 's'); }

  // ---- source files --------------------------------------------------------------------
  const sourceByPath = new Map();
  for (const f of sources) sourceByPath.set(f.path, f);
  function findSource(path) {
    if (!path) return sources.length === 1 ? sources[0] : null;
    if (sourceByPath.has(path)) return sourceByPath.get(path);
    const base = basename(path);   // a step may name its file without the directory
    return sources.find((f) => basename(f.path) === base) || null;
  }

  // A light colouring of C and Rust: keywords, comments, strings, numbers. Line by line
  // (a block comment that spans lines is coloured on its first line only).
  const KEYWORDS = new Set(('as break const continue crate else enum extern false fn for if ' +
    'impl in let loop match mod move mut pub ref return self Self static struct super trait ' +
    'true type unsafe use where while auto case char default do double float goto inline int ' +
    'long register restrict short signed sizeof switch typedef union unsigned void volatile ' +
    'bool i8 i16 i32 i64 u8 u16 u32 u64 usize isize f32 f64 str String Vec Box Some None ' +
    'Ok Err NULL include define').split(' '));
  const TOKEN = /(\/\/.*$|\/\*.*?(?:\*\/|$))|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.){1,4}')|\b(\d[\w.]*)\b|([A-Za-z_][A-Za-z0-9_]*)/g;
  function colourLine(el, text) {
    let last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      let cls = null;
      if (m[1]) cls = 'tok-com';
      else if (m[2]) cls = 'tok-str';
      else if (m[3]) cls = 'tok-num';
      else if (m[4] && KEYWORDS.has(m[4])) cls = 'tok-kw';
      if (!cls) continue;
      if (m.index > last) el.appendChild(document.createTextNode(text.slice(last, m.index)));
      el.appendChild(h('span', { class: cls }, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
  }

  const linesCache = new Map();
  function lineText(path, line) {   // the text of a source line, trimmed, or ''
    const f = findSource(path);
    if (!f || f.text == null) return '';
    if (!linesCache.has(f.path)) linesCache.set(f.path, f.text.split('\n'));
    return (linesCache.get(f.path)[line - 1] || '').trim();
  }

  let shownSource;       // the file in the source pane
  let lineEls = [];      // its line elements, index = line - 1
  function showSource(path) {
    const f = findSource(path);
    const key = f ? f.path : '(none:' + path + ')';
    if (key === shownSource) return;
    shownSource = key;
    const pre = $('source');
    pre.textContent = '';
    lineEls = [];
    $('source-name').textContent = f ? f.path : (path || 'no source file');
    if (!f || f.text == null) {
      pre.appendChild(h('div', { class: 'missing' },
        f && f.error ? 'The source is not in this page: ' + f.error + '.'
                     : 'The source of ' + (path || 'this step') + ' is not in this page.'));
      return;
    }
    const lines = f.text.replace(/\n$/, '').split('\n');
    const frag = document.createDocumentFragment();
    lines.forEach((text, i) => {
      const ln = h('span', { class: 'ln', 'data-line': i + 1 });
      ln.appendChild(h('span', { class: 'no' }, String(i + 1)));
      colourLine(ln, text.replace(/\r$/, ''));
      frag.appendChild(ln);
      lineEls.push(ln);
    });
    pre.appendChild(frag);
  }

  let marked = [];
  function highlightLines(step) {
    for (const el of marked) el.classList.remove('current', 'caller');
    for (const el of marked) el.removeAttribute('aria-current');
    marked = [];
    const f = findSource(step.file);
    const same = (file) => findSource(file) === f;
    const frames = step.frames || [];
    for (let i = 0; i < frames.length - 1; i++) {   // the callers' lines, faintly
      const el = same(frames[i].file) && lineEls[frames[i].line - 1];
      if (el) { el.classList.add('caller'); marked.push(el); }
    }
    const cur = lineEls[step.line - 1];
    if (!cur) return;
    cur.classList.remove('caller');
    cur.classList.add('current');
    cur.setAttribute('aria-current', 'step');
    marked.push(cur);
    const pane = $('source-pane');   // centre the line in its pane, never scroll the page
    const top = cur.offsetTop - pane.clientHeight / 2 + cur.offsetHeight;
    pane.scrollTop = Math.max(0, top);
  }

  // ---- values and heap contents --------------------------------------------------------
  // A block's contents come decoded in the trace (its `value`); only a block nothing types
  // (C's void *) is drawn as bytes.
  function hexBytes(hex) {
    const n = hex.length >> 1, out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
  }
  function quoteString(str) {
    return '"' + str.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t').replace(/[\x00-\x1f\x7f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')) + '"';
  }
  function hexDump(bytes, size) {
    const n = Math.min(bytes.length, 12);
    let out = [];
    for (let i = 0; i < n; i++) out.push(bytes[i].toString(16).padStart(2, '0'));
    const printable = bytes.length > 0 && bytes.length === size &&
      Array.prototype.every.call(bytes, (b) => b >= 0x20 && b < 0x7f);
    if (printable && size <= 40) return quoteString(String.fromCharCode(...bytes)) + ' (bytes)';
    return out.join(' ') + (size > n ? ' …' : '');
  }

  // A typed block's decoded value (the tracer's `value`): as the trace's language writes
  // it, except that a pointer into a block is an arrow to it (next: → #2) and a null one NULL.
  // `statics`: the step's static region, for a pointer to a global (`&hits`).
  function typedText(v, statics) {
    if (!v) return '?';
    if (v.kind === 'pointer') {
      if (v.block != null) return '→ #' + v.block;
      if (/^0x0+$/.test(String(v.addr))) return lang === 'c' ? 'NULL' : 'null';
      const g = statics && v.static != null ? statics[v.static] : null;
      if (g && !g.literal && !/^char\[/.test(String(g.type)) && g.addr === v.addr) return '&' + g.name;
      return String(v.text);
    }
    // a handle inside a block (a Vec<String>'s element, a Box<Node>'s next): its arrow
    if (v.kind === 'owned') return v.block != null && !v.stale ? '→ #' + v.block : String(v.text);
    if (v.kind === 'struct' && v.variant) {   // Some(→ #3), None, Rect { w: 3, h: 4 }
      const fs = v.fields || [];
      if (!fs.length) return v.variant;
      const tuple = /^__\d/.test(String(fs[0].name));
      const items = fs.map((f) => (tuple ? '' : f.name + ': ') + typedText(f.value, statics));
      return v.variant + (tuple ? '(' + items.join(', ') + ')' : ' { ' + items.join(', ') + ' }');
    }
    if (v.kind === 'struct' && v.fields && !/^"/.test(String(v.text))) {
      // a tuple (a map's (K, V) entry) as Rust writes one: (1, 10)
      if (v.fields.length && v.fields.every((f) => /^__\d+$/.test(String(f.name)))) {
        return '(' + v.fields.map((f) => typedText(f.value, statics)).join(', ') + ')';
      }
      return '{' + v.fields.map((f) => f.name + ': ' + typedText(f.value, statics)).join(', ') + '}';
    }
    if (v.kind === 'array' && v.elements && !/^"/.test(String(v.text))) {
      // an unused slot (a Vec's spare capacity) is the lesson's `_`
      const items = v.elements.map((e) => (e && e.kind === 'uninit' ? '_' : typedText(e, statics)));
      if (v.truncated) items.push('+' + v.truncated + ' more');
      return (lang === 'c' ? '{' : '[') + items.join(', ') + (lang === 'c' ? '}' : ']');
    }
    return String(v.text);
  }
  // Lines of at most `max` characters, broken after a ", " where one is near enough; each
  // keeps its trailing blank, so the lines joined are the text.
  function wrapText(text, max) {
    const lines = [];
    let rest = String(text);
    while (rest.length > max) {
      const cutAt = rest.lastIndexOf(', ', max - 1);
      const end = cutAt > 0 ? cutAt + 2 : max;
      lines.push(rest.slice(0, end));
      rest = rest.slice(end);
    }
    if (rest.length || !lines.length) lines.push(rest);
    return lines;
  }

  // What a block holds, as the lesson writes it: [1, 2, 3, _], "Hello, world!", 42,
  // {name: → #5, age: 30}; bytes for a block nothing types.
  function blockContents(block, statics) {
    if (block.type && block.value) return typedText(block.value, statics);
    return hexDump(hexBytes(block.bytes_hex || ''), block.size);
  }

  // Every reference from a variable's value to a block: [path, value], path like "numbers.ptr".
  function refsOf(name, value, out) {
    if (!value) return out;
    if (value.kind === 'owned' && value.block != null && !value.stale) out.push([name + '.ptr', value]);
    else if (value.kind === 'pointer' && value.block != null) out.push([name, value]);
    else if (value.kind === 'struct' && value.fields) {
      for (const f of value.fields) refsOf(name + '.' + String(f.name).replace(/^__/, ''), f.value, out);
    } else if (value.kind === 'array' && value.elements) {
      value.elements.forEach((v, i) => refsOf(name + '[' + i + ']', v, out));
    }
    return out;
  }

  // ---- the diagram ---------------------------------------------------------------------
  const FONT_PX = 13, ROW = 22, HEAD = 26, PAD = 8, GAP = 72;
  // Longer names, types and values are cut with … (the whole text is in the row's tooltip).
  const MAX_NAME = 20, MAX_TYPE = 22, MAX_VALUE = 30;
  let charW = 0;
  // The width of one character of the diagram's (monospace) font, measured once in an SVG
  // text styled as the diagram's are.
  function measureChar() {
    const probe = s('svg', { width: 10, height: 10, style: 'position:absolute;visibility:hidden' });
    const t = s('text', { x: 0, y: 5 }, probe, '0123456789abcdefghijklmnopqrstuvwxyz0123456789{}');
    document.body.appendChild(probe);
    let w = 0;
    try { w = t.getComputedTextLength() / 48; } catch (e) { /* not laid out */ }
    probe.remove();
    return w > 3 && w < 30 ? w : FONT_PX * 0.6;
  }
  const textW = (t) => String(t).length * charW;

  // An owning handle drawn as the lesson writes it, {ptr, len, cap}: the ptr on the
  // variable's row, its arrow leaving to the right; len and cap on a row beneath.
  function ownedRows(v) {
    if (v.stale) return [[{ text: 'ptr (moved or freed)', stale: true }]];
    const rows = [[{ text: 'ptr', ptr: v.block != null }]];   // an arrow only to a block
    if (v.owned !== 'box' && v.owned !== 'rc') rows.push([{ text: 'len ' + v.len }, { text: 'cap ' + v.cap }]);
    // a C++ container reads as what it holds ("hi", [1, 2], {"one": 1}); Rust's handle
    // texts are the handle itself ({ptr, len 5, cap 5}), said by the cells already
    if (v.text && !String(v.text).startsWith('{ptr')) rows[0].push({ text: '= ' + cut(v.text, MAX_VALUE) });
    return rows;
  }
  const rowsOfVar = (v) => (v.value && v.value.kind === 'owned' ? ownedRows(v.value).length : 1);

  function drawDiagram(step) {
    if (!charW) charW = measureChar();
    const frames = (step.frames || []).slice().reverse();   // the top of the stack first
    const blocks = step.heap || [];
    const svg = s('svg', { xmlns: SVG, role: 'img', class: 'diagram' });
    svg.appendChild(s('title', null, null,
      'Stack and heap at step ' + (step.index + 1) + ': ' + frames.length + ' frames, ' + blocks.length + ' heap blocks'));
    const defs = s('defs', null, svg);
    const marker = s('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }, marker);

    // Where each variable lives, for pointers into the stack (C's &origin, a Rust &x).
    const stackVars = [];
    for (const f of frames) for (const v of f.vars || []) {
      const lo = v.addr ? parseInt(v.addr, 16) : NaN;
      if (!isNaN(lo) && v.size > 0) stackVars.push({ v, lo, hi: lo + v.size });
    }
    // The variable a pointer value points into, when it points into the stack (not itself).
    const stackTarget = (val, self) => {
      if (!val || val.kind !== 'pointer' || val.block != null || !val.addr) return null;
      const a = parseInt(val.addr, 16);
      const t = stackVars.find((x) => a >= x.lo && a < x.hi && x.v !== self);
      return t ? t.v : null;
    };

    // The Static/Global region (globals, statics, literals) and pointers into it (&squares[2], "hi").
    const statics = step.statics || [];
    const staticTarget = (val) => (val && val.kind === 'pointer' && val.block == null && val.static != null
      ? statics[val.static] || null : null);

    // Column widths over every variable, so the rows of all frames line up.
    let wName = 4, wType = 4, wSize = 4, wVal = 5;
    for (const f of frames) for (const v of f.vars || []) {
      wName = Math.max(wName, Math.min(v.name.length, MAX_NAME));
      wType = Math.max(wType, Math.min(String(v.type).length, MAX_TYPE));
      wSize = Math.max(wSize, String(v.size).length + 2);   // "24 B", in a smaller font
      const val = v.value || {};
      const len = val.kind === 'owned'
        ? Math.max(...ownedRows(val).map((r) => r.reduce((a, c) => a + c.text.length + (c.ptr ? 3 : 2), 0)))
        : Math.min(String(val.text).length, MAX_VALUE) +
          (refsOf('', val, []).length || stackTarget(val, v) || staticTarget(val) ? 2 : 0);
      wVal = Math.max(wVal, len);
    }
    const cx = [PAD, 0, 0, 0];
    cx[1] = cx[0] + (wName + 2) * charW;
    cx[2] = cx[1] + (wType + 2) * charW;
    cx[3] = cx[2] + (wSize * 0.85 + 1) * charW;
    let stackW = Math.max(cx[3] + wVal * charW + PAD, 200);
    for (const f of frames) stackW = Math.max(stackW, textW(f.function + '  line ' + f.line + '  top') + 4 * PAD);

    // Heap column width from the blocks' contents.
    const contents = blocks.map((b) => b.type && b.value ? wrapText(blockContents(b, statics), 48)
      : [cut(blockContents(b, statics), 48)]);
    const notes = blocks.map((b) => {
      const note = [b.addr];
      if (b.new) note.push('new');
      if (b.grown) note.push('grown');
      if (b.alloc_line) note.push('from ' + (b.alloc_file ? basename(b.alloc_file) + ':' : 'line ') + b.alloc_line);
      return note.join(' · ');
    });
    let heapW = 150;
    blocks.forEach((b, i) => {
      heapW = Math.max(heapW, ...contents[i].map((l) => textW(l) + 2 * PAD), textW('#' + b.id + ' · ' + b.size + ' bytes' + (b.type ? ' · ' + b.type : '')) + 3 * PAD,
        textW(notes[i]) * 0.85 + PAD);
    });
    const heapX = stackW + GAP;
    // The static region sits under the heap, as the lesson's memory layout has it.
    const staticRow = (v) => [cut(v.name, MAX_NAME), cut(v.type, MAX_TYPE), cut(String((v.value || {}).text), MAX_VALUE)];
    const sx = [PAD, 0, 0];   // its columns, from the heap column's left
    let wn = 4, wt = 4;
    for (const v of statics) { wn = Math.max(wn, Math.min(v.name.length, MAX_NAME)); wt = Math.max(wt, Math.min(String(v.type).length, MAX_TYPE)); }
    sx[1] = sx[0] + (wn + 2) * charW;
    sx[2] = sx[1] + (wt + 2) * charW;
    for (const v of statics) {
      heapW = Math.max(heapW, 200, sx[2] + textW(staticRow(v)[2]) + PAD,
        textW(v.literal ? 'string literals (read-only)' : v.argument ? 'arguments' : 'static in ' + (v.function || '') + '()') + 2 * PAD);
    }

    s('text', { x: PAD, y: 12, class: 'h' }, svg, 'Stack');
    s('text', { x: heapX, y: 12, class: 'h' }, svg, 'Heap');
    let y = 28;

    // Frames.
    const rowsByPath = new Map();   // "numbers.ptr" -> {x, y}: where its arrow starts
    const rowOfVar = new Map();     // variable -> the y of its row's middle
    const stackRefs = [];           // pointers into the stack: {from, to, name, target}
    const staticRefs = [];          // pointers into the static region: {from, name, target}
    if (!frames.length) s('text', { x: PAD, y: y + 12, class: 'empty-note' }, svg, '(no frame)');
    frames.forEach((f, fi) => {
      if (fi === frames.length - 1 && frames.length > 1 && (step.depth || 0) > frames.length) {
        // a deep recursion's middle is left out of the trace: between main and the rest
        s('text', { x: PAD, y: y + 12, class: 'muted small more-frames' }, svg,
          '\u22ef ' + (step.depth - frames.length) + ' more frames');
        y += 24;
      }
      const vars = f.vars || [];
      const g = s('g', { class: 'frame' + (f.new ? ' new' : ''), 'data-function': f.function,
        'data-depth': (step.frames.length - 1 - fi) }, svg);
      const nrows = vars.reduce((a, v) => a + rowsOfVar(v), 0);
      const height = HEAD + Math.max(nrows, 1) * ROW + 6;
      s('rect', { x: 0.5, y: y + 0.5, width: stackW - 1, height, rx: 6, class: 'frame-box' }, g);
      s('path', { d: `M0.5,${y + HEAD} v${-HEAD + 6} a6,6 0 0 1 6,-6 h${stackW - 13} a6,6 0 0 1 6,6 v${HEAD - 6} z`, class: 'frame-head' }, g);
      s('text', { x: PAD, y: y + HEAD / 2 + 1, class: 'bold fname' }, g, f.function);
      const right = (fi === 0 ? 'top · ' : '') + (f.line ? 'line ' + f.line : '') + (f.new ? ' · new' : '');
      s('text', { x: stackW - PAD, y: y + HEAD / 2 + 1, 'text-anchor': 'end', class: 'muted small fline' }, g, right);
      let ry = y + HEAD;
      if (!vars.length) s('text', { x: PAD, y: ry + ROW / 2, class: 'muted small' }, g, 'no variables');
      for (const v of vars) {
        const val = v.value || { kind: 'unreadable', text: '?' };
        const row = s('g', { class: 'var' + (v.changed ? ' changed' : '') + (v.param ? ' param' : ''),
          'data-name': v.name }, g);
        const rh = rowsOfVar(v) * ROW;
        s('rect', { x: 2, y: ry + 1, width: stackW - 4, height: rh - 2, class: 'row-bg' }, row);
        const my = ry + ROW / 2 + 1;
        s('text', { x: cx[0], y: my, class: 'name' + (v.param ? ' bold' : '') }, row, cut(v.name, MAX_NAME));
        s('text', { x: cx[1], y: my, class: 'type muted' }, row, cut(v.type, MAX_TYPE));
        s('text', { x: cx[2], y: my, class: 'size muted small' }, row, v.size + ' B');
        const vg = s('g', { class: 'value', 'data-kind': val.kind }, row);
        vg.setAttribute('data-text', val.text);
        s('title', null, vg, v.name + ': ' + v.type + ' (' + v.size + ' bytes) = ' + val.text + (v.addr ? ' at ' + v.addr : ''));
        if (val.kind === 'owned') {
          ownedRows(val).forEach((cells, k) => {
            let x = cx[3];
            const cy = my + k * ROW, top = ry + k * ROW;
            for (const c of cells) {
              const w = textW(c.text) + (c.ptr ? 18 : 8);
              s('rect', { x, y: top + 3, width: w, height: ROW - 6, rx: 3, class: 'cell' }, vg);
              s('text', { x: x + 4, y: cy, class: c.stale ? 'stale' : '' }, vg, c.text);
              if (c.ptr) {
                s('circle', { cx: x + w - 6, cy: cy - 1, r: 3.5, class: 'dot' }, vg);
                rowsByPath.set(v.name + '.ptr', { x: x + w - 6, y: cy - 1 });
              }
              x += w + 3;
            }
          });
        } else {
          const refs = refsOf(v.name, val, []);
          s('text', { x: cx[3], y: my, class: 'value-text' + (val.kind === 'uninit' || val.kind === 'unreadable' ? ' muted' : '') }, vg, cut(val.text, MAX_VALUE));
          const target = refs.length ? null : stackTarget(val, v);
          const starget = refs.length || target ? null : staticTarget(val);
          if (refs.length || target || starget) {
            const dx = cx[3] + textW(cut(val.text, MAX_VALUE)) + 10;
            s('circle', { cx: dx, cy: my - 1, r: 3.5, class: 'dot' }, vg);
            for (const [path] of refs) rowsByPath.set(path, { x: dx, y: my - 1 });
            if (target) stackRefs.push({ from: { x: dx, y: my - 1 }, name: v.name, target });
            if (starget) staticRefs.push({ from: { x: dx, y: my - 1 }, name: v.name, target: starget });
          }
        }
        rowOfVar.set(v, my - 1);
        ry += rh;
      }
      y += height + 8;
    });
    const stackH = frames.length ? y : y + 24;

    // Blocks.
    const blockAt = new Map();
    let hy = 28;
    if (!blocks.length) s('text', { x: heapX, y: hy + 12, class: 'empty-note' }, svg, '(empty)');
    blocks.forEach((b, i) => {
      const g = s('g', { class: 'block' + (b.new ? ' new' : '') + (b.grown ? ' grown' : ''), 'data-id': b.id }, svg);
      const bh = HEAD + ROW * contents[i].length + 4;
      s('rect', { x: heapX + 0.5, y: hy + 0.5, width: heapW - 1, height: bh, rx: 6, class: 'block-box' }, g);
      s('path', { d: `M${heapX + 0.5},${hy + HEAD} v${-HEAD + 6} a6,6 0 0 1 6,-6 h${heapW - 13} a6,6 0 0 1 6,6 v${HEAD - 6} z`, class: 'block-head' }, g);
      s('text', { x: heapX + PAD, y: hy + HEAD / 2 + 1, class: 'bold bhead' }, g, '#' + b.id + ' · ' + plural(b.size, 'byte') + (b.type ? ' · ' + b.type : ''));
      const ct = s('text', { x: heapX + PAD, y: hy + HEAD + ROW / 2 + 2, class: 'contents' }, g);
      contents[i].forEach((line, k) => s('tspan', { x: heapX + PAD, dy: k ? ROW : null }, ct, line));
      const where = s('text', { x: heapX + 4, y: hy + bh + 10, class: 'muted small' }, g, notes[i]);
      if (b.alloc_file) s('title', null, where, 'allocated at ' + b.alloc_file + ':' + b.alloc_line);
      blockAt.set(b.id, { x: heapX, y: hy, w: heapW, h: bh });
      hy += bh + 24;
    });
    let heapH = blocks.length ? hy : hy + 24;

    // The static region: globals and file statics, each function's statics, the program's
    // arguments (argv's array and texts, which exec puts above the stack), the literals
    // pointers reach, each group a box drawn as a frame is.
    const staticRowY = new Map();   // static variable -> the y of its row's middle
    if (statics.length) {
      let sy = heapH + 4;
      s('text', { x: heapX, y: sy + 12, class: 'h' }, svg, 'Static/Global');
      sy += 20;
      const groups = [];
      const group = (key, title) => {
        let gr = groups.find((x) => x.key === key);
        if (!gr) groups.push(gr = { key, title, vars: [] });
        return gr;
      };
      const globals = group('', 'globals');
      for (const v of statics) {
        if (v.literal || v.argument) continue;
        (v.function ? group('f:' + v.function, 'static in ' + v.function + '()') : globals).vars.push(v);
      }
      for (const v of statics) if (v.argument) group('arguments', 'arguments').vars.push(v);
      for (const v of statics) if (v.literal) group('literals', 'string literals (read-only)').vars.push(v);
      const sc = sx.map((x) => heapX + x);
      for (const gr of groups) {
        if (!gr.vars.length) continue;
        const g = s('g', { class: 'static-group', 'data-group': gr.title }, svg);
        const height = HEAD + gr.vars.length * ROW + 6;
        s('rect', { x: heapX + 0.5, y: sy + 0.5, width: heapW - 1, height, rx: 6, class: 'frame-box static-box' }, g);
        s('path', { d: `M${heapX + 0.5},${sy + HEAD} v${-HEAD + 6} a6,6 0 0 1 6,-6 h${heapW - 13} a6,6 0 0 1 6,6 v${HEAD - 6} z`, class: 'frame-head' }, g);
        s('text', { x: heapX + PAD, y: sy + HEAD / 2 + 1, class: 'bold sname' }, g, gr.title);
        let ry = sy + HEAD;
        for (const v of gr.vars) {
          const val = v.value || { kind: 'unreadable', text: '?' };
          const row = s('g', { class: 'svar' + (v.changed ? ' changed' : ''), 'data-name': v.name,
            'data-function': v.function || '' }, g);
          s('rect', { x: heapX + 2, y: ry + 1, width: heapW - 4, height: ROW - 2, class: 'row-bg' }, row);
          const my = ry + ROW / 2 + 1;
          const [n, ty, tx] = staticRow(v);
          s('text', { x: sc[0], y: my, class: 'name' }, row, n);
          s('text', { x: sc[1], y: my, class: 'type muted' }, row, ty);
          const vg = s('g', { class: 'value', 'data-kind': val.kind }, row);
          vg.setAttribute('data-text', val.text);
          s('title', null, vg, v.name + ': ' + v.type + ' (' + v.size + ' bytes) = ' + val.text + (v.addr ? ' at ' + v.addr : ''));
          s('text', { x: sc[2], y: my, class: 'value-text' }, vg, tx);
          staticRowY.set(v, my - 1);
          ry += ROW;
        }
        sy += height + 8;
      }
      heapH = sy;
    }

    // Arrows, drawn last so they pass over the boxes.
    const arrows = s('g', { class: 'arrows' }, svg);
    const seen = new Set();
    for (const f of step.frames || []) for (const v of f.vars || []) {
      for (const [path, ref] of refsOf(v.name, v.value, [])) {
        const from = rowsByPath.get(path) || rowsByPath.get(v.name);
        const to = blockAt.get(ref.block);
        if (!from || !to || seen.has(path)) continue;
        seen.add(path);
        const x2 = to.x + 2, y2 = to.y + HEAD / 2 + 2;
        const bend = Math.max(40, (x2 - from.x) / 2);
        s('path', { d: `M${from.x},${from.y} C${from.x + bend},${from.y} ${x2 - bend},${y2} ${x2},${y2}`,
          class: 'arrow', 'marker-end': 'url(#arrowhead)', 'data-from': path, 'data-block': ref.block }, arrows);
      }
    }
    // A pointer into the stack loops out to the right of the stack and back into the row of
    // the variable it points to (the callee's p -> the caller's origin).
    stackRefs.forEach((r, i) => {
      const ty = rowOfVar.get(r.target);
      if (ty == null) return;
      const out = stackW + 14 + 8 * (i % 4);
      s('path', { d: `M${r.from.x},${r.from.y} C${out},${r.from.y} ${out},${ty} ${stackW - 3},${ty}`,
        class: 'arrow-stack', 'marker-end': 'url(#arrowhead)', 'data-from': r.name, 'data-to': r.target.name }, arrows);
    });
    // A pointer into the static region: an arrow to the row of what it points to.
    staticRefs.forEach((r) => {
      const ty = staticRowY.get(r.target);
      if (ty == null) return;
      const x2 = heapX + 2, bend = Math.max(40, (x2 - r.from.x) / 2);
      s('path', { d: `M${r.from.x},${r.from.y} C${r.from.x + bend},${r.from.y} ${x2 - bend},${ty} ${x2},${ty}`,
        class: 'arrow-static', 'marker-end': 'url(#arrowhead)', 'data-from': r.name, 'data-to': r.target.name }, arrows);
    });
    // A pointer of the static region into the heap (a global list's head): an arrow from the
    // left of its row, through the gap beside the heap, into its block.
    for (const v of statics) {
      const y1 = staticRowY.get(v);
      if (y1 == null) continue;
      for (const [path, ref] of refsOf(v.name, v.value, [])) {
        const to = blockAt.get(ref.block);
        if (!to) continue;
        const y2 = to.y + HEAD / 2 + 2, out = heapX - 30;
        s('path', { d: `M${heapX + 2},${y1} C${out},${y1} ${out},${y2} ${heapX + 2},${y2}`,
          class: 'arrow-from-static', 'marker-end': 'url(#arrowhead)', 'data-from': path, 'data-block': ref.block }, arrows);
      }
    }
    const W = Math.ceil(heapX + heapW + PAD), H = Math.ceil(Math.max(stackH, heapH) + 10);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', W);
    svg.style.width = '100%';
    svg.style.maxWidth = W + 'px';
    svg.style.minWidth = Math.round(W * 0.6) + 'px';   // a narrow pane scrolls rather than shrink it to nothing
    return svg;
  }

  // ---- narration -----------------------------------------------------------------------
  function eventText(e) {
    const fn = e.function;
    switch (e.kind) {
      case 'call': return (fn || 'a function') + '() called';
      case 'return': return (fn || 'the function') + '() returned' + (e.value != null ? ' ' + e.value : '');
      case 'alloc': return plural(e.size, 'byte') + ' allocated at ' + e.addr + ' (block #' + e.block_id + ')';
      case 'free': return 'block #' + e.block_id + ' freed (' + plural(e.size, 'byte') + ' at ' + e.addr + ')';
      case 'realloc': return 'block #' + e.block_id + ' reallocated: ' + plural(e.size, 'byte') +
        (e.old_addr && e.old_addr !== e.addr ? ', moved from ' + e.old_addr + ' to ' + e.addr : ', in place');
      case 'drop': return 'drop(' + (fn || '?') + ')' + (e.text ? ': ' + e.text : '');
      case 'output': return 'the program wrote:';
      case 'exit': return 'exited with code ' + e.value;
      case 'signal': return 'killed by ' + (e.text || 'signal') + (e.value != null ? ' (signal ' + e.value + ')' : '');
      case 'limit': return e.text || 'a limit was reached';
      case 'line': return null;
      default: {   // a kind this page does not know: say what it carries
        const rest = Object.keys(e).filter((k) => k !== 'kind').map((k) => k + ' ' + e[k]);
        return e.kind + (rest.length ? ': ' + rest.join(', ') : '');
      }
    }
  }

  function drawNarration(step) {
    const box = $('narration');
    box.textContent = '';
    const head = h('h2', null, step.title || ('line ' + step.line));
    box.appendChild(head);
    box.appendChild(h('div', { class: 'where' },
      'Step ' + (step.index + 1) + ' of ' + nsteps + ' · ' + (basename(step.file) || '?') + ':' + step.line));
    const code = lineText(step.file, step.line);
    if (code) box.appendChild(h('code', { class: 'code' }, cut(code, 120)));
    const ul = h('ul');
    for (const e of step.events || []) {
      const text = eventText(e);
      if (text == null) continue;
      const li = h('li', { class: 'ev-' + e.kind }, text);
      if (e.kind === 'output') li.appendChild(h('pre', null, e.text || ''));
      ul.appendChild(li);
    }
    if (ul.childNodes.length) box.appendChild(ul);
  }

  // ---- the rail: intro, one card per step (only those on screen), outro ----------------
  function fillIntro() {
    const intro = $('intro');
    intro.appendChild(h('h2', null, (trace.program || 'the program') + (trace.argv && trace.argv.length ? ' ' + trace.argv.join(' ') : '')));
    const what = (lang === 'rust' ? 'A Rust' : lang === 'c' ? 'A C' : 'A') + ' program traced by stackheap, ' +
      plural(nsteps, 'step') + ': each stop at a new line of its own code, with its whole stack and heap.';
    intro.appendChild(h('p', null, what));
    if (trace.build_note) intro.appendChild(h('p', { class: 'build-note' }, 'Note: ' + trace.build_note + '.'));
    const keys = h('p');
    keys.append('Scroll to step through it, or use ', h('kbd', null, '←'), ' ', h('kbd', null, '→'),
      ' and the slider. Link to a step with ', h('code', null, '#step-' + Math.min(12, Math.max(1, nsteps))), '.');
    intro.appendChild(keys);

    const outro = $('outro');
    outro.appendChild(h('h2', null, 'The end'));
    let end = 'The trace has no end.';
    if (trace.exit_code != null) end = 'The program exited with code ' + trace.exit_code + '.';
    else if (trace.signal != null) end = 'The program was killed by signal ' + trace.signal + '.';
    else if (nsteps && steps.events(nsteps - 1).some((e) => e.kind === 'limit')) end = 'The trace stopped at its step limit; the program did not finish.';
    outro.appendChild(h('p', null, end));
    if (trace.leaks && trace.leaks.length) {
      outro.appendChild(h('p', null, 'Never freed:'));
      const ul = h('ul');
      for (const l of trace.leaks) ul.appendChild(h('li', null, l));
      outro.appendChild(ul);
    }
  }

  const track = $('track');
  let stepH = 96;
  const cards = new Map();   // step index -> its card, only for the cards near the screen

  function makeCard(i) {
    const st = steps.at(i);
    const a = h('a', { class: 'card', href: '#step-' + (i + 1), 'data-step': i + 1 });
    a.style.top = (i * stepH) + 'px';
    a.appendChild(h('span', { class: 'where' }, 'Step ' + (i + 1) + ' · ' + (basename(st.file) || '?') + ':' + st.line +
      (st.frames && st.frames.length ? ' · ' + st.frames[st.frames.length - 1].function + '()' : '')));
    a.appendChild(h('span', { class: 'title' }, st.title || 'line ' + st.line));
    const more = (st.events || []).map((e) => (e.kind === 'output'
      ? 'wrote ' + quoteString(cut(String(e.text || '').replace(/\n$/, ''), 40)) : eventText(e)))
      .filter((t) => t && t !== st.title);
    if (!more.length) more.push(lineText(st.file, st.line));
    if (more[0]) a.appendChild(h('span', { class: 'more' }, more.join(' · ')));
    a.addEventListener('click', (ev) => { ev.preventDefault(); goTo(i, true); });
    if (i === current) a.classList.add('current');
    return a;
  }

  function renderCards() {
    const r = track.getBoundingClientRect();
    const vh = window.innerHeight;
    const first = Math.max(0, Math.floor(-r.top / stepH) - 4);
    const last = Math.min(nsteps - 1, Math.ceil((vh - r.top) / stepH) + 4);
    for (const [i, el] of cards) if (i < first || i > last) { el.remove(); cards.delete(i); }
    for (let i = first; i <= last; i++) if (!cards.has(i)) {
      const el = makeCard(i);
      cards.set(i, el);
      track.appendChild(el);
    }
  }

  // The reading line: the height on screen where a card becomes the current step.
  function readingLine() {
    const bar = $('bar').getBoundingClientRect().bottom;
    const stage = $('stage').getBoundingClientRect();
    const rail = $('rail').getBoundingClientRect();
    const top = stage.left > rail.left + 20 ? bar : Math.max(bar, stage.bottom);
    return top + (window.innerHeight - top) * 0.3;
  }
  function stepAtReadingLine() {
    const y = readingLine() - track.getBoundingClientRect().top;
    return Math.max(0, Math.min(nsteps - 1, Math.floor(y / stepH)));
  }

  // ---- moving between steps ------------------------------------------------------------
  let current = -1;
  function show(i) {
    if (i === current || i < 0 || i >= nsteps) return;
    const prev = cards.get(current);
    if (prev) prev.classList.remove('current');
    current = i;
    const cur = cards.get(i);
    if (cur) cur.classList.add('current');
    const step = steps.at(i);
    showSource(step.file);
    highlightLines(step);
    drawNarration(step);
    const d = $('diagram');
    d.textContent = '';
    d.appendChild(drawDiagram(step));
    $('slider').value = String(i + 1);
    $('counter').textContent = 'Step ' + (i + 1) + ' of ' + nsteps;
    document.body.setAttribute('data-step', String(i + 1));
    // The address follows the step (#step-N), a little after scrolling settles: browsers
    // throttle a page that rewrites its address on every frame.
    clearTimeout(hashTimer);
    hashTimer = setTimeout(setHash, 150);
  }
  let hashTimer = 0, ownHash = location.hash;
  function setHash() {
    const hash = '#step-' + (current + 1);
    if (location.hash === hash) return;
    // A step link followed since our last write: its hashchange is on its way and decides
    // the step; writing ours now would undo the reader's link.
    if (location.hash !== ownHash && stepFromHash() != null) return;
    try { history.replaceState(null, '', hash); } catch (e) { /* a page without history */ }
    ownHash = location.hash;
  }

  // Shows step i and scrolls the page so that its card sits on the reading line.
  function goTo(i, smooth) {
    if (!nsteps) return;
    i = Math.max(0, Math.min(nsteps - 1, i));
    show(i);
    const target = track.getBoundingClientRect().top + i * stepH + stepH / 2 - readingLine();
    ignoreScrollUntil = performance.now() + (smooth ? 600 : 80);
    const max = document.documentElement.scrollHeight - window.innerHeight;
    const to = Math.max(0, Math.min(max, window.scrollY + target));
    ourScroll = Math.abs(to - window.scrollY) >= 1;   // a scroll that will move, and end
    window.scrollTo({ top: to, behavior: smooth ? 'smooth' : 'instant' });
    renderCards();
  }

  // ourScroll: the scroll under way is goTo's, whose step is already shown. At its end the
  // step stays: near the ends of a short trace the page cannot bring the chosen card to the
  // reading line, and reading the step back from the position would pick a neighbour.
  let ignoreScrollUntil = 0, frameQueued = false, ourScroll = false;
  function onScroll() {
    if (frameQueued) return;
    frameQueued = true;
    requestAnimationFrame(() => {
      frameQueued = false;
      renderCards();
      if (ourScroll || performance.now() < ignoreScrollUntil) return;   // goTo's: the step is set
      show(stepAtReadingLine());
    });
  }

  function stepFromHash() {
    const m = /^#step-(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) - 1 : null;
  }

  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t && (t.id === 'slider' || t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    let to = null;
    if (e.key === 'ArrowRight' || e.key === 'j') to = current + 1;
    else if (e.key === 'ArrowLeft' || e.key === 'k') to = current - 1;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = nsteps - 1;
    if (to == null) return;
    e.preventDefault();
    goTo(to, false);
  }

  // ---- start ---------------------------------------------------------------------------
  function layout() {
    const bar = $('bar').getBoundingClientRect().height;
    document.documentElement.style.setProperty('--bar-h', bar + 'px');
    stepH = window.innerWidth <= 820 ? 84 : 96;
    document.documentElement.style.setProperty('--step-h', stepH + 'px');
    track.style.height = (nsteps * stepH) + 'px';
    for (const [, el] of cards) el.remove();
    cards.clear();
  }

  function start() {
    fillIntro();
    const slider = $('slider');
    slider.max = String(Math.max(1, nsteps));
    if (!nsteps) {
      $('narration').appendChild(h('h2', null, 'This trace has no steps.'));
      return;
    }
    layout();
    const fromHash = stepFromHash();
    if (fromHash != null) goTo(fromHash, false);
    else { show(0); renderCards(); }
    window.addEventListener('scroll', onScroll, { passive: true });
    // The end of a scroll: the reader's own puts the step at the reading line again.
    window.addEventListener('scrollend', () => {
      ignoreScrollUntil = 0;
      if (ourScroll) { ourScroll = false; renderCards(); return; }
      onScroll();
    });
    // A new width may change the layout and the cards' height: keep the current step. (A
    // phone's address bar showing or hiding changes only the height: nothing to redo.)
    let width = window.innerWidth;
    window.addEventListener('resize', () => {
      if (window.innerWidth === width) { renderCards(); return; }
      width = window.innerWidth;
      const i = current;
      layout();
      current = -1;
      goTo(i, false);
    });
    window.addEventListener('hashchange', () => {
      ownHash = location.hash;
      const i = stepFromHash();
      if (i != null && i !== current) goTo(i, false);
    });
    document.addEventListener('keydown', onKey);
    slider.addEventListener('input', () => goTo(parseInt(slider.value, 10) - 1, false));
    $('prev').addEventListener('click', () => goTo(current - 1, false));
    $('next').addEventListener('click', () => goTo(current + 1, false));
    document.body.setAttribute('data-ready', 'true');
    // Version 2: every step's patch applied once, a little at a time, so that a jump
    // anywhere later costs a checkpoint and a few patches (data-steps: when that is done).
    steps.warm(() => document.body.setAttribute('data-steps', 'ready'));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

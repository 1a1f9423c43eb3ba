// The timeline: a sequence diagram with one lane per process, one column
// per event, arrows from each send to its receive. It grows to the right as
// events arrive and follows the newest until the reader scrolls back. Only
// the columns in view are drawn, so a session of many thousands of events
// costs no more than a short one.

import { s, set, ms, fitText } from './dom.js';
import { procColor, procShape, shapePath } from './procs.js';
import { sentence } from './words.js';

const CW = 28;
// LABEL_W is the least room for the lanes' names; a longer name widens it.
const LABEL_W = 118;
const TOP = 22;

// Glyphs per kind, drawn around 0,0; shapes differ so colour is not the
// only clue.
const GLYPH = {
  write: 'M-6,0a6,6 0 1,0 12,0a6,6 0 1,0 -12,0Z', send: 'M-6,0a6,6 0 1,0 12,0a6,6 0 1,0 -12,0Z',
  read: 'M-6,-6h12v12h-12Z', recv: 'M-6,-6h12v12h-12Z',
  block: 'M-3,-8h6l5,5v6l-5,5h-6l-5,-5v-6Z', unblock: 'M-6,0l4,5l8,-10',
  spawn: 'M-7,0h14M0,-7v14', exit: 'M-6,-6L6,6M6,-6L-6,6',
  open: 'M0,-7L7,0L0,7L-7,0Z', close: 'M-7,-2h14v4h-14Z', unlink: 'M-7,-2h14v4h-14Z',
  ready: 'M-6,0a6,6 0 1,0 12,0a6,6 0 1,0 -12,0Z', wait: 'M-7,-5h14L0,7Z', post: 'M-7,5h14L0,-7Z',
  signal: 'M2,-9L-5,1h5L-2,9L6,-2h-5Z', deliver: 'M-6,3h12l-2,-3v-4a4,4 0 0,0 -8,0v4Z',
  connect: 'M-7,-4h9v8h-9ZM2,0h6', accept: 'M-7,-4h9v8h-9ZM2,0h6',
  error: 'M0,-8L8,7H-8Z', lost: 'M-6,-6L6,6M6,-6L-6,6', deadlock: 'M-8,0a8,8 0 1,0 16,0a8,8 0 1,0 -16,0Z',
};

// The legend's words, in the order it lists them. It lists only the kinds
// the session has drawn; kinds that share a glyph share a word.
const KEY = [['spawn', 'started'], ['open', 'opened'], ['write', 'sent'], ['read', 'received'],
  ['block', 'blocked'], ['unblock', 'woke'], ['wait', 'P'], ['post', 'V'], ['ready', 'waits for step'],
  ['signal', 'signal'], ['deliver', 'handled'], ['connect', 'connect'], ['accept', 'accept'],
  ['lost', 'lost'], ['error', 'error'], ['close', 'closed'], ['exit', 'ended'], ['deadlock', 'deadlock'],
  ['other', 'note']];
const KEY_OF = { send: 'write', recv: 'read', unlink: 'close' };
const OTHER = 'M-3,-3h6v6h-6Z';

export class Timeline {
  constructor(root, followBtn) {
    this.root = root;
    this.followBtn = followBtn;
    this.legend = document.getElementById('tl-legend');
    this.svg = s('svg', { class: 'timeline-svg' });
    this.spacer = document.createElement('div');
    this.spacer.className = 'timeline-spacer';
    root.append(this.svg, this.spacer);
    this.layers = ['lanes', 'spans', 'arrows', 'marks', 'labels'].map((n) => { const g = s('g', { class: `tl-${n}` }); this.svg.append(g); return g; });
    this.follow = true;
    this.scrollPos = 0;
    root.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // A mark's sentence is written into its tooltip only when the pointer
    // reaches it, not for every mark drawn.
    this.svg.addEventListener('pointerover', (ev) => {
      const mark = ev.target.closest && ev.target.closest('.tl-mark');
      if (mark && mark.col >= 0 && this.cols[mark.col]) {
        const e = this.cols[mark.col].e;
        mark.lastChild.textContent = `#${e.seq} ${ms(e.t)} ms: ${sentence(e)}`;
      }
    });
    followBtn.addEventListener('click', () => { this.follow = true; this.dirty = true; if (this.onResize) this.onResize(); });
    new ResizeObserver(() => { this.size = null; this.dirty = true; if (this.onResize) this.onResize(); }).observe(root);
    this.reset();
  }

  reset() {
    this.cols = [];
    this.arrows = [];
    this.spans = [];
    this.sends = new Map();
    this.pending = new Map();
    this.lanes = [];
    this.follow = true;
    this.dirty = true;
    this.kinds = new Set();
    this.keyDirty = true;
    this.root.dataset.count = '0';
    // The pool of marks stays, hidden, for the next session: made while
    // the page waits for Start, it costs nothing in the session's first
    // frames, which are busy enough.
    const marks = this.layers[3];
    for (const g of this.layers) if (g !== marks) g.replaceChildren();
    delete marks.dataset.key;
    for (const el of marks.children) { el.col = -1; el.setAttribute('visibility', 'hidden'); }
  }

  onScroll() {
    if (this.programmatic) { this.programmatic = false; return; }
    this.scrollPos = this.root.scrollLeft;
    const atEnd = this.root.scrollLeft + this.root.clientWidth >= this.root.scrollWidth - CW;
    this.follow = atEnd;
    this.dirty = true;
    if (this.onResize) this.onResize();
  }

  // add records an event that concerns a process (or the whole cycle).
  add(e, model) {
    const p = e.proc ? model.procs.get(e.proc) : null;
    if (!p && e.kind !== 'deadlock' && e.kind !== 'lost') return;
    // A pause for the pace is no IPC: it gets no column.
    if (e.kind === 'sleep' || e.kind === 'pace') return;
    this.lanes = [...model.procs.values()].map((q) => q.name);
    const col = this.cols.length;
    let lane = p ? p.index : -1;
    if (e.kind === 'lost' && this.sends.has(e.msg)) lane = this.sends.get(e.msg).lane;
    this.cols.push({ e, lane, idx: p ? p.index : 0 });
    const key = KEY_OF[e.kind] || (GLYPH[e.kind] ? e.kind : 'other');
    if (!this.kinds.has(key)) { this.kinds.add(key); this.keyDirty = true; }
    this.link(e, col, lane, model);
    this.dirty = true;
    this.root.dataset.count = String(this.cols.length);
  }

  // link pairs this column with an earlier one: a receive with its send,
  // a started process with its starter, a handler with its signal, an
  // unblock with its block.
  link(e, col, lane, model) {
    const laneOf = (name) => { const q = model.procs.get(name); return q ? q.index : -1; };
    switch (e.kind) {
      case 'write': case 'send':
        if (e.msg && e.offset === undefined) this.sends.set(e.msg, { col, lane });
        break;
      case 'read': case 'recv': {
        const from = e.msg && this.sends.get(e.msg);
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: 'msg' }); this.sends.delete(e.msg); }
        break;
      }
      case 'spawn':
        if (e.peer) this.arrows.push({ c0: col, l0: laneOf(e.peer), c1: col, l1: lane, kind: 'spawn' });
        break;
      // A signal is paired with its delivery by target, number and value:
      // several may be pending at once, and a merged one is never delivered.
      case 'signal': this.pending.set(sigKey(e.peer, e), { col, lane }); break;
      case 'deliver': {
        const key = sigKey(e.proc, e);
        const from = this.pending.get(key);
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: 'signal' }); this.pending.delete(key); }
        break;
      }
      case 'connect': this.pending.set(`conn:${e.obj}`, { col, lane }); break;
      case 'accept': {
        const from = this.pending.get(`conn:${e.obj}`);
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: 'conn' }); this.pending.delete(`conn:${e.obj}`); }
        break;
      }
      case 'block': this.spans.push({ lane, c0: col, c1: -1, name: e.proc }); break;
      case 'unblock': case 'exit': {
        const sp = this.spans.findLast((x) => x.name === e.proc && x.c1 < 0);
        if (sp) sp.c1 = col;
        break;
      }
    }
  }

  // render draws the columns in view, at most once a frame.
  render() {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.keyDirty) this.drawKey();
    if (!this.size) this.size = { w: this.root.clientWidth, h: this.root.clientHeight };
    const { w, h } = this.size;
    const LW = this.labelW();
    const total = LW + this.cols.length * CW + CW;
    set(this.spacer, { style: `width:${total}px` });
    set(this.svg, { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
    // Following, the scroll bar is moved after the frame is drawn: reading
    // or setting it now would force a layout in the middle of the frame.
    if (this.follow && total > w && !this.scrollSoon) {
      this.scrollSoon = setTimeout(() => {
        this.scrollSoon = 0;
        if (!this.follow) return;
        this.programmatic = true;
        this.root.scrollLeft = this.root.scrollWidth;
      }, 0);
    }
    set(this.followBtn, { hidden: this.follow ? true : null });
    const left = this.follow ? Math.max(0, total - w) : this.scrollPos;
    const c0 = Math.max(0, Math.floor(left / CW) - 1);
    const c1 = Math.min(this.cols.length, c0 + Math.ceil((w - LW) / CW) + 2);
    const laneH = (h - TOP - 6) / Math.max(1, this.lanes.length);
    // Columns sit at fixed x in a group that slides left; an element keeps
    // its column while in view, so a new event touches one element, not all.
    const geo = { x: (c) => LW + c * CW + CW / 2, y: (l) => TOP + (l + 0.5) * laneH, laneH, lw: LW, w, key: `${w},${h},${this.lanes.length},${LW}` };
    const shift = `translate(${-left},0)`;
    for (const g of this.layers.slice(1, 4)) set(g, { transform: shift });
    this.drawLanes({ ...geo, x: (c) => geo.x(c) - left }, w);
    this.drawSpans(geo, c0, c1);
    this.drawArrows(geo, c0, c1);
    this.drawMarks(geo, c0, c1);
  }

  // labelW is the room the longest lane name needs (in projector mode
  // the names are larger).
  labelW() {
    const big = document.body.classList.contains('projector');
    const font = `700 ${big ? 17 : 13}px system-ui, "DejaVu Sans", sans-serif`;
    let w = LABEL_W;
    for (const name of this.lanes) w = Math.max(w, 34 + fitText(name, font, 1e4).width);
    return Math.ceil(w);
  }

  drawLanes(geo, w) {
    const [lanes, , , , labels] = this.layers;
    const els = sync(lanes, this.lanes.length, () => s('line', {}));
    els.forEach((el, i) => set(el, { x1: geo.lw, x2: w, y1: geo.y(i), y2: geo.y(i), style: `stroke:${procColor(i)}` }));
    const tags = sync(labels, this.lanes.length + 1, () => s('g', {}, s('rect'), s('path'), s('text')));
    set(tags[0].firstChild, { x: 0, y: 0, width: geo.lw, height: '100%', class: 'tl-labelbg' });
    // With many lanes in a short panel the names shrink to their lane's
    // height rather than run into each other.
    const tight = geo.laneH < 20 ? Math.max(8, Math.floor(geo.laneH - 3)) : 0;
    this.lanes.forEach((name, i) => {
      const g = tags[i + 1];
      set(g.children[1], { d: shapePath(procShape(i), tight ? Math.min(6, tight / 2) : 6), transform: `translate(12,${geo.y(i)})`, style: `fill:${procColor(i)}` });
      set(g.children[2], { x: 24, y: geo.y(i) + (tight ? tight * 0.4 : 6), text: name, class: 'tl-name', style: tight ? `font-size:${tight}px` : null });
    });
  }

  drawSpans(geo, c0, c1) {
    // Spans are in column order; the ones in view are among the last few
    // thousand, since a span in view started before it, not long before.
    const vis = [];
    for (let i = this.spans.length - 1, n = 0; i >= 0 && n < 3000; i--, n++) {
      const sp = this.spans[i];
      if (sp.c0 <= c1 && (sp.c1 < 0 || sp.c1 >= c0)) vis.push(sp);
    }
    const els = sync(this.layers[1], vis.length, () => s('rect', { class: 'tl-block' }, s('title')));
    vis.forEach((sp, i) => {
      const end = sp.c1 < 0 ? this.cols.length : sp.c1;
      set(els[i], { x: geo.x(sp.c0), y: geo.y(sp.lane) - 7, width: Math.max(4, geo.x(end) - geo.x(sp.c0)), height: 14 });
      els[i].firstChild.textContent = `${sp.name} blocked`;
    });
  }

  drawArrows(geo, c0, c1) {
    const vis = [];
    let i = lowerBound(this.arrows, c0);
    for (; i < this.arrows.length && vis.length < 400; i++) {
      const a = this.arrows[i];
      if (a.c0 > c1) break;
      if (a.l0 >= 0 && a.l1 >= 0) vis.push(a);
    }
    const els = sync(this.layers[2], vis.length, () => s('path', { 'marker-end': 'url(#tl-head)' }));
    vis.forEach((a, k) => {
      const y0 = geo.y(a.l0) + (a.l1 > a.l0 ? 8 : -8);
      const y1 = geo.y(a.l1) + (a.l1 > a.l0 ? -9 : 9);
      set(els[k], { d: `M${geo.x(a.c0)},${y0}L${geo.x(a.c1)},${y1}`, class: `tl-arrow tl-${a.kind}` });
    });
    if (!this.svg.querySelector('#tl-head')) {
      this.svg.prepend(s('defs', {}, s('marker', { id: 'tl-head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
        s('path', { d: 'M0,0L10,5L0,10Z', class: 'tl-head' }))));
    }
  }

  // drawMarks draws one glyph per column in view. Element c % n shows
  // column c and is redrawn only when it takes a new column.
  // The pool of marks is as large as the view can hold, made once per
  // size, not per render.
  drawMarks(geo, c0, c1) {
    const n = Math.ceil((geo.w - geo.lw) / CW) + 6;
    const g = this.layers[3];
    if (g.childElementCount !== n) {
      g.replaceChildren();
      sync(g, n, () => s('g', { visibility: 'hidden' }, s('path'), s('text', { class: 'tl-tick' }), s('title')));
      for (const el of g.children) el.col = -1;
    }
    // New lanes or a new height move every mark: redraw them all.
    if (g.dataset.key !== geo.key) {
      g.dataset.key = geo.key;
      for (const el of g.children) el.col = -1;
    }
    const els = g.children;
    const shown = new Set();
    for (let c = c0; c < c1; c++) {
      const el = els[c % n];
      shown.add(el);
      if (el.col === c) continue;
      el.col = c;
      this.drawMark(el, this.cols[c], c, geo);
    }
    for (const el of els) if (!shown.has(el)) { el.col = -1; set(el, { visibility: 'hidden' }); }
  }

  // drawKey lists what the marks drawn so far mean, each glyph as the
  // timeline draws it.
  drawKey() {
    this.keyDirty = false;
    if (!this.legend) return;
    this.legend.replaceChildren(...KEY.filter(([k]) => this.kinds.has(k)).map(([k, word]) => {
      const item = document.createElement('span');
      item.className = 'tl-key';
      const svg = s('svg', { viewBox: '-9 -9 18 18', 'aria-hidden': 'true' }, s('g', { class: `tl-mark k-${k}` }, s('path', { d: GLYPH[k] || OTHER })));
      item.append(svg, word);
      return item;
    }));
  }

  drawMark(el, col, c, geo) {
    const e = col.e;
    const x = geo.x(c);
    const y = col.lane >= 0 ? geo.y(col.lane) : geo.y(0) + (geo.laneH * (this.lanes.length - 1)) / 2;
    const eof = e.kind === 'read' && !e.bytes && e.text;
    set(el, { visibility: 'visible', transform: `translate(${x},${y})`, class: `tl-mark k-${e.kind}${eof ? ' eof' : ''}` });
    set(el.children[0], { d: GLYPH[e.kind] || OTHER });
    set(el.children[1], { x: -CW / 2, y: TOP - 8 - y, text: c % 8 === 0 ? `${ms(e.t)} ms` : '' });
  }
}

// sync keeps exactly n children in g, reusing the ones it has.
function sync(g, n, make) {
  while (g.childElementCount < n) g.append(make());
  while (g.childElementCount > n) g.lastChild.remove();
  return [...g.children];
}

// lowerBound finds the first arrow ending at or after column c.
function lowerBound(arrows, c) {
  let lo = 0;
  let hi = arrows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arrows[mid].c1 < c) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// sigKey names one signal on its way to target.
function sigKey(target, e) {
  const a = e.attrs || {};
  return `sig:${target}:${a.signo}:${a.value}`;
}

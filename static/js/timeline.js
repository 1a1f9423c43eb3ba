// The timeline: a sequence diagram with one lane per process, one column
// per event, arrows from each send to its receive. It grows to the right as
// events arrive and follows the newest until the reader scrolls back. Only
// the columns in view are drawn, so a session of many thousands of events
// costs no more than a short one to draw; a column keeps a few numbers
// (its seq, time, lane and glyph), not its event, so it costs 16 bytes to
// hold. A mark's sentence asks the page's tape for the event. It holds at
// most MAX_COLS columns: past that the oldest go, and going back to them
// fills the timeline again around the frame, from the tape. Lane names never shrink below a size a
// class can read: with many processes the panel asks for more height, and
// the lanes that still do not fit are a vertical scroll away.

import { s, set, ms, fitText } from './dom.js';
import { procColor, procShape, shapePath } from './procs.js';
import { sentence } from './words.js';

const CW = 28;
// MAX_COLS is the most columns held; KEEP_COLS how many stay when the
// oldest go. REFILL is how many events around the frame a timeline filled
// again after a step back holds.
const MAX_COLS = 20000;
const KEEP_COLS = 15000;
export const REFILL = 10000;
// LABEL_W is the least room for the lanes' names; a longer name widens it.
const LABEL_W = 118;
// TOP is the row of times above the lanes, BOTTOM the margin under them.
const TOP = 22;
const BOTTOM = 3;
// SCROLLBAR is the height a horizontal scroll bar is assumed to take
// before one has been seen.
const SCROLLBAR = 15;

// Per view, in pixels: font is a lane name's size, least the least it
// shrinks to when the lanes are many (in projector view, what reads from
// the back of a classroom on a 1280x720 projector), and gap the room
// between two names, so that a lane is at least least + gap tall. more is
// the size of the line that says which lanes are in view. share is the
// most of the page's height the panel may take to show all its lanes at
// once: the stage above gives up that much without shrinking its process
// boxes much. Where the lanes need more (eight workers), the boxes are
// many and small, and keep their room: the lanes scroll instead.
const VIEWS = {
  normal: { name: 'normal', font: 13, least: 12, gap: 2, more: 11, share: 0.25 },
  projector: { name: 'projector', font: 17, least: 16, gap: 2, more: 13, share: 0.27 },
};
const SANS = 'system-ui, "DejaVu Sans", sans-serif';
const viewOf = () => (document.body.classList.contains('projector') ? VIEWS.projector : VIEWS.normal);

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
  // A store to a shared variable points down into memory, a load up out
  // of it: they carry a value, not a message.
  store: 'M-6,-7h12v7l-6,7l-6,-7Z', load: 'M-6,7h12v-7l-6,-7l-6,7Z',
  error: 'M0,-8L8,7H-8Z', lost: 'M-6,-6L6,6M6,-6L-6,6', deadlock: 'M-8,0a8,8 0 1,0 16,0a8,8 0 1,0 -16,0Z',
  moment: 'M-2,-9h2v18h-2ZM0,-9h9l-3,4l3,4h-9Z',
};

// The legend's words, in the order it lists them. It lists only the kinds
// the session has drawn; kinds that share a glyph share a word.
const KEY = [['spawn', 'started'], ['open', 'opened'], ['write', 'sent'], ['read', 'received'], ['store', 'stored'], ['load', 'loaded'],
  ['block', 'blocked'], ['unblock', 'woke'], ['wait', 'P'], ['post', 'V'], ['ready', 'waits for step'],
  ['signal', 'signal'], ['deliver', 'handled'], ['connect', 'connect'], ['accept', 'accept'],
  ['lost', 'lost'], ['error', 'error'], ['close', 'closed'], ['exit', 'ended'], ['deadlock', 'deadlock'], ['moment', 'moment'],
  ['other', 'note']];
const KEY_OF = { send: 'write', recv: 'read', unlink: 'close' };

// markOf names the glyph of an event: a write or read at an offset of
// shared memory that carries no message is a store or a load.
const markOf = (e) => {
  if ((e.kind === 'write' || e.kind === 'read') && e.offset !== undefined && !e.msg) return e.kind === 'write' ? 'store' : 'load';
  return e.kind;
};
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
    // Arrows to a lane scrolled out of view are cut at the row of times.
    this.clip = s('rect');
    this.svg.append(s('defs', {},
      s('marker', { id: 'tl-head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
        s('path', { d: 'M0,0L10,5L0,10Z', class: 'tl-head' })),
      s('clipPath', { id: 'tl-clip' }, this.clip)));
    this.layers = ['lanes', 'spans', 'arrows', 'marks', 'labels'].map((n) => { const g = s('g', { class: `tl-${n}` }); this.svg.append(g); return g; });
    set(this.layers[2], { 'clip-path': 'url(#tl-clip)' });
    this.follow = true;
    this.scrollPos = 0;
    this.scrollTop = 0;
    root.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // eventAt(seq) is the event of a column, or a promise of it (the page
    // sets it).
    this.eventAt = () => undefined;
    // A mark's sentence is written into its tooltip only when the pointer
    // reaches it, not for every mark drawn.
    this.svg.addEventListener('pointerover', (ev) => {
      const mark = ev.target.closest && ev.target.closest('.tl-mark');
      if (!mark || !(mark.col >= 0) || mark.col >= this.cols.n) return;
      const c = mark.col;
      const seq = this.cols.a.seq[c];
      const say = (e) => { if (mark.col === c) mark.lastChild.textContent = e ? `#${seq} ${ms(e.t)} ms: ${sentence(e)}` : `#${seq}`; };
      const e = this.eventAt(seq);
      if (e && e.then) { mark.lastChild.textContent = `#${seq} ${ms(this.cols.a.t[c])} ms`; e.then(say, () => {}); } else say(e);
    });
    // A click on a column moves the page there (onSeek); on the line
    // above the names, it pages through the lanes.
    this.svg.addEventListener('click', (ev) => {
      if (ev.target.classList.contains('tl-more')) { this.page(); return; }
      const c = Math.floor((ev.offsetX + (this.left || 0) - (this.lw || LABEL_W)) / CW);
      if (ev.offsetX > (this.lw || LABEL_W) && c >= 0 && c < this.cols.n && this.onSeek) this.onSeek(this.cols.a.seq[c]);
    });
    this.cursorLine = s('line', { class: 'tl-cursor' });
    this.svg.append(this.cursorLine);
    followBtn.addEventListener('click', () => { this.follow = true; this.dirty = true; if (this.onResize) this.onResize(); });
    new ResizeObserver(() => { this.size = null; this.dirty = true; this.fitSoon(); if (this.onResize) this.onResize(); }).observe(root);
    this.reset();
  }

  reset() {
    // cursor is the seq the stage shows: columns after it (seen before a
    // step back) are drawn faint.
    this.cursor = Infinity;
    this.cols = new Rows(COLS);
    this.arrows = new Rows(ARROWS);
    this.spans = new Rows(SPANS);
    this.sends = new Map();
    this.pending = new Map();
    this.lanes = [];
    this.follow = true;
    this.dirty = true;
    this.kinds = new Set();
    this.keyDirty = true;
    // last is the seq of the newest event added; before, how many columns
    // before the first held were let go of (or never filled).
    this.last = 0;
    this.before = 0;
    this.root.dataset.count = '0';
    // The pool of marks stays, hidden, for the next session: made while
    // the page waits for Start, it costs nothing in the session's first
    // frames, which are busy enough.
    const marks = this.layers[3];
    for (const g of this.layers) if (g !== marks) g.replaceChildren();
    delete marks.dataset.key;
    for (const el of marks.children) { el.col = -1; el.setAttribute('visibility', 'hidden'); }
    // A new session shows its first lanes.
    if (this.root.scrollTop) this.root.scrollTop = 0;
  }

  // onScroll follows the reader: scrolled back in time, the timeline stops
  // following the newest event; scrolled down, it shows the lanes below.
  onScroll() {
    const r = this.root;
    if (r.scrollTop !== this.scrollTop) { this.scrollTop = r.scrollTop; this.dirty = true; }
    if (r.scrollLeft !== this.scrollPos) {
      this.scrollPos = r.scrollLeft;
      if (this.programmatic) this.programmatic = false;
      else { this.follow = r.scrollLeft + r.clientWidth >= r.scrollWidth - CW; this.dirty = true; }
    }
    if (this.dirty && this.onResize) this.onResize();
  }

  // add records an event that concerns a process (or the whole cycle).
  add(e, model) {
    if (e.seq <= this.last) return;
    this.last = e.seq;
    // The session's start names every process: the lanes are laid out
    // once, not again as each process starts.
    if (model.procs.size !== this.lanes.length) {
      this.lanes = [...model.procs.values()].map((q) => q.name);
      this.dirty = true;
    }
    const p = e.proc ? model.procs.get(e.proc) : null;
    if (!p && e.kind !== 'deadlock' && e.kind !== 'lost' && e.kind !== 'moment') return;
    // A pause for the pace is no IPC: it gets no column.
    if (e.kind === 'sleep' || e.kind === 'pace') return;
    const col = this.cols.n;
    // A moment is flagged across every lane, its flag on the lane of the
    // process it is about (attrs.proc), if any.
    let lane = p && e.kind !== 'moment' ? p.index : -1;
    if (e.kind === 'moment') { const q = e.attrs && model.procs.get(e.attrs.proc); lane = q ? q.index : -1; }
    if (e.kind === 'lost' && this.sends.has(e.msg)) lane = this.sends.get(e.msg).lane;
    const mk = markOf(e);
    const eof = e.kind === 'read' && !e.bytes && !!e.text;
    this.cols.push({ seq: e.seq, t: e.t, lane, mark: intern(mk), eof: eof ? 1 : 0 });
    const key = KEY_OF[mk] || (GLYPH[mk] ? mk : 'other');
    if (!this.kinds.has(key)) { this.kinds.add(key); this.keyDirty = true; }
    this.link(e, col, lane, model);
    this.dirty = true;
    if (this.cols.n > MAX_COLS) this.dropOldest(this.cols.n - KEEP_COLS);
    this.root.dataset.count = String(this.cols.n);
  }

  // dropOldest lets go of the first k columns, and of the arrows and spans
  // that end before what is left; the view stays where it was.
  dropOldest(k) {
    this.cols.dropFront(k);
    this.arrows.dropFront(lowerBound(this.arrows, k));
    const a = this.arrows.a;
    for (let i = 0; i < this.arrows.n; i++) { a.c0[i] -= k; a.c1[i] -= k; }
    const spans = new Rows(SPANS);
    for (let i = 0; i < this.spans.n; i++) {
      const sp = this.spans.row(i);
      if (sp.c1 >= 0 && sp.c1 < k) continue;
      spans.push({ lane: sp.lane, c0: sp.c0 - k, c1: sp.c1 < 0 ? -1 : sp.c1 - k });
    }
    this.spans = spans;
    for (const m of [this.sends, this.pending]) for (const v of m.values()) v.col -= k;
    this.before += k;
    this.root.dataset.before = String(this.before);
    if (!this.follow) {
      this.scrollPos -= k * CW;
      this.programmatic = true;
      this.root.scrollLeft = Math.max(0, this.root.scrollLeft - k * CW);
    }
    this.dirty = true;
  }

  // refill starts the timeline again from the events around seq (evs,
  // in seq order, from the tape), after a step back to columns let go of.
  refill(evs, model) {
    const before = evs.length ? evs[0].seq - 1 : 0;
    const { follow } = this;
    this.reset();
    this.follow = follow;
    this.before = before;
    this.root.dataset.before = String(before);
    for (const e of evs) this.add(e, model);
  }

  // firstSeq is the seq of the first column held (0: none).
  get firstSeq() { return this.cols.n ? this.cols.a.seq[0] : 0; }

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
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: LINK.msg }); this.sends.delete(e.msg); }
        break;
      }
      case 'spawn':
        if (e.peer) this.arrows.push({ c0: col, l0: laneOf(e.peer), c1: col, l1: lane, kind: LINK.spawn });
        break;
      // A signal is paired with its delivery by target, number and value:
      // several may be pending at once, and a merged one is never delivered.
      case 'signal': this.pending.set(sigKey(e.peer, e), { col, lane }); break;
      case 'deliver': {
        const key = sigKey(e.proc, e);
        const from = this.pending.get(key);
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: LINK.signal }); this.pending.delete(key); }
        break;
      }
      case 'connect': this.pending.set(`conn:${e.obj}`, { col, lane }); break;
      case 'accept': {
        const from = this.pending.get(`conn:${e.obj}`);
        if (from) { this.arrows.push({ c0: from.col, l0: from.lane, c1: col, l1: lane, kind: LINK.conn }); this.pending.delete(`conn:${e.obj}`); }
        break;
      }
      // A span is the process's, on its lane: the last one still open
      // there ends here.
      case 'block': this.spans.push({ lane, c0: col, c1: -1 }); break;
      case 'unblock': case 'exit': {
        const sp = this.spans.a;
        for (let i = this.spans.n - 1; i >= 0; i--) {
          if (sp.lane[i] === lane && sp.c1[i] < 0) { sp.c1[i] = col; break; }
        }
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
    const view = viewOf();
    const fitKey = `${view.name},${this.lanes.length}`;
    if (this.fitKey !== fitKey) { this.fitKey = fitKey; this.fitSoon(); }
    const rows = this.rows(h, view);
    this.shownRows = rows;
    const LW = this.labelW(view, rows);
    const total = LW + this.cols.n * CW + CW;
    // The spacer is as wide as all the columns and as tall as all the
    // lanes; the drawing stays put over it and draws what is in view.
    set(this.spacer, { style: `width:${total}px;height:${Math.ceil(rows.over) + 1}px` });
    set(this.svg, { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
    // What the lanes look like, for anyone checking that they read.
    set(this.root, { 'data-lanes': this.lanes.length, 'data-shown': rows.shown, 'data-first': rows.first, 'data-name-px': rows.font, 'data-lane-px': rows.laneH.toFixed(1) });
    // Following, the timeline keeps the column the stage shows at its
    // right edge (the newest, live). The scroll bar is moved after the
    // frame is drawn: reading or setting it now would force a layout in
    // the middle of the frame.
    const cc = this.cursorCol();
    const upto = LW + cc * CW + CW;
    if (this.follow && upto > w && !this.scrollSoon) {
      this.scrollSoon = setTimeout(() => {
        this.scrollSoon = 0;
        const r = this.root;
        const want = Math.min(r.scrollWidth - r.clientWidth, Math.max(0, upto - r.clientWidth));
        // Already there, the scroll bar does not move and no scroll
        // event comes to be told apart from the reader's.
        if (!this.follow || Math.abs(r.scrollLeft - want) < 1) return;
        this.programmatic = true;
        r.scrollLeft = want;
      }, 0);
    }
    set(this.followBtn, { hidden: this.follow ? true : null });
    const left = this.follow ? Math.max(0, upto - w) : this.scrollPos;
    this.left = left;
    this.lw = LW;
    const cx = LW + cc * CW - left;
    set(this.cursorLine, { x1: cx, x2: cx, y1: TOP - 4, y2: h, visibility: cc < this.cols.n && cx > LW ? null : 'hidden' });
    const c0 = Math.max(0, Math.floor(left / CW) - 1);
    const c1 = Math.min(this.cols.n, c0 + Math.ceil((w - LW) / CW) + 2);
    const { first, shown, laneH } = rows;
    // Columns sit at fixed x in a group that slides left; an element keeps
    // its column while in view, so a new event touches one element, not all.
    const geo = { x: (c) => LW + c * CW + CW / 2, y: (l) => TOP + (l - first + 0.5) * laneH, shows: (l) => l >= first && l < first + shown,
      rows, view, laneH, lw: LW, w, key: `${w},${h},${this.lanes.length},${LW},${first},${laneH}` };
    const shift = `translate(${-left},0)`;
    for (const g of this.layers.slice(1, 4)) set(g, { transform: shift });
    set(this.clip, { x: left, y: TOP - 2, width: w, height: Math.max(0, h - TOP + 2) });
    this.drawLanes({ ...geo, x: (c) => geo.x(c) - left }, w);
    this.drawSpans(geo, c0, c1);
    this.drawArrows(geo, c0, c1);
    this.drawMarks(geo, c0, c1);
  }

  // cursorCol counts the columns at or before the cursor's seq.
  cursorCol() {
    const { n } = this.cols;
    const seq = this.cols.a.seq;
    if (!n || seq[n - 1] <= this.cursor) return n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[mid] <= this.cursor) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // labelW is the room the longest lane name needs (in projector mode
  // the names are larger), and the line that says which lanes are in view.
  labelW(view, rows) {
    const font = `700 ${view.font}px ${SANS}`;
    let w = LABEL_W;
    for (const name of this.lanes) w = Math.max(w, 34 + fitText(name, font, 1e4).width);
    if (rows.shown < rows.n) w = Math.max(w, 12 + fitText(moreText(rows.n, rows.n, rows.n), `700 ${view.more}px ${SANS}`, 1e4).width);
    return Math.ceil(w);
  }

  // page scrolls the lanes by as many as are in view, and from the last
  // back to the first: the line above the names does it when clicked.
  page() {
    const { first, shown, n, laneH } = this.shownRows;
    const next = first + shown >= n ? 0 : Math.min(first + shown, n - shown);
    this.root.scrollTop = next * laneH;
  }

  // rows lays the lanes out in a drawing h tall: every lane, if each gets
  // the room of a readable name; else as many as do, and the others a
  // scroll away. over is how far the lanes reach past the drawing.
  rows(h, view) {
    const n = Math.max(1, this.lanes.length);
    const room = Math.max(1, h - TOP - BOTTOM);
    let shown = n;
    let laneH = room / n;
    if (laneH < view.least + view.gap) {
      shown = Math.max(1, Math.floor(room / (view.least + view.gap)));
      laneH = room / shown;
    }
    // A scroll moves whole lanes: no name is ever cut in half.
    const first = Math.min(n - shown, Math.max(0, Math.round(this.scrollTop / laneH)));
    const font = Math.max(view.least, Math.min(view.font, Math.floor(laneH - view.gap)));
    return { n, shown, first, laneH, font, over: (n - shown) * laneH };
  }

  // fitSoon fits the panel to its lanes in a task after the frame: fit
  // reads the page's layout, which a frame never does.
  fitSoon() {
    if (this.fitTimer) return;
    this.fitTimer = setTimeout(() => this.fit(), 0);
    this.root.dataset.fit = 'soon';
  }

  // fit asks the page for the height that gives every lane a name of full
  // size, if the view's share of the page is enough for all of them; else
  // the panel keeps its height, and lanes scroll. It sets the height of the
  // timeline's row on the grid that holds the panel.
  fit() {
    this.fitTimer = 0;
    const r = this.root;
    delete r.dataset.fit;
    const panel = r.parentElement;
    const grid = panel && panel.parentElement;
    if (!grid || !r.isConnected) return;
    // A hidden timeline (the compare view's) takes no room.
    if (!panel.offsetHeight) { grid.style.removeProperty('--tl-h'); return; }
    const view = viewOf();
    const n = this.lanes.length;
    const bar = r.offsetHeight - r.clientHeight;
    if (bar > 0) this.bar = bar;
    const chrome = panel.offsetHeight - r.offsetHeight + (this.bar || SCROLLBAR);
    const need = chrome + TOP + BOTTOM + n * (view.font + view.gap);
    const base = parseFloat(getComputedStyle(document.body).getPropertyValue('--tl-h')) || 0;
    const want = Math.ceil(need);
    if (n && want > base && want <= grid.clientHeight * view.share) grid.style.setProperty('--tl-h', `${want}px`);
    else grid.style.removeProperty('--tl-h');
  }

  drawLanes(geo, w) {
    const [lanes, , , , labels] = this.layers;
    const { n, shown, first, font, laneH } = geo.rows;
    const els = sync(lanes, this.lanes.length, () => s('line', {}));
    els.forEach((el, i) => set(el, { x1: geo.lw, x2: w, y1: geo.y(i), y2: geo.y(i), style: `stroke:${procColor(i)}`, visibility: geo.shows(i) ? null : 'hidden' }));
    const tags = sync(labels, this.lanes.length + 1, () => s('g', {}, s('rect'), s('path'), s('text')));
    const [bg, , more] = tags[0].children;
    set(bg, { x: 0, y: 0, width: geo.lw, height: '100%', class: 'tl-labelbg' });
    // With lanes a scroll away, the corner above the names says which
    // are in view.
    set(more, { x: 6, y: TOP - 7, class: 'tl-more', style: `font-size:${geo.view.more}px`, text: shown < n ? moreText(first, shown, n) : '' });
    const r = Math.min(6, (laneH - 2) / 2);
    this.lanes.forEach((name, i) => {
      const g = tags[i + 1];
      set(g, { visibility: geo.shows(i) ? null : 'hidden' });
      set(g.children[1], { d: shapePath(procShape(i), r), transform: `translate(12,${geo.y(i)})`, style: `fill:${procColor(i)}` });
      set(g.children[2], { x: 24, y: geo.y(i) + Math.round(font * 0.4), text: name, class: 'tl-name', style: `font-size:${font}px` });
    });
  }

  drawSpans(geo, c0, c1) {
    // Spans are in column order; the ones in view are among the last few
    // thousand, since a span in view started before it, not long before.
    const vis = [];
    for (let i = this.spans.n - 1, n = 0; i >= 0 && n < 3000; i--, n++) {
      const sp = this.spans.row(i);
      if (sp.c0 <= c1 && (sp.c1 < 0 || sp.c1 >= c0) && geo.shows(sp.lane)) vis.push(sp);
    }
    const els = sync(this.layers[1], vis.length, () => s('rect', { class: 'tl-block' }, s('title')));
    const tall = Math.min(14, geo.laneH - 4);
    vis.forEach((sp, i) => {
      const end = sp.c1 < 0 ? this.cols.n : sp.c1;
      set(els[i], { x: geo.x(sp.c0), y: geo.y(sp.lane) - tall / 2, width: Math.max(4, geo.x(end) - geo.x(sp.c0)), height: tall });
      els[i].firstChild.textContent = `${this.lanes[sp.lane]} blocked`;
    });
  }

  drawArrows(geo, c0, c1) {
    const vis = [];
    let i = lowerBound(this.arrows, c0);
    for (; i < this.arrows.n && vis.length < 400; i++) {
      const a = this.arrows.row(i);
      if (a.c0 > c1) break;
      if (a.l0 >= 0 && a.l1 >= 0) vis.push(a);
    }
    const els = sync(this.layers[2], vis.length, () => s('path', { 'marker-end': 'url(#tl-head)' }));
    vis.forEach((a, k) => {
      const y0 = geo.y(a.l0) + (a.l1 > a.l0 ? 8 : -8);
      const y1 = geo.y(a.l1) + (a.l1 > a.l0 ? -9 : 9);
      set(els[k], { d: `M${geo.x(a.c0)},${y0}L${geo.x(a.c1)},${y1}`, class: `tl-arrow tl-${LINKS[a.kind]}` });
    });
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
      set(el, { 'data-future': this.cols.a.seq[c] > this.cursor ? 'true' : null });
      if (el.col === c) continue;
      el.col = c;
      this.drawMark(el, this.cols.row(c), c, geo);
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
    const x = geo.x(c);
    const { lane } = col;
    const mk = MARKS[col.mark];
    const moment = mk === 'moment';
    // An event of no process (a cycle, a lost message of no known sender)
    // is drawn in the middle of the lanes in view.
    // A moment whose process's lane is out of view keeps its flag in the
    // middle, where it can be seen.
    const y = lane >= 0 && (!moment || geo.shows(lane)) ? geo.y(lane) : TOP + (geo.rows.shown * geo.laneH) / 2;
    set(el, { visibility: 'visible', transform: `translate(${x},${y})`, class: `tl-mark k-${mk}${col.eof ? ' eof' : ''}`, 'data-lane': lane });
    // On a lane scrolled out of view, the column keeps its time but not
    // its glyph.
    // A moment's flag stands on a pole across the lanes in view.
    const d = moment ? `M-1.5,${TOP - y}V${TOP + geo.rows.shown * geo.laneH - y}h3V${TOP - y}Z${GLYPH.moment}` : GLYPH[mk] || OTHER;
    set(el.children[0], { d, visibility: lane < 0 || moment || geo.shows(lane) ? null : 'hidden' });
    set(el.children[1], { x: -CW / 2, y: TOP - 8 - y, text: c % 8 === 0 ? `${ms(col.t)} ms` : '' });
  }
}

// moreText says which lanes are in view, and which way the others are.
function moreText(first, shown, n) {
  const arrow = first > 0 && first + shown < n ? '↕' : first > 0 ? '↑' : '↓';
  return `lanes ${first + 1}–${first + shown} of ${n} ${arrow}`;
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
  let hi = arrows.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arrows.a.c1[mid] < c) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Rows is a table of numbers, a typed array per field, that grows by
// doubling: a row costs its fields' bytes, not an object's.
export class Rows {
  constructor(fields) {
    this.fields = fields;
    this.n = 0;
    this.a = {};
    this.grow(256);
  }

  grow(cap) {
    for (const [k, T] of Object.entries(this.fields)) {
      const x = new T(cap);
      if (this.a[k]) x.set(this.a[k]);
      this.a[k] = x;
    }
    this.cap = cap;
  }

  // dropFront lets go of the first k rows.
  dropFront(k) {
    k = Math.min(k, this.n);
    if (k <= 0) return;
    for (const x of Object.values(this.a)) x.copyWithin(0, k, this.n);
    this.n -= k;
  }

  push(row) {
    if (this.n === this.cap) this.grow(this.cap * 2);
    for (const k in this.fields) this.a[k][this.n] = row[k];
    return this.n++;
  }

  // row reads row i back as an object, for the few rows drawn.
  row(i) {
    const r = {};
    for (const k in this.fields) r[k] = this.a[k][i];
    return r;
  }
}

// What a column, an arrow and a blocked span keep. A seq fits 32 bits: a
// session ends at 2,000,000 events. A time is in nanoseconds.
const COLS = { seq: Int32Array, t: Float64Array, lane: Int16Array, mark: Uint8Array, eof: Uint8Array };
const ARROWS = { c0: Int32Array, c1: Int32Array, l0: Int16Array, l1: Int16Array, kind: Uint8Array };
const SPANS = { c0: Int32Array, c1: Int32Array, lane: Int16Array };
// The kinds of arrow, by number.
const LINKS = ['msg', 'spawn', 'signal', 'conn'];
const LINK = Object.fromEntries(LINKS.map((k, i) => [k, i]));
// The glyph names met so far, by number: markOf gives the kinds of GLYPH
// and any other kind an event may have.
const MARKS = [];
const MARK_NO = new Map();
function intern(mk) {
  let i = MARK_NO.get(mk);
  if (i === undefined) { i = MARKS.length; MARKS.push(mk); MARK_NO.set(mk, i); }
  return i;
}

// sigKey names one signal on its way to target.
function sigKey(target, e) {
  const a = e.attrs || {};
  return `sig:${target}:${a.signo}:${a.value}`;
}

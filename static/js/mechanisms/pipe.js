// Pipes and FIFOs: a tube between the writer and the reader, cut into the
// kernel's page slots. Each slot in use shows, from the read end, the bytes
// already read (the slot is not free until its page is empty), the unread
// bytes, and the room after them; so a writer waiting while the pipe is far
// from full in bytes is seen waiting for a slot. The slots come from the
// writes and reads replayed on the kernel's rules (pipepages.js); the byte
// count is the kernel's own. Each message still inside is marked with its
// number. Lines from a process to an end mean it holds that end open; when
// every writer has closed, the reader sees EOF.

import { s, set, num, bytes, fitText } from '../dom.js';
import { columns, edge, objsOf, ghost, pool, shortLabel, holdersOf } from './common.js';
import { fits, held, unread } from '../pipepages.js';

const X0 = 300;
const X1 = 700;
const TH = 84;
const TAG_FONT = '800 18.6px system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';

export default {
  // The kernel panel's section: the command that lists these objects, its
  // columns, and an object's row.
  kernel: [{ kinds: ['pipe', 'fifo'], cmd: '$ ls -l /proc/PID/fd   # pipes and FIFOs', cols: ['object', 'bytes', 'capacity', 'ends open'],
    row: (o) => [o.label, num(o.fill ?? 0), num(o.cap), holdersOf(o)] }],

  // The least height (stage units) the drawing needs.
  minH: 290,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-pipe' });
    layers.objs.append(root);
    const links = s('g', { class: 'pipe-links' });
    layers.links.append(links);
    return { root, links, tubes: new Map(), ghost: null };
  },

  draw(st, model, ctx) {
    const list = objsOf(model, ['pipe', 'fifo']);
    ghost(st, st.root, !list.length, [X0, tubeY(0, 1, ctx.H) - TH / 2, X1 - X0, TH], 'no pipe yet');
    if (!list.length) return false;
    let more = false;
    list.forEach((o, i) => {
      let t = st.tubes.get(o.label);
      if (!t) { t = tube(); st.tubes.set(o.label, t); st.root.append(t.g); }
      const y = tubeY(i, list.length, ctx.H);
      set(t.g, { transform: `translate(0,${y})` });
      more = drawTube(t, o, model) || more;
    });
    drawLinks(st.links, list, model, ctx);
    return more;
  },

  // travel: a write flies from the writer into the write end and lands
  // before the fill grows; a read leaves the read end at once.
  travel(e, model, ctx) {
    if (!['write', 'read'].includes(e.kind) || !e.obj) return null;
    const list = objsOf(model, ['pipe', 'fifo']);
    const i = Math.max(0, list.findIndex((o) => o.label === e.obj));
    const y = tubeY(i, Math.max(list.length, 1), ctx.H);
    const at = ctx.pos(e.proc);
    if (!at) return null;
    if (e.kind === 'write') return { from: edge(at, X0), to: { x: X0 + 10, y }, when: 'after' };
    const label = e.bytes ? undefined : 'EOF';
    return { from: { x: X1 - 10, y }, to: edge(at, X1), label };
  },
};

const tubeY = (i, n, H) => (H * (i + 0.5)) / n + 10;

function tube() {
  const g = s('g', { class: 'tube' });
  const fill = s('rect', { class: 'tube-fill', x: X1, y: -TH / 2 + 6, height: TH - 12, width: 0, rx: 6 });
  const segs = s('g', { class: 'tube-segs' });
  const slotsG = s('g', { class: 'tube-slots' });
  const t = {
    g, fill, segs, slotsG,
    body: s('rect', { class: 'tube-body', x: X0, y: -TH / 2, width: X1 - X0, height: TH, rx: 18 }),
    label: s('text', { class: 'obj-label', x: (X0 + X1) / 2, y: -TH / 2 - 40, 'text-anchor': 'middle' }),
    level: s('text', { class: 'obj-level', x: (X0 + X1) / 2, y: -TH / 2 - 12, 'text-anchor': 'middle' }),
    slots: s('text', { class: 'slot-count', x: (X0 + X1) / 2, y: -TH / 2 - 12, 'text-anchor': 'middle' }),
    wend: s('text', { class: 'end-label', x: X0, y: TH / 2 + 26 }),
    rend: s('text', { class: 'end-label', x: X1, y: TH / 2 + 26, 'text-anchor': 'end' }),
    eof: s('text', { class: 'eof', x: (X0 + X1) / 2, y: TH / 2 + 58, 'text-anchor': 'middle' }),
    why: s('text', { class: 'tube-why', x: (X0 + X1) / 2, y: TH / 2 + 86, 'text-anchor': 'middle' }),
    full: s('g', { class: 'full-tag', transform: `translate(${(X0 + X1) / 2},${TH / 2 + 52})` },
      s('rect', { x: -150, y: -22, width: 300, height: 32, rx: 6 }), s('text', { y: 1, 'text-anchor': 'middle' }, 'FULL: the writer must wait')),
  };
  t.seg = pool(segs, () => s('g', {}, s('line', { y1: -TH / 2 + 8, y2: TH / 2 - 8 }), s('text', { y: 7, 'text-anchor': 'middle' })), 12);
  // A slot: its outline, the part already read, the unread part.
  t.slot = pool(slotsG, () => s('g', { class: 'tube-slot' },
    s('rect', { class: 'slot-box', y: -TH / 2 + 6, height: TH - 12, rx: 4 }),
    s('rect', { class: 'slot-read', y: -TH / 2 + 6, height: TH - 12 }),
    s('rect', { class: 'slot-data', y: -TH / 2 + 6, height: TH - 12 }),
    s('title')), 16);
  g.append(t.body, slotsG, fill, segs, t.label, t.level, t.slots, t.wend, t.rend, t.eof, t.why, t.full);
  return t;
}

// drawTube shows one pipe: its fill against its capacity and the
// messages inside, newest at the write end. It says whether some messages
// still wait for their marks.
function drawTube(t, o, model) {
  const cap = o.cap || 0;
  const fill = o.fill ?? 0;
  const L = X1 - X0 - 12;
  const pages = o.pages && o.pages.slots <= MAX_SLOTS ? o.pages : null;
  const w = cap && !pages ? Math.min(L, (fill / cap) * L) : 0;
  const writer = [...o.blocked].map((n) => model.procs.get(n)).find((p) => p && p.call === 'write');
  const full = writer || (cap && fill >= cap);
  // Waiting with room left in bytes: what the write of at most a page
  // waits for is a page slot.
  const want = (writer && writer.callBytes) || 1;
  const noSlot = full && pages && want <= pages.page && unread(pages) < cap && !fits(pages, want);
  set(t.fill, { x: X1 - 6 - w, width: Math.max(0, w), visibility: pages ? 'hidden' : 'inherit' });
  set(t.g, { 'data-obj': o.label, 'data-full': full ? 'true' : null, 'data-gone': o.gone ? 'true' : null, 'data-fill': fill,
    'data-unread': pages ? unread(pages) : null, 'data-held': pages ? held(pages) : null,
    'data-slots-used': pages ? pages.bufs.length : null });
  set(t.full, { visibility: full ? 'visible' : 'hidden' });
  // The pill grows with its words up to the tube's width; the words
  // shrink rather than run past it, in the projector's type too.
  const fit = fitText(noSlot ? 'NO FREE SLOT: the writer must wait' : 'FULL: the writer must wait', TAG_FONT, X1 - X0 - 8, 18);
  const pill = Math.max(300, Math.ceil(fit.width) + 28);
  set(t.full.lastChild, { text: fit.text, 'font-size': fit.size });
  set(t.full.firstChild, { x: -pill / 2, width: pill });
  // With slots, the label rises a line to make room for their count.
  const up = pages && !o.gone ? 26 : 0;
  set(t.label, { text: shortLabel(o.label, 32), 'data-real': o.label, y: -TH / 2 - 40 - up });
  set(t.level, { text: o.gone ? 'freed: no descriptor left' : levelText(fill, cap, countedAt(o)), y: -TH / 2 - 12 - up });
  set(t.slots, { text: up ? slotText(pages) : '' });
  set(t.wend, { text: endText(o, 'write') });
  set(t.rend, { text: endText(o, 'read') });
  set(t.eof, { text: o.eof ? 'read() returned 0: end of file' : '' });
  set(t.why, { text: !o.eof && noSlot ? whyText(pages, want) : '' });
  const more = drawSlots(t, pages, L);
  return drawSegments(t, o, cap, L, pages) || more;
}

// MAX_SLOTS is the most page slots drawn one by one; a bigger pipe (set
// with F_SETPIPE_SZ) is drawn by its bytes.
const MAX_SLOTS = 64;

// levelText is the kernel's byte count against the capacity. When calls on
// the pipe came after it, it says first which event the count came with: a
// busy pipe is asked only now and then, and the slots drawn below follow
// every write and read since.
function levelText(fill, cap, at) {
  const when = at ? `kernel at #${num(at)}: ` : '';
  if (!cap) return `${when}${num(fill)} bytes`;
  return `${when}${num(fill)} of ${bytes(cap)} (${Math.round((fill / cap) * 100)}%)`;
}

// countedAt is the seq of the kernel's last count of o when a later call
// on o carried none (a busy pipe is asked only now and then), else 0.
export function countedAt(o) {
  return o.fillAt && o.last && o.last.seq > o.fillAt ? o.fillAt : 0;
}

// slotText says how many page slots are in use.
function slotText(p) {
  const n = p.slots;
  if (n === 1) return `its one page slot ${p.bufs.length ? 'in use' : 'free'}`;
  return `${p.bufs.length} of ${n} page slots in use`;
}

// whyText says why a write of want bytes waits though bytes are free:
// pages partly read are not free yet, and a write joins the last page only
// after its data and only if it fits there whole.
function whyText(p, want) {
  const h = held(p);
  if (h) return `${num(h)} bytes read but not freed: a slot is freed only when its whole page is read`;
  const last = p.bufs[p.bufs.length - 1];
  const room = p.page - last.off - last.len;
  const n = p.bufs.length;
  const all = n === 1 ? 'the one page holds unread data' : `all ${n} pages hold unread data`;
  if (want % p.page === 0) return `${all}, and a whole page needs a slot of its own`;
  return `${all}; the last has room for ${num(room)} bytes after it, not ${num(want)}`;
}

// drawSlots cuts the tube into page slots, those in use from the read
// end, oldest first. Within a slot, the page's bytes run from the read end
// too: first those already read, then the unread ones, then the room. The
// slots are made 16 per frame; it says whether some are still to be made.
function drawSlots(t, p, L) {
  const els = t.slot(p ? p.slots : 0);
  if (!p) return false;
  const { cw, gap } = slotSize(p, L);
  els.slice(0, p.slots).forEach((g, k) => {
    const right = X1 - 6 - k * cw;
    const b = p.bufs[k];
    const [box, readR, dataR, title] = g.children;
    set(box, { x: right - cw + gap / 2, width: Math.max(0, cw - gap) });
    const px = (n) => (n / p.page) * (cw - gap);
    const off = b ? px(b.off) : 0;
    const len = b ? px(b.len) : 0;
    set(readR, { x: right - gap / 2 - off, width: off });
    set(dataR, { x: right - gap / 2 - off - len, width: len });
    title.textContent = b
      ? `page slot ${k + 1}: ${num(b.off)} bytes read, ${num(b.len)} unread, ${num(p.page - b.off - b.len)} bytes of room after them`
      : `page slot ${k + 1}: free`;
  });
  return els.length < p.slots;
}

// slotSize is the width of a slot in a tube of length L, and the gap
// between slots (none when they are narrow).
function slotSize(p, L) {
  const cw = L / p.slots;
  return { cw, gap: cw >= 12 ? 2 : 0 };
}

// bytePos is where the unread byte u (0: the oldest) lies in the tube,
// with the slots drawn.
function bytePos(p, u, L) {
  const { cw, gap } = slotSize(p, L);
  for (let k = 0; k < p.bufs.length; k++) {
    const b = p.bufs[k];
    if (u <= b.len) return X1 - 6 - k * cw - gap / 2 - ((b.off + u) / p.page) * (cw - gap);
    u -= b.len;
  }
  return X0 + 6;
}

// drawSegments marks each message in the pipe, oldest at the read end.
// Widths follow each message's bytes; only the kernel's fill is the total.
// The marks are made a dozen per frame, so the frame in which a pipe first
// fills up stays short; it says whether some are still to be made.
function drawSegments(t, o, cap, L, pages) {
  const items = cap ? o.items : [];
  let x = X1 - 6;
  let u = 0;
  const marks = [];
  for (let i = 0; i < items.length && marks.length < 60; i++) {
    if (pages) {
      // With slots, a message's bytes follow the pages they lie in.
      const a = bytePos(pages, u, L);
      u += items[i].bytes;
      if (u > unread(pages)) break;
      const b = bytePos(pages, u, L);
      const w = Math.abs(a - b);
      marks.push({ x: (a + b) / 2, edge: b, w, msg: items[i].msg });
      continue;
    }
    const w = (items[i].bytes / cap) * L;
    if (x - w < X0) break;
    marks.push({ x: x - w / 2, edge: x - w, w, msg: items[i].msg });
    x -= w;
  }
  const els = t.seg(marks.length);
  marks.slice(0, els.length).forEach((m, i) => {
    const g = els[i];
    // 'inherit', not 'visible': a mark the pool has hidden stays hidden.
    set(g.firstChild, { x1: m.edge, x2: m.edge, visibility: m.w >= 3 ? 'inherit' : 'hidden' });
    set(g.lastChild, { x: m.x, text: m.w >= 26 && m.msg ? String(m.msg) : '' });
  });
  return els.length < marks.length;
}

function endText(o, end) {
  const who = [...o.ends].filter(([, set]) => set.has(end)).map(([n]) => n);
  return `${end} end: ${who.length ? who.join(', ') : 'closed'}`;
}

// drawLinks draws a line from each process to each end it holds. A
// process on the far side reaches its end with an arc over the tube.
function drawLinks(g, list, model, ctx) {
  const paths = [];
  list.forEach((o, i) => {
    const y = tubeY(i, list.length, ctx.H);
    for (const [name, ends] of o.ends) {
      const at = ctx.pos(name);
      if (!at) continue;
      for (const end of ends) {
        const x = end === 'write' ? X0 : X1;
        const from = edge(at, x);
        const far = Math.abs(from.x - x) > (X1 - X0) / 2;
        const d = far
          ? `M${from.x},${from.y - 30}C${from.x},${y - 150} ${x},${y - 150} ${x},${y - TH / 2}`
          : `M${from.x},${from.y}L${x},${y}`;
        paths.push({ d, cls: `link link-${end}`, title: `${name} holds the ${end} end of ${o.label}` });
      }
    }
  });
  const els = [...g.children];
  while (els.length < paths.length) { const p = s('path', {}, s('title')); g.append(p); els.push(p); }
  els.forEach((el, i) => {
    const p = paths[i];
    set(el, p ? { d: p.d, class: p.cls, visibility: 'visible' } : { visibility: 'hidden' });
    if (p) el.firstChild.textContent = p.title;
  });
}

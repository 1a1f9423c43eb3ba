// Pipes and FIFOs: a tube between the writer and the reader. The fill is
// the kernel's byte count against the pipe's capacity, drawn from the read
// end (oldest bytes) back toward the write end; each message still inside
// is a segment with its number. Lines from a process to an end mean it
// holds that end open; when every writer has closed, the reader sees EOF.

import { s, set, num, bytes } from '../dom.js';
import { columns, edge, objsOf, ghost, pool, shortLabel } from './common.js';

const X0 = 300;
const X1 = 700;
const TH = 84;

export default {
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
  const t = {
    g, fill, segs,
    body: s('rect', { class: 'tube-body', x: X0, y: -TH / 2, width: X1 - X0, height: TH, rx: 18 }),
    label: s('text', { class: 'obj-label', x: (X0 + X1) / 2, y: -TH / 2 - 40, 'text-anchor': 'middle' }),
    level: s('text', { class: 'obj-level', x: (X0 + X1) / 2, y: -TH / 2 - 12, 'text-anchor': 'middle' }),
    wend: s('text', { class: 'end-label', x: X0, y: TH / 2 + 26 }),
    rend: s('text', { class: 'end-label', x: X1, y: TH / 2 + 26, 'text-anchor': 'end' }),
    eof: s('text', { class: 'eof', x: (X0 + X1) / 2, y: TH / 2 + 58, 'text-anchor': 'middle' }),
    full: s('g', { class: 'full-tag', transform: `translate(${(X0 + X1) / 2},${TH / 2 + 52})` },
      s('rect', { x: -150, y: -22, width: 300, height: 32, rx: 6 }), s('text', { y: 1, 'text-anchor': 'middle' }, 'FULL: the writer must wait')),
  };
  t.seg = pool(segs, () => s('g', {}, s('line', { y1: -TH / 2 + 8, y2: TH / 2 - 8 }), s('text', { y: 7, 'text-anchor': 'middle' })), 12);
  g.append(t.body, fill, segs, t.label, t.level, t.wend, t.rend, t.eof, t.full);
  return t;
}

// drawTube shows one pipe: its fill against its capacity and the
// messages inside, newest at the write end. It says whether some messages
// still wait for their marks.
function drawTube(t, o, model) {
  const cap = o.cap || 0;
  const fill = o.fill ?? 0;
  const L = X1 - X0 - 12;
  const w = cap ? Math.min(L, (fill / cap) * L) : 0;
  const writerBlocked = [...o.blocked].some((n) => (model.procs.get(n) || {}).call === 'write');
  const full = writerBlocked || (cap && fill >= cap);
  set(t.fill, { x: X1 - 6 - w, width: Math.max(0, w) });
  set(t.g, { 'data-full': full ? 'true' : null, 'data-gone': o.gone ? 'true' : null });
  set(t.full, { visibility: full ? 'visible' : 'hidden' });
  set(t.label, { text: shortLabel(o.label, 32), 'data-real': o.label });
  const level = cap ? `${num(fill)} of ${bytes(cap)} (${Math.round((fill / cap) * 100)}%)` : `${num(fill)} bytes`;
  set(t.level, { text: o.gone ? 'freed: no descriptor left' : level });
  set(t.wend, { text: endText(o, 'write') });
  set(t.rend, { text: endText(o, 'read') });
  set(t.eof, { text: o.eof ? 'read() returned 0: end of file' : '' });
  return drawSegments(t, o, cap, L);
}

// drawSegments marks each message in the pipe, oldest at the read end.
// Widths follow each message's bytes; only the kernel's fill is the total.
// The marks are made a dozen per frame, so the frame in which a pipe first
// fills up stays short; it says whether some are still to be made.
function drawSegments(t, o, cap, L) {
  const items = cap ? o.items : [];
  let x = X1 - 6;
  const marks = [];
  for (let i = 0; i < items.length && marks.length < 60; i++) {
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

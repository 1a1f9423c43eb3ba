// Shared memory: a grid of byte cells. A cell shows the byte the last
// event reported there (hex, when cells are large enough to read) and is
// filled in the colour of the process that wrote it; the cells of the
// latest write get a thick solid frame, those of the latest read a dashed
// one, so the access is visible without colour. A segment cut in slots
// (the producer-consumer ring) shows where each slot starts; semaphores
// that guard it stand under it as lamps with their values. In the race
// scenario a shared counter lives in the segment: its value, the additions
// reported and, at the end, the updates lost are written above it.

import { s, set, num, bytes, fitText } from '../dom.js';
import { procColor } from '../procs.js';
import { columns, edge, objsOf, ghost, pool, shortLabel } from './common.js';

// The most bytes drawn, and two grids: large cells (with their hex) for
// a small segment, small ones for a larger segment.
const MAX_BYTES = 512;
const BIG = { cols: 16, cell: 28, text: true };
const SMALL = { cols: 32, cell: 13, text: false };
const CX = 500;
// The counter line's font (as .counter in app.css) and the room it has.
const COUNTER_FONT = '800 26px system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';
const COUNTER_ROOM = 400;

export default {
  // The least height (stage units) the drawing needs.
  minH: 340,

  layout: (procs, model, size) => columns(procs, size, { aside: true }),

  init(layers) {
    const root = s('g', { class: 'mech-shm' });
    layers.objs.append(root);
    return { root, grids: new Map(), ghost: null };
  },

  draw(st, model, ctx) {
    const { list, sems, geos } = arrange(model, ctx);
    ghost(st, st.root, !list.length, [CX - 224, ctx.H / 2 - 80, 448, 160], 'no shared memory yet');
    list.forEach((o, i) => {
      const geo = geos[i];
      let g = st.grids.get(o.label);
      if (!g || g.key !== geo.key) {
        if (g) g.g.remove();
        g = grid(geo);
        st.grids.set(o.label, g);
        st.root.append(g.g);
      }
      set(g.g, { 'data-gone': o.gone ? 'true' : null });
      drawGrid(g, o, model, i === 0 ? sems : []);
    });
  },

  travel(e, model, ctx) {
    if (!['write', 'read'].includes(e.kind) || e.offset === undefined) return null;
    const { list, geos } = arrange(model, ctx);
    const i = list.findIndex((o) => o.label === e.obj);
    const at = ctx.pos(e.proc);
    if (!at || i < 0) return null;
    const geo = geos[i];
    const c = cellAt(geo, Math.min(e.offset + Math.min(e.bytes || 1, 8) / 2, geo.shown - 1));
    const to = { x: c.x + geo.cell / 2, y: geo.top + c.y + geo.cell / 2 };
    const label = e.value !== undefined ? String(e.value) : '';
    return e.kind === 'write' ? { from: edge(at, CX), to, when: 'after', label } : { from: to, to: edge(at, CX), label };
  },
};

// arrange lists the segments drawn (two at most), the semaphores shown
// under the first, and where each segment goes.
function arrange(model, ctx) {
  const list = objsOf(model, ['shm']).slice(0, 2);
  const sems = objsOf(model, ['sem', 'futex']).filter((o) => o.value !== null && !o.gone);
  const below = list.length === 1 ? sems.length * 24 + 30 : 0;
  return { list, sems, geos: list.map((o, i) => geometry(o, i, list.length, ctx.H, below)) };
}

// sizeOf is the segment's size in bytes: what its open said, or its
// capacity when that is a size.
const sizeOf = (o) => (o.attrs && o.attrs.size) || (o.attrs && o.attrs.slots ? 0 : o.cap) || 0;

// geometry says how a segment is drawn: cell size, rows, where; below is
// the room the lines under the grid take.
function geometry(o, i, n, H, below = 0) {
  const size = sizeOf(o);
  const shown = Math.min(size || 128, MAX_BYTES);
  const g = shown <= 128 ? BIG : SMALL;
  const rows = Math.ceil(shown / g.cols);
  const h = rows * g.cell;
  const band = H / n;
  const top = Math.max(86, band * i + (band - h - below - 60) / 2 + 66);
  const slot = (o.attrs && o.attrs.slot_bytes) || 0;
  const slots = (o.attrs && o.attrs.slots) || 0;
  return { ...g, rows, shown, size, slot, slots, top, x0: CX - (g.cols * g.cell) / 2, key: `${shown},${g.cell},${top.toFixed(0)},${slot}` };
}

const cellAt = (geo, off) => ({ x: geo.x0 + (off % geo.cols) * geo.cell, y: Math.floor(off / geo.cols) * geo.cell });

function grid(geo) {
  const g = s('g', { class: 'shm', transform: `translate(0,${geo.top})` });
  const layer = s('g', { class: geo.text ? 'cells' : 'cells cells-small' });
  const cells = [];
  for (let i = 0; i < geo.shown; i++) {
    const { x, y } = cellAt(geo, i);
    const c = s('g', { class: 'cell', transform: `translate(${x},${y})` },
      s('rect', { width: geo.cell - 2, height: geo.cell - 2, rx: geo.cell > 20 ? 3 : 1 }));
    if (geo.text) c.append(s('text', { x: geo.cell / 2 - 1, y: geo.cell / 2 + 4, 'text-anchor': 'middle' }));
    layer.append(c);
    cells.push(c);
  }
  const slots = s('g', { class: 'slots' });
  // Each slot starts with a thick mark and its number: beside the grid
  // for large cells, in its first cell for small ones.
  if (geo.slot) {
    for (let off = 0, k = 0; off < geo.shown && k < geo.slots; off += geo.slot, k++) {
      const { x, y } = cellAt(geo, off);
      slots.append(s('line', { class: 'slot-line', x1: x - 1, x2: x - 1, y1: y - 1, y2: y + geo.cell - 1 }));
      if (geo.text) slots.append(s('text', { class: 'slot-name', x: geo.x0 - 8, y: y + geo.cell - 8, 'text-anchor': 'end' }, `slot ${k}`));
      else slots.append(s('g', { class: 'slot-num', transform: `translate(${x},${y})` }, s('rect', { width: geo.cell - 2, height: geo.cell - 2, rx: 2 }),
        s('text', { x: geo.cell / 2 - 1, y: geo.cell - 4, 'text-anchor': 'middle' }, String(k))));
    }
  }
  const width = geo.cols * geo.cell;
  const legend = geo.slot && !geo.text
    ? s('text', { class: 'end-label', x: geo.x0, y: geo.rows * geo.cell + 16 }, `■ n: where slot n starts (${geo.slot} bytes each)`)
    : null;
  const semRow = s('g', { class: 'shm-sems', transform: `translate(0,${geo.rows * geo.cell + (geo.slot && !geo.text ? 44 : 26)})` });
  const r = {
    g, cells, geo, key: geo.key,
    label: s('text', { class: 'obj-label', x: CX, y: -54, 'text-anchor': 'middle' }),
    counter: s('text', { class: 'counter', x: CX, y: -22, 'text-anchor': 'middle' }),
    more: s('text', { class: 'end-label', x: geo.x0 + width, y: geo.rows * geo.cell + 16, 'text-anchor': 'end' }),
    sems: pool(semRow, () => s('g', { class: 'shm-sem' }, s('circle', { r: 9, cy: -5 }), s('text', { x: 16 }))),
  };
  g.append(layer, slots, r.label, r.counter, r.more, semRow, ...(legend ? [legend] : []));
  return r;
}

// drawGrid shows the first bytes of the segment as the events reported
// them, and the semaphores that guard it.
function drawGrid(r, o, model, sems) {
  const geo = r.geo;
  const lastW = lastOp(o, 'write');
  const lastR = lastOp(o, 'read');
  const semAt = new Set();
  for (const m of sems) if (m.attrs && m.attrs.in === o.label && m.attrs.offset !== undefined) for (let k = 0; k < 8; k++) semAt.add(m.attrs.offset + k);
  r.cells.forEach((c, i) => {
    const cell = o.cells.get(i);
    const p = cell && cell.writer ? model.procs.get(cell.writer) : null;
    const flash = cell && cell.seq === lastW ? 'write' : cell && cell.seq === lastR ? 'read' : null;
    set(c, { 'data-flash': flash, 'data-set': cell && cell.byte !== undefined ? 'true' : null, 'data-sem': semAt.has(i) ? 'true' : null });
    // The writer's colour goes in the style: it must win over the
    // stylesheet's blank cell.
    set(c.firstChild, { style: p ? `fill:${procColor(p.index)}` : semAt.has(i) ? 'fill:#fde68a' : null });
    if (c.lastChild !== c.firstChild) set(c.lastChild, { text: cell && cell.byte !== undefined ? cell.byte : '' });
  });
  const size = geo.size ? bytes(geo.size) : 'size unknown';
  set(r.label, { text: `${shortLabel(o.label, 26)} · ${size}` });
  set(r.more, { text: geo.size > geo.shown ? `the first ${num(geo.shown)} bytes are drawn` : '' });
  const counter = counterText(o, model);
  // A long count (hundreds of thousands lost) shrinks to stay between the
  // process boxes instead of running under them.
  const fit = fitText(counter.text, COUNTER_FONT, COUNTER_ROOM, 26);
  set(r.counter, { text: fit.text, style: fit.size && fit.size !== 26 ? `font-size:${fit.size}px` : null, 'data-lost': counter.lost ? 'true' : null });
  // One line per semaphore, under the grid: a lamp, its value, what it
  // counts.
  const els = r.sems(sems.length);
  sems.forEach((m, k) => {
    const go = m.value > 0;
    set(els[k], { transform: `translate(${geo.x0 + 10},${k * 24})`, 'data-go': String(go) });
    const what = (m.attrs && m.attrs.counts) || '';
    set(els[k].lastChild, { text: `${shortLabel(m.label, 22)} = ${num(m.value)}${what ? ` · ${what}` : ''}${m.waiters ? ` · ${m.waiters} waiting` : ''}` });
  });
}

// counterText shows a shared counter (the race) with the additions the
// workers reported and, once known, the updates lost; or a ring's slots
// in use.
function counterText(o, model) {
  if (o.attrs && o.attrs.slots && o.fill !== null) return { text: `${num(o.fill)} of ${num(o.attrs.slots)} slots hold a message` };
  if (o.value === null) return { text: '' };
  if (model.session.scenario !== 'race') return { text: `value ${num(o.value)}` };
  let done = 0;
  for (const p of model.procs.values()) done += p.done || 0;
  done = Math.max(done, o.writes);
  const r = model.session.result;
  const lost = r && r.expected !== undefined ? r.expected - r.actual : null;
  const tail = lost !== null ? ` · ${num(lost)} lost` : done ? ` · ${num(done)} additions so far` : '';
  return { text: `counter = ${num(o.value)}${tail}`, lost: lost > 0 };
}

function lastOp(o, kind) {
  const e = o.last;
  return e && e.kind === kind ? e.seq : -1;
}

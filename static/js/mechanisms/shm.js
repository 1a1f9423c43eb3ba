// Shared memory: a grid of byte cells. A cell shows the byte the last
// event reported there (hex, when cells are large enough to read) and is
// filled in the colour of the process that wrote it; the cells of the
// latest write get a thick solid frame, those of the latest read a dashed
// one, so the access is visible without colour. A segment cut in slots
// (the producer-consumer ring) shows where each slot starts; semaphores
// that guard it stand under it as lamps with their values. In the race
// scenario a shared counter lives in the segment: its value is written above
// it, and under that the additions the workers made so far or, at the end,
// the updates lost. Every line and the grid itself keep clear of the
// process boxes beside them.

import { s, set, num, bytes, fitText } from '../dom.js';
import { procColor } from '../procs.js';
import { columns, edge, objsOf, ghost, pool, shortLabel, halfSize, holdersOf } from './common.js';

// The most bytes drawn, and two grids: large cells (with their hex) for
// a small segment, small ones for a larger segment. Each cell shrinks to
// its least size when the process boxes leave less room.
const MAX_BYTES = 512;
const BIG = { cols: 16, cell: 28, least: 22, text: true };
const SMALL = { cols: 32, cell: 13, least: 11, text: false };
const CX = 500;
// The fonts of the lines above the grid (as in app.css), for measuring.
const SANS = 'system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';
const FONTS = {
  label: ['700 20px ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace', 20],
  counter: [`800 26px ${SANS}`, 26],
  sub: [`700 16px ${SANS}`, 16],
  sem: [`700 15px ${SANS}`, 15],
  slot: [`700 13px ${SANS}`, 13],
};
// How far a process box's halo (a blocked or waiting process's frame)
// reaches out of the box, and the gap kept from it.
const HALO = 13;
const GAP = 8;
// The lines under the grid: notes about it, then one per semaphore.
const NOTE_LINE = 18;
const LAMP_TOP = 26;
const LAMP_LINE = 24;
// Where the lines above the grid sit, from its top: the segment's name,
// the counter (or the ring's slots in use) and, for the race, the
// additions under the counter.
const ABOVE = { plain: { label: -54, counter: -22, h: 66 }, race: { label: -76, counter: -40, sub: -14, h: 88 } };

export default {
  // The kernel panel's section: a segment's size in bytes, as its open
  // said (a ring's capacity is its slots, not its size).
  kernel: [{ kinds: ['shm'], cmd: '$ ls -l /dev/shm; ipcs -m   # shared memory', cols: ['object', 'size', 'value', 'attached'],
    row: (o) => [o.label, num((o.attrs && o.attrs.size) || o.cap), o.value ?? '-', holdersOf(o)] }],

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
      drawGrid(g, o, model, i === 0 ? sems : [], (y0, y1) => clearHalf(model, ctx, geo.top + y0, geo.top + y1));
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
  const lamps = list.length === 1 ? sems.length : 0;
  const above = model.session.scenario === 'race' ? ABOVE.race : ABOVE.plain;
  const geos = list.map((o, i) => geometry(o, i, list.length, ctx.H, lamps, above, (y0, y1) => clearHalf(model, ctx, y0, y1)));
  return { list, sems, geos };
}

// clearHalf is how far left and right of the middle the stage is free of
// process boxes, halo and a gap included, between heights y0 and y1.
function clearHalf(model, ctx, y0, y1) {
  let half = CX;
  for (const p of model.procs.values()) {
    const at = ctx.pos(p.name);
    if (!at) continue;
    const { w, h } = halfSize(at);
    const reach = HALO * (at.scale || 1);
    if (at.y + h + reach <= y0 || at.y - h - reach >= y1) continue;
    half = Math.min(half, Math.abs(at.x - CX) - w - reach - GAP);
  }
  return Math.max(half, 0);
}

// sizeOf is the segment's size in bytes: what its open said, or its
// capacity when that is a size.
const sizeOf = (o) => (o.attrs && o.attrs.size) || (o.attrs && o.attrs.slots ? 0 : o.cap) || 0;

// geometry says how a segment is drawn: cell size, rows, where. lamps is
// the number of semaphore lines under the grid, above the lines over it,
// and clear(y0, y1) how much room the process boxes leave either side of
// the middle between two heights. The cells shrink to stay clear of the
// boxes (the slot names beside a grid cut in slots too) and to fit the
// stage's height; rows that still do not fit are left out, and the note
// under the grid says how many bytes are drawn.
function geometry(o, i, n, H, lamps, above, clear) {
  const size = sizeOf(o);
  const want = Math.min(size || 128, MAX_BYTES);
  const g = want <= 128 ? BIG : SMALL;
  const band = H / n;
  const slot = (o.attrs && o.attrs.slot_bytes) || 0;
  const slots = (o.attrs && o.attrs.slots) || 0;
  const names = slot && g.text ? namesWidth({ ...g, slot, slots }, want) : 0;
  // Small cells get a line for what the slot marks mean and one for how
  // many bytes are drawn; the semaphores' lines come after them.
  const notes = g.text ? 0 : slot ? 2 : 1;
  const below = lamps ? notes * NOTE_LINE + LAMP_TOP + (lamps - 1) * LAMP_LINE + 8 : notes * NOTE_LINE + 6;
  const free = band - above.h - below - 26;
  const need = Math.ceil(want / g.cols);
  // Large cells may get shorter to fit the height; small ones keep their
  // size (their slot numbers are small already) and lose rows instead.
  const tall = Math.max(g.text ? g.least : g.cell, Math.floor(free / need));
  let rows = need;
  let cell = g.cell;
  let top = 0;
  // The height depends on the cell and the room beside the grid on its
  // height: a few rounds settle both.
  for (let k = 0; k < 3; k++) {
    const h = rows * cell;
    top = Math.max(above.h + 20, band * i + (band - h - below - above.h) / 2 + above.h);
    const wide = Math.floor((2 * clear(top, top + h) - names) / g.cols);
    cell = Math.max(g.least, Math.min(g.cell, wide, tall));
    rows = Math.max(1, Math.min(need, Math.floor(free / cell)));
  }
  const shown = Math.min(want, rows * g.cols);
  // The grid and its slot names, together, are centred.
  const x0 = CX - (g.cols * cell - names) / 2;
  const lampTop = rows * cell + ((slot && !g.text ? 1 : 0) + (size > shown ? 1 : 0)) * NOTE_LINE + LAMP_TOP;
  return { ...g, cell, rows, shown, size, slot, slots, top, above, x0, lampTop, key: `${shown},${cell},${top.toFixed(0)},${slot},${above.h}` };
}

// slotNames names, for each row of a large-cell grid of n bytes where
// slots start, the slots that start in it ("slot 2", or "slots 2, 3"
// when they are short): the names stand left of the row.
function slotNames(geo, n) {
  const rows = new Map();
  for (let off = 0, k = 0; off < n && k < geo.slots; off += geo.slot, k++) {
    const row = Math.floor(off / geo.cols);
    rows.set(row, [...(rows.get(row) || []), k]);
  }
  return new Map([...rows].map(([row, ks]) => [row, `slot${ks.length > 1 ? 's' : ''} ${ks.join(', ')}`]));
}

// namesWidth is the room the slot names take left of a grid, gap included.
function namesWidth(geo, n) {
  const widths = [...slotNames(geo, n).values()].map((t) => fitText(t, FONTS.slot[0], Infinity).width);
  return 12 + Math.max(0, ...widths);
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
      if (!geo.text) slots.append(s('g', { class: 'slot-num', transform: `translate(${x},${y})` }, s('rect', { width: geo.cell - 2, height: geo.cell - 2, rx: 2 }),
        s('text', { x: geo.cell / 2 - 1, y: geo.cell - 4, 'text-anchor': 'middle' }, String(k))));
    }
    // Only large cells get names beside their rows: small ones carry the
    // number in the slot's first cell, and the grid is sized without room
    // for names.
    for (const [row, text] of geo.text ? slotNames(geo, geo.shown) : []) {
      slots.append(s('text', { class: 'slot-name', x: geo.x0 - 8, y: (row + 1) * geo.cell - 8, 'text-anchor': 'end' }, text));
    }
  }
  // Under the grid, one line each: what the slot marks mean, how many
  // bytes are drawn, and then the semaphores.
  const h = geo.rows * geo.cell;
  const notes = [];
  if (geo.slot && !geo.text) notes.push(`■ n: where slot n starts (${geo.slot} bytes each)`);
  if (geo.size > geo.shown) notes.push(`the first ${num(geo.shown)} bytes are drawn`);
  const noteEls = notes.map((text, k) => s('text', { class: 'end-label', x: geo.x0, y: h + 16 + k * NOTE_LINE }, text));
  const semRow = s('g', { class: 'shm-sems', transform: `translate(0,${geo.lampTop})` });
  const r = {
    g, cells, geo, key: geo.key,
    label: s('text', { class: 'obj-label', x: CX, y: geo.above.label, 'text-anchor': 'middle' }),
    counter: s('text', { class: 'counter', x: CX, y: geo.above.counter, 'text-anchor': 'middle' }),
    sub: s('text', { class: 'counter-sub', x: CX, y: geo.above.sub || 0, 'text-anchor': 'middle' }),
    sems: pool(semRow, () => s('g', { class: 'shm-sem' }, s('circle', { r: 9, cy: -5 }), s('text', { x: 16 }))),
  };
  g.append(layer, slots, r.label, r.counter, r.sub, ...noteEls, semRow);
  return r;
}

// drawGrid shows the first bytes of the segment as the events reported
// them, and the semaphores that guard it. clear(y0, y1) is the room the
// process boxes leave either side of the middle between two heights
// (from the grid's top).
function drawGrid(r, o, model, sems, clear) {
  const geo = r.geo;
  const lastW = lastOp(o, 'write');
  const lastR = lastOp(o, 'read');
  const semAt = new Set();
  for (const m of sems) if (m.attrs && m.attrs.in === o.label && m.attrs.offset !== undefined) for (let k = 0; k < 8; k++) semAt.add(m.attrs.offset + k);
  r.cells.forEach((c, i) => {
    const cell = o.cells.get(i);
    const p = cell && cell.writer ? model.procs.get(cell.writer) : null;
    const flash = cell && cell.seq === lastW ? 'write' : cell && cell.seq === lastR ? 'read' : null;
    // In a ring, a slot that holds no message is drawn faded: its old
    // bytes stay in memory, but the slot is free.
    const slot = geo.slot && o.slotMsgs !== undefined && i < geo.slot * geo.slots
      ? (o.slotMsgs[Math.floor(i / geo.slot)] !== undefined ? 'full' : 'free') : null;
    set(c, { 'data-flash': flash, 'data-set': cell && cell.byte !== undefined ? 'true' : null, 'data-sem': semAt.has(i) ? 'true' : null,
      'data-slot': slot });
    // The writer's colour goes in the style: it must win over the
    // stylesheet's blank cell.
    set(c.firstChild, { style: p ? `fill:${procColor(p.index)}` : semAt.has(i) ? 'fill:#fde68a' : null });
    if (c.lastChild !== c.firstChild) set(c.lastChild, { text: cell && cell.byte !== undefined ? cell.byte : '' });
  });
  const size = geo.size ? bytes(geo.size) : 'size unknown';
  const a = geo.above;
  fitLine(r.label, `${shortLabel(o.label, 26)} · ${size}`, FONTS.label, clear, a.label);
  set(r.label, { 'data-real': o.label });
  const counter = counterText(o, model);
  fitLine(r.counter, counter.text, FONTS.counter, clear, a.counter);
  set(r.counter, { 'data-lost': counter.lost ? 'true' : null });
  if (a.sub) fitLine(r.sub, counter.sub || '', FONTS.sub, clear, a.sub);
  // One line per semaphore, under the grid: a lamp, its value, what it
  // counts.
  const els = r.sems(sems.length);
  sems.forEach((m, k) => {
    const go = m.value > 0;
    set(els[k], { transform: `translate(${geo.x0 + 10},${k * LAMP_LINE})`, 'data-go': String(go) });
    const what = (m.attrs && m.attrs.counts) || '';
    const text = `${shortLabel(m.label, 22)} = ${num(m.value)}${what ? ` · ${what}` : ''}${m.waiters ? ` · ${m.waiters} waiting` : ''}`;
    // The line starts at the lamp and may reach the box on the right.
    const y = geo.lampTop + k * LAMP_LINE;
    const room = CX + clear(y - 16, y + 6) - (geo.x0 + 26);
    const fit = fitText(text, FONTS.sem[0], room, FONTS.sem[1]);
    set(els[k].lastChild, { text: fit.text, style: fit.size !== FONTS.sem[1] ? `font-size:${fit.size}px` : null });
  });
}

// fitLine sets a line centred above the grid, its baseline at y, shrunk or
// cut to the room the process boxes leave at that height.
function fitLine(el, text, [font, size], clear, y) {
  const room = 2 * clear(y - size, y + size / 4);
  const fit = fitText(text, font, room, size);
  set(el, { text: fit.text, style: fit.size && fit.size !== size ? `font-size:${fit.size}px` : null });
}

// counterText is the line above a segment: a ring's slots in use, a
// segment's value, or the race's counter (see raceCounter).
function counterText(o, model) {
  if (o.attrs && o.attrs.slots && o.fill !== null) return { text: `${num(o.fill)} of ${num(o.attrs.slots)} slots hold a message` };
  if (o.value === null) return { text: '' };
  if (model.session.scenario !== 'race') return { text: `value ${num(o.value)}` };
  return raceCounter(o, model);
}

// raceCounter shows the shared counter and, under it, the additions made
// so far or, once the result is known, the updates lost.
//
// The counter is read at other moments than the additions are reported,
// so the two lines never claim to be simultaneous. When every read and
// write of the counter is its own event, both come from those events: the
// value the last one read or wrote, and the writes shown, one per addition
// (a sample of the segment may be a step ahead of them). Otherwise the
// counter is the newest reading (the server's sample of the segment, or a
// worker's own when it reports), and the additions are what the workers
// reported, every tenth of their way: a lower bound, said as such, since
// the counter has usually moved on since the last report.
function raceCounter(o, model) {
  const prm = model.session.params || {};
  const total = Number(prm.workers) * Number(prm.increments);
  const of = Number.isFinite(total) && total > 0 ? ` of ${num(total)}` : '';
  const r = model.session.result;
  if (r && r.expected !== undefined) {
    const lost = r.expected - r.actual;
    return { text: `counter = ${num(r.actual)}`, sub: `expected ${num(r.expected)}: ${lost > 0 ? `${num(lost)} ${lost === 1 ? 'update' : 'updates'} lost` : 'no update lost'}`, lost: lost > 0 };
  }
  if (o.writes) {
    const e = o.last;
    const v = e && (e.kind === 'read' || e.kind === 'write') && e.value !== undefined ? e.value : o.value;
    return { text: `counter = ${num(v)}`, sub: `${num(o.writes)}${of} additions made` };
  }
  let done = 0;
  for (const p of model.procs.values()) {
    // A worker that exited with code 0 finished its loop: all its
    // additions are made, even after its last report.
    done += p.of && p.state === 'exited' && p.code === 0 ? p.of : p.done || 0;
  }
  return { text: `counter = ${num(o.value)}`, sub: done ? `at least ${num(done)}${of} additions made` : '' };
}

function lastOp(o, kind) {
  const e = o.last;
  return e && e.kind === kind ? e.seq : -1;
}

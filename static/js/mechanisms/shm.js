// Shared memory: a grid of byte cells. A cell shows the byte the last
// event reported there (hex) and is filled in the colour of the process
// that wrote it; the cells of the latest write get a thick solid frame,
// those of the latest read a dashed one, so the access is visible without
// colour. In the race scenario a shared counter lives in the segment: its
// value, the increments made and the updates lost so far are shown above.

import { s, set, num } from '../dom.js';
import { procColor } from '../procs.js';
import { columns, edge, objsOf, ghost } from './common.js';

const COLS = 16;
const ROWS = 8;
const CELL = 28;
const GW = COLS * CELL;
const X0 = 500 - GW / 2;

export default {
  layout: (procs, model, size) => columns(procs, size, undefined, 130),

  init(layers) {
    const root = s('g', { class: 'mech-shm' });
    layers.objs.append(root);
    return { root, grids: new Map() };
  },

  draw(st, model, ctx) {
    const list = objsOf(model, ['shm']);
    ghost(st, st.root, !list.length, [X0, ctx.H / 2 - 80, GW, 160], 'no shared memory yet');
    list.slice(0, 2).forEach((o, i) => {
      let g = st.grids.get(o.label);
      if (!g) { g = grid(); st.grids.set(o.label, g); st.root.append(g.g); }
      set(g.g, { transform: `translate(0,${top(i, Math.min(2, list.length), ctx.H)})`, 'data-gone': o.gone ? 'true' : null });
      drawGrid(g, o, model);
    });
  },

  travel(e, model, ctx) {
    if (!['write', 'read'].includes(e.kind) || e.offset === undefined) return null;
    const list = objsOf(model, ['shm']);
    const i = Math.max(0, list.findIndex((o) => o.label === e.obj));
    const at = ctx.pos(e.proc);
    if (!at || i > 1) return null;
    const cell = cellXY(e.offset);
    const to = { x: cell.x + CELL / 2, y: top(i, Math.min(2, list.length), ctx.H) + cell.y + CELL / 2 };
    const label = e.value !== undefined ? String(e.value) : '';
    return e.kind === 'write' ? { from: edge(at, 500), to, when: 'after', label } : { from: to, to: edge(at, 500), label };
  },
};

const top = (i, n, H) => (n === 1 ? H / 2 - (ROWS * CELL) / 2 + 30 : 70 + i * (H / 2));

const cellXY = (off) => ({ x: X0 + (off % COLS) * CELL, y: Math.floor(off / COLS) * CELL });

function grid() {
  const g = s('g', { class: 'shm' });
  const cells = [];
  const layer = s('g', { class: 'cells' });
  for (let i = 0; i < COLS * ROWS; i++) {
    const { x, y } = cellXY(i);
    const c = s('g', { class: 'cell', transform: `translate(${x},${y})` },
      s('rect', { width: CELL - 2, height: CELL - 2, rx: 3 }),
      s('text', { x: CELL / 2 - 1, y: CELL / 2 + 4, 'text-anchor': 'middle' }));
    layer.append(c);
    cells.push(c);
  }
  const r = {
    g, cells,
    label: s('text', { class: 'obj-label', x: 500, y: -62, 'text-anchor': 'middle' }),
    counter: s('text', { class: 'counter', x: 500, y: -30, 'text-anchor': 'middle' }),
    more: s('text', { class: 'end-label', x: 500, y: ROWS * CELL + 22, 'text-anchor': 'middle' }),
  };
  g.append(layer, r.label, r.counter, r.more);
  return r;
}

// drawGrid shows the first COLS*ROWS bytes of the segment as the events
// reported them.
function drawGrid(r, o, model) {
  const lastW = lastOp(o, 'write');
  const lastR = lastOp(o, 'read');
  r.cells.forEach((c, i) => {
    const cell = o.cells.get(i);
    const p = cell && cell.writer ? model.procs.get(cell.writer) : null;
    const flash = cell && cell.seq === lastW ? 'write' : cell && cell.seq === lastR ? 'read' : null;
    set(c, { 'data-flash': flash, 'data-set': cell && cell.byte !== undefined ? 'true' : null });
    set(c.firstChild, { fill: p ? procColor(p.index) : null });
    set(c.lastChild, { text: cell && cell.byte !== undefined ? cell.byte : '' });
  });
  const size = o.cap ? `${num(o.cap)} bytes` : 'size unknown';
  set(r.label, { text: `${o.label} (${size})` });
  set(r.more, { text: o.cap > COLS * ROWS ? `the first ${COLS * ROWS} bytes are drawn` : '' });
  set(r.counter, { text: counterText(o, model) });
}

// counterText shows a shared counter: its value as the last event read
// or wrote it, the increments written and the updates lost so far.
function counterText(o, model) {
  if (o.value === null) return '';
  if (model.session.scenario !== 'race') return `value ${num(o.value)}`;
  let done = 0;
  for (const p of model.procs.values()) done += p.done || 0;
  done = Math.max(done, o.writes);
  const r = model.session.result;
  const lost = r && r.expected !== undefined ? r.expected - r.actual : null;
  return `counter = ${num(o.value)} · ${num(done)} additions reported${lost !== null ? ` · ${num(lost)} lost` : ''}`;
}

function lastOp(o, kind) {
  const e = o.last;
  return e && e.kind === kind ? e.seq : -1;
}

// Deadlock: processes and the semaphores they take, on a ring. An arrow
// from a semaphore to a process says "held by" (it passed wait and has not
// posted); a dashed arrow from a blocked process to a semaphore says
// "waits for". When the server reports a deadlock, the arrows of its cycle
// turn red and thick: they form a loop nobody can leave.

import { s, set } from '../dom.js';
import { BOX_H } from '../procs.js';
import { num } from '../dom.js';
import { objsOf } from './common.js';

// RX is the ring's horizontal radius.
const RX = 230;

export default {
  // layout puts processes and objects alternately around a circle, so any
  // cycle between them is drawn as a ring.
  // A process that only starts the others stands aside, at the left.
  layout(procs, model, { W, H }) {
    const pos = new Map();
    const starters = procs.filter((p) => procs.some((q) => q.startedBy === p.name) && procs.length > 2);
    const ring = procs.filter((p) => !starters.includes(p));
    starters.forEach((p, i) => pos.set(p.name, { x: 80, y: 56 + i * 100, scale: 0.6 }));
    const n = Math.max(1, ring.length);
    ring.forEach((p, i) => {
      const a = Math.PI + (i * 2 * Math.PI) / n;
      pos.set(p.name, { x: W / 2 + Math.cos(a) * RX, y: H / 2 + 10 + Math.sin(a) * (H / 2 - BOX_H / 2 - 20) });
    });
    return pos;
  },

  init(layers) {
    const root = s('g', { class: 'mech-deadlock' });
    const edges = s('g', { class: 'wait-for' });
    layers.links.append(edges);
    layers.objs.append(root);
    return { root, edges, lights: new Map(), banner: null };
  },

  draw(st, model, ctx) {
    const objs = objsOf(model, ['sem', 'futex']);
    const at = new Map();
    objs.forEach((o, i) => {
      const n = Math.max(2, objs.length);
      const a = Math.PI + ((i + 0.5) * 2 * Math.PI) / n;
      const p = { x: ctx.W / 2 + Math.cos(a) * RX * 0.9, y: ctx.H / 2 + 10 + Math.sin(a) * (ctx.H / 2 - 50) };
      at.set(o.label, p);
      let l = st.lights.get(o.label);
      if (!l) { l = token(); st.lights.set(o.label, l); st.root.append(l.g); }
      set(l.g, { transform: `translate(${p.x},${p.y})` });
      drawToken(l, o);
    });
    drawEdges(st.edges, edgesOf(model), at, ctx);
  },

  travel(e, model, ctx) { return null; },
};

// token draws a resource compactly: a lamp (green and GO while the
// value lets a wait pass, red and STOP at zero), its label and value.
function token() {
  const g = s('g', { class: 'res' });
  const l = { g, box: s('rect', { x: -150, y: -30, width: 300, height: 60, rx: 30 }),
    lamp: s('circle', { cx: -118, cy: 0, r: 22 }), word: s('text', { class: 'res-word', x: -118, y: 5, 'text-anchor': 'middle' }),
    label: s('text', { class: 'res-label', x: -86, y: -4 }), value: s('text', { class: 'res-value', x: -86, y: 19 }) };
  g.append(l.box, l.lamp, l.word, l.label, l.value);
  return l;
}

function drawToken(l, o) {
  const v = o.value;
  const known = v !== null && v !== undefined;
  set(l.g, { 'data-go': known ? String(v > 0) : null, 'data-gone': o.gone ? 'true' : null });
  set(l.word, { text: known ? (v > 0 ? 'GO' : 'STOP') : '?' });
  set(l.label, { text: o.label.length > 24 ? `…${o.label.slice(-23)}` : o.label });
  set(l.value, { text: `${known ? `value ${num(v)}` : 'value ?'}${o.waiters !== null ? ` · ${num(o.waiters)} waiting` : ''}` });
}

// edgesOf lists the arrows the events justify, and marks those of the
// reported cycle.
function edgesOf(model) {
  const hot = new Set();
  for (const c of (model.deadlock && model.deadlock.cycle) || []) {
    hot.add(`wait ${c.proc} ${c.obj}`);
    hot.add(`hold ${c.holder} ${c.obj}`);
  }
  const out = [];
  for (const p of model.procs.values()) {
    if (p.state === 'exited') continue;
    for (const obj of p.holds.keys()) out.push({ kind: 'hold', proc: p.name, obj, hot: hot.has(`hold ${p.name} ${obj}`) });
    if (p.state === 'blocked' && p.obj) out.push({ kind: 'wait', proc: p.name, obj: p.obj, hot: hot.has(`wait ${p.name} ${p.obj}`) });
  }
  // The cycle stays drawn as the server reported it, even once it has
  // been broken, so the class can look at it.
  for (const c of (model.deadlock && model.deadlock.cycle) || []) {
    if (!out.some((e) => e.kind === 'wait' && e.proc === c.proc && e.obj === c.obj)) out.push({ kind: 'wait', proc: c.proc, obj: c.obj, hot: true });
    if (!out.some((e) => e.kind === 'hold' && e.proc === c.holder && e.obj === c.obj)) out.push({ kind: 'hold', proc: c.holder, obj: c.obj, hot: true });
  }
  return out;
}

function drawEdges(g, edges, at, ctx) {
  const list = edges.filter((e) => at.has(e.obj) && ctx.pos(e.proc));
  while (g.childElementCount < list.length) g.append(s('g', {}, s('path'), s('text', { 'text-anchor': 'middle' })));
  [...g.children].forEach((el, i) => {
    const e = list[i];
    if (!e) { set(el, { visibility: 'hidden' }); return; }
    const p = ctx.pos(e.proc);
    const o = at.get(e.obj);
    const [a, b] = e.kind === 'hold' ? [o, p] : [p, o];
    const a2 = clip(a, b, e.kind === 'hold' ? RES : BOX);
    const b2 = clip(b, a, e.kind === 'hold' ? BOX : RES);
    set(el, { visibility: 'visible', class: `edge edge-${e.kind}${e.hot ? ' hot' : ''}` });
    set(el.firstChild, { d: `M${a2.x},${a2.y}L${b2.x},${b2.y}`, 'marker-end': e.hot ? 'url(#arrow-hot)' : 'url(#arrow)' });
    set(el.lastChild, { x: (a2.x + b2.x) / 2, y: (a2.y + b2.y) / 2 - 10, text: e.kind === 'hold' ? 'held by' : 'waits for' });
  });
}

// Half sizes of a process box and a resource, where arrows stop.
const BOX = { w: 128, h: BOX_H / 2 + 8 };
const RES = { w: 156, h: 36 };

// clip moves point a toward b until it leaves a's rectangle of half size
// r, so an arrow starts and ends at the shapes' edges.
function clip(a, b, r) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const f = Math.min(Math.abs(dx) ? r.w / Math.abs(dx) : Infinity, Math.abs(dy) ? r.h / Math.abs(dy) : Infinity, 1);
  return { x: a.x + dx * f, y: a.y + dy * f };
}

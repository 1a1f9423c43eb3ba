// Deadlock: the processes and the resources they wait for, on a ring. An
// arrow from a resource to a process says "held by" (it passed wait and has
// not posted; for a pipe, it holds the write end the other waits on); a
// dashed arrow from a blocked process to a resource says "waits for". When
// the server reports a deadlock, the arrows of its cycle turn red and
// thick: they form a loop nobody can leave, and the word DEADLOCK sits in
// its middle.

import { s, set, num } from '../dom.js';
import { FULL, COMPACT } from '../procs.js';
import { objsOf, halfSize } from './common.js';

// Half sizes of a resource token.
const RES = { w: 115, h: 32 };

export default {
  // The least height (stage units) the drawing needs.
  minH: 340,

  // layout puts processes and resources alternately around an ellipse, so
  // any cycle between them is drawn as a ring. A process that only starts
  // the others stands aside, compact, in the top left corner.
  layout(procs, model, { W, H }) {
    const pos = new Map();
    const starters = procs.filter((p) => procs.length > 2 && procs.some((q) => q.startedBy === p.name));
    const ring = procs.filter((p) => !starters.includes(p));
    starters.forEach((p, i) => pos.set(p.name, { x: COMPACT.w / 2 + 6, y: COMPACT.h / 2 + 6 + i * (COMPACT.h + 10), size: COMPACT, aside: true }));
    const n = Math.max(1, ring.length);
    const { rx, ry } = radii(W, H);
    // The ring's boxes stay clear of the corner box: compact on a short
    // stage, and no higher than under it.
    const corner = starters.length ? starters.length * (COMPACT.h + 10) + 8 : 0;
    const size = !corner || H >= 2 * FULL.h + 90 ? FULL : COMPACT;
    ring.forEach((p, i) => {
      const a = Math.PI + (i * 2 * Math.PI) / n;
      let y = H / 2 + 10 + Math.sin(a) * (ry - size.h / 2 + RES.h);
      if (corner && Math.cos(a) < -0.3) y = Math.min(H - size.h / 2 - 4, Math.max(y, corner + size.h / 2));
      pos.set(p.name, { x: W / 2 + Math.cos(a) * rx, y, size });
    });
    return pos;
  },

  init(layers) {
    const root = s('g', { class: 'mech-deadlock' });
    const edges = s('g', { class: 'wait-for' });
    const banner = s('g', { class: 'cycle-banner', visibility: 'hidden' },
      s('path', { class: 'cycle-ring' }),
      s('text', { class: 'cycle-word', 'text-anchor': 'middle', y: -4 }, 'DEADLOCK'),
      s('text', { class: 'cycle-sub', 'text-anchor': 'middle', y: 22 }, 'a wait-for cycle'),
      s('text', { class: 'cycle-who', 'text-anchor': 'middle', y: 42 }, ''));
    layers.links.append(edges, banner);
    layers.objs.append(root);
    return { root, edges, banner, tokens: new Map() };
  },

  draw(st, model, ctx) {
    const objs = objsOf(model, ['sem', 'futex', 'pipe', 'fifo']);
    const at = new Map();
    const { rx, ry } = radii(ctx.W, ctx.H);
    objs.forEach((o, i) => {
      const n = Math.max(2, objs.length);
      const a = Math.PI + ((i + 0.5) * 2 * Math.PI) / n;
      const p = { x: ctx.W / 2 + Math.cos(a) * rx * 0.55, y: ctx.H / 2 + 10 + Math.sin(a) * ry };
      at.set(o.label, p);
      let t = st.tokens.get(o.label);
      if (!t) { t = token(); st.tokens.set(o.label, t); st.root.append(t.g); }
      set(t.g, { transform: `translate(${p.x},${p.y})` });
      drawToken(t, o);
    });
    for (const [label, t] of st.tokens) if (!at.has(label)) set(t.g, { visibility: 'hidden' });
    const victim = brokenBy(model);
    const edges = edgesOf(model, victim);
    drawEdges(st.edges, edges, at, ctx);
    const cycle = !!(model.deadlock && model.deadlock.cycle.length);
    set(st.banner, { visibility: cycle ? 'visible' : 'hidden', transform: `translate(${ctx.W / 2},${ctx.H / 2 + 10})`,
      'data-broken': victim ? 'true' : null });
    // From the victim's exit on, the cycle is history: the server broke it.
    const [, , sub, who] = st.banner.children;
    set(sub, { text: victim ? `broken: the server killed ${victim}` : 'a wait-for cycle' });
    set(who, { text: victim ? 'the kernel released what it held' : 'found by this server: Linux never checks' });
  },

  travel() { return null; },
};

// radii of the ring: as wide as the stage allows with a box at each end,
// as tall as it allows with a resource at the top and bottom.
function radii(W, H) {
  return { rx: W / 2 - FULL.w / 2 - 12, ry: H / 2 - RES.h - 14 };
}

// token draws a resource compactly: for a semaphore a lamp (green and GO
// while the value lets a wait pass, red and STOP at zero), for a pipe a
// short tube; then its label and its numbers.
function token() {
  const g = s('g', { class: 'res' });
  const t = {
    g,
    box: s('rect', { x: -RES.w, y: -RES.h, width: RES.w * 2, height: RES.h * 2, rx: RES.h }),
    lamp: s('circle', { cx: -RES.w + 30, cy: 0, r: 22 }),
    word: s('text', { class: 'res-word', x: -RES.w + 30, y: 5, 'text-anchor': 'middle' }),
    tube: s('rect', { class: 'res-tube', x: -RES.w + 10, y: -12, width: 42, height: 24, rx: 8 }),
    label: s('text', { class: 'res-label', x: -RES.w + 60, y: -5 }),
    value: s('text', { class: 'res-value', x: -RES.w + 60, y: 19 }),
  };
  g.append(t.box, t.lamp, t.tube, t.word, t.label, t.value);
  return t;
}

function drawToken(t, o) {
  const pipe = o.kind === 'pipe' || o.kind === 'fifo';
  const v = o.value;
  const known = v !== null && v !== undefined;
  set(t.g, { visibility: 'visible', 'data-kind': pipe ? 'pipe' : 'sem', 'data-go': !pipe && known ? String(v > 0) : null, 'data-gone': o.gone ? 'true' : null });
  set(t.lamp, { visibility: pipe ? 'hidden' : 'visible' });
  set(t.tube, { visibility: pipe ? 'visible' : 'hidden' });
  set(t.word, { text: pipe ? '' : known ? (v > 0 ? 'GO' : 'STOP') : '?' });
  set(t.label, { text: keyLabel(o.label) });
  const numbers = pipe
    ? `${num(o.fill ?? 0)} bytes in it`
    : `value ${known ? num(v) : '?'}${o.waiters !== null ? ` · ${num(o.waiters)} waiting` : ''}`;
  set(t.value, { text: numbers });
}

// keyLabel keeps a System V key readable: "sem:0x5b6f31ae#1" -> "sem …31ae #1".
function keyLabel(label) {
  if (label.length <= 16) return label;
  const m = label.match(/^(\w+):0x[0-9a-f]*?([0-9a-f]{4})(#\d+)?$/i);
  return m ? `${m[1]}:…${m[2]}${m[3] ? ` ${m[3]}` : ''}` : `${label.slice(0, 15)}…`;
}

// brokenBy names the process of the reported cycle that ended first (the
// server's kill of it is what broke the cycle), or ''.
const brokenBy = (model) => (model.deadlock && model.deadlock.brokenBy) || '';

// edgesOf lists the arrows the events justify, and marks those of the
// reported cycle: red while it holds, grey once victim has ended and the
// cycle is broken. A pipe is held by the process with its write end: only
// that process could wake a reader blocked on it.
function edgesOf(model, victim) {
  const hot = new Set();
  for (const c of (model.deadlock && model.deadlock.cycle) || []) {
    hot.add(`wait ${c.proc} ${c.obj}`);
    hot.add(`hold ${c.holder} ${c.obj}`);
  }
  const out = [];
  const add = (kind, proc, obj) => {
    const inCycle = hot.has(`${kind} ${proc} ${obj}`);
    if (!out.some((e) => e.kind === kind && e.proc === proc && e.obj === obj)) out.push({ kind, proc, obj, hot: inCycle && !victim, was: inCycle && !!victim });
  };
  for (const p of model.procs.values()) {
    if (p.state === 'exited') continue;
    for (const obj of p.holds.keys()) add('hold', p.name, obj);
    if (p.state === 'blocked' && p.obj) add('wait', p.name, p.obj);
  }
  for (const o of model.objs.values()) {
    const w = o.attrs && o.attrs.writer;
    if ((o.kind === 'pipe' || o.kind === 'fifo') && w && !o.gone) {
      const p = model.procs.get(w);
      if (p && p.state !== 'exited') add('hold', w, o.label);
    }
  }
  // The cycle stays drawn as the server reported it, even once it has
  // been broken, so the class can look at it.
  for (const c of (model.deadlock && model.deadlock.cycle) || []) {
    add('wait', c.proc, c.obj);
    add('hold', c.holder, c.obj);
  }
  return out;
}

// drawEdges draws each arrow between the edges of its two shapes, with
// its words written along it on the outer side of the ring, so they never
// sit on an arrow, on the word DEADLOCK or in a corner.
function drawEdges(g, edges, at, ctx) {
  const list = edges.filter((e) => at.has(e.obj) && ctx.pos(e.proc) && !ctx.pos(e.proc).aside);
  while (g.childElementCount < list.length) g.append(s('g', {}, s('path'), s('text', { 'text-anchor': 'middle' })));
  const centre = { x: ctx.W / 2, y: ctx.H / 2 + 10 };
  [...g.children].forEach((el, i) => {
    const e = list[i];
    if (!e) { set(el, { visibility: 'hidden' }); return; }
    const p = ctx.pos(e.proc);
    const o = at.get(e.obj);
    const box = halfSize(p);
    const [a, b] = e.kind === 'hold' ? [o, p] : [p, o];
    const a2 = clip(a, b, e.kind === 'hold' ? RES : box, 4);
    const b2 = clip(b, a, e.kind === 'hold' ? box : RES, 10);
    set(el, { visibility: 'visible', class: `edge edge-${e.kind}${e.hot ? ' hot' : ''}${e.was ? ' was' : ''}` });
    set(el.firstChild, { d: `M${a2.x.toFixed(1)},${a2.y.toFixed(1)}L${b2.x.toFixed(1)},${b2.y.toFixed(1)}`, 'marker-end': e.hot ? 'url(#arrow-hot)' : 'url(#arrow)' });
    set(el.lastChild, { transform: along(a2, b2, centre), text: e.kind === 'hold' ? 'held by' : 'waits for' });
  });
}

// along places words at the middle of the line a-b, turned with it (never
// upside down), a little off it on the side away from the centre.
function along(a, b, centre) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  let deg = (Math.atan2(dy, dx) * 180) / Math.PI;
  if (deg > 90) deg -= 180;
  if (deg <= -90) deg += 180;
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  let nx = -dy / len;
  let ny = dx / len;
  if (nx * (mx - centre.x) + ny * (my - centre.y) < 0) { nx = -nx; ny = -ny; }
  // Text rises from its baseline: on the side the text rises toward, a
  // small gap is enough; on the other side, the gap plus its height.
  const rad = (deg * Math.PI) / 180;
  const up = nx * Math.sin(rad) - ny * Math.cos(rad) > 0;
  const d = up ? 9 : 22;
  return `translate(${(mx + nx * d).toFixed(1)},${(my + ny * d).toFixed(1)}) rotate(${deg.toFixed(1)})`;
}

// clip moves point a toward b until it leaves a's rectangle of half size
// r (plus a gap), so an arrow starts and ends at the shapes' edges.
function clip(a, b, r, gap = 0) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const f = Math.min(Math.abs(dx) ? (r.w + gap) / Math.abs(dx) : Infinity, Math.abs(dy) ? (r.h + gap) / Math.abs(dy) : Infinity, 1);
  return { x: a.x + dx * f, y: a.y + dy * f };
}

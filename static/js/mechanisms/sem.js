// Semaphores: each one a traffic light with its value as a number. Green
// (and the word GO) while the value is above zero, so the next wait
// passes; red (STOP) at zero, so the next wait blocks. The processes the
// events show blocked on it queue beside the light, and the kernel's own
// count of waiters is printed under it.

import { s, set, num } from '../dom.js';
import { columns, edge, objsOf, ghost, shortLabel } from './common.js';

const LW = 110;
const LH = 190;

export default {
  // The least height (stage units) the drawing needs.
  minH: 330,

  layout: (procs, model, size) => columns(procs, size, { aside: true }),

  init(layers) {
    const root = s('g', { class: 'mech-sem' });
    layers.objs.append(root);
    return { root, lights: new Map() };
  },

  draw(st, model, ctx) {
    const list = objsOf(model, ['sem', 'futex']);
    ghost(st, st.root, !list.length, [500 - LW / 2, ctx.H / 2 - LH / 2, LW, LH], 'no semaphore yet');
    // A counter in shared memory, when the scenario keeps one, says how
    // many processes are inside right now.
    const counter = !model.ended && objsOf(model, ['shm']).find((o) => o.value !== null && !o.gone);
    list.forEach((o, i) => {
      let l = st.lights.get(o.label);
      if (!l) { l = light(); st.lights.set(o.label, l); st.root.append(l.g); }
      set(l.g, { transform: `translate(${lightX(i, list.length)},${ctx.H / 2 + 10})` });
      drawLight(l, o);
      set(l.inside, { text: counter && i === 0 ? `inside now: ${num(counter.value)}` : '' });
    });
  },

  travel(e, model, ctx) {
    if (!['wait', 'post'].includes(e.kind) || !e.obj) return null;
    const list = objsOf(model, ['sem', 'futex']);
    const i = Math.max(0, list.findIndex((o) => o.label === e.obj));
    const at = ctx.pos(e.proc);
    if (!at) return null;
    const p = { x: lightX(i, Math.max(1, list.length)), y: ctx.H / 2 + 10 };
    const label = e.kind === 'wait' ? '−1' : '+1';
    return e.kind === 'post' ? { from: edge(at, p.x), to: p, when: 'after', label } : { from: p, to: edge(at, p.x), label };
  },
};

const lightX = (i, n) => 500 + (i - (n - 1) / 2) * 200;

// light makes a traffic light centred on 0,0.
export function light() {
  const g = s('g', { class: 'light' });
  const l = {
    g,
    red: s('circle', { class: 'lamp red', cx: 0, cy: -LH / 4, r: 34 }),
    green: s('circle', { class: 'lamp green', cx: 0, cy: LH / 4, r: 34 }),
    stop: s('text', { class: 'lamp-word', x: 0, y: -LH / 4 + 7, 'text-anchor': 'middle' }, 'STOP'),
    go: s('text', { class: 'lamp-word', x: 0, y: LH / 4 + 7, 'text-anchor': 'middle' }, 'GO'),
    label: s('text', { class: 'obj-label', x: 0, y: -LH / 2 - 44, 'text-anchor': 'middle' }),
    value: s('text', { class: 'obj-level sem-value', x: 0, y: -LH / 2 - 14, 'text-anchor': 'middle' }),
    waiters: s('text', { class: 'end-label', x: 0, y: LH / 2 + 26, 'text-anchor': 'middle' }),
    queue: s('text', { class: 'sem-queue', x: 0, y: LH / 2 + 50, 'text-anchor': 'middle' }),
    inside: s('text', { class: 'sem-inside', x: LW / 2 + 14, y: 6 }),
  };
  g.append(s('rect', { class: 'housing', x: -LW / 2, y: -LH / 2, width: LW, height: LH, rx: 22 }),
    l.red, l.green, l.stop, l.go, l.label, l.value, l.waiters, l.queue, l.inside);
  return l;
}

// drawLight shows a semaphore's value and who waits on it.
export function drawLight(l, o) {
  const v = o.value;
  const known = v !== null && v !== undefined;
  set(l.g, { 'data-go': known ? String(v > 0) : null, 'data-gone': o.gone ? 'true' : null });
  set(l.label, { text: shortLabel(o.label, 24) });
  set(l.value, { text: known ? `value ${num(v)}` : 'value ?' });
  set(l.waiters, { text: o.waiters !== null ? `${num(o.waiters)} waiting (kernel)` : '' });
  const q = [...o.blocked];
  set(l.queue, { text: q.length ? `queue: ${q.join(' → ')}` : '' });
}

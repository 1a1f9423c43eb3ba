// The generic drawing, for a mechanism without its own: each kernel object
// as a labelled box with the numbers the kernel reported for it.

import { s, set, num } from '../dom.js';
import { columns, edge, ghost, shortLabel } from './common.js';

const BW = 300;
const BH = 70;

export default {
  // The least height (stage units) the drawing needs.
  minH: 300,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-generic' });
    layers.objs.append(root);
    return { root, boxes: new Map(), ghost: null };
  },

  draw(st, model, ctx) {
    const list = [...model.objs.values()];
    ghost(st, st.root, !list.length, [ctx.W / 2 - BW / 2, ctx.H / 2 - BH / 2, BW, BH], 'no kernel object yet');
    list.forEach((o, i) => {
      let b = st.boxes.get(o.label);
      if (!b) {
        b = { g: s('g', { class: 'gobj' }), rect: s('rect', { x: -BW / 2, y: -BH / 2, width: BW, height: BH, rx: 10 }),
          label: s('text', { class: 'obj-label', y: -6, 'text-anchor': 'middle' }),
          level: s('text', { class: 'obj-level', y: 24, 'text-anchor': 'middle' }) };
        b.g.append(b.rect, b.label, b.level);
        st.root.append(b.g);
        st.boxes.set(o.label, b);
      }
      const y = objY(i, list.length, ctx.H);
      set(b.g, { transform: `translate(${ctx.W / 2},${y})`, 'data-gone': o.gone ? 'true' : null });
      set(b.label, { text: shortLabel(o.label, 26), 'data-real': o.label });
      set(b.level, { text: numbers(o) });
    });
  },

  travel(e, model, ctx) {
    if (!['write', 'send', 'read', 'recv'].includes(e.kind) || !e.obj) return null;
    const list = [...model.objs.keys()];
    const i = Math.max(0, list.indexOf(e.obj));
    const at = ctx.pos(e.proc);
    if (!at) return null;
    const o = { x: ctx.W / 2 + (at.x < ctx.W / 2 ? -BW / 2 : BW / 2), y: objY(i, Math.max(list.length, 1), ctx.H) };
    const p = edge(at, ctx.W / 2);
    return e.kind === 'write' || e.kind === 'send' ? { from: p, to: o, when: 'after' } : { from: o, to: p };
  },
};

const objY = (i, n, H) => (H * (i + 0.5)) / n + 10;

// numbers lists what the kernel reported about an object.
export function numbers(o) {
  const parts = [];
  if (o.fill !== null) parts.push(o.cap ? `${num(o.fill)} of ${num(o.cap)}` : `fill ${num(o.fill)}`);
  if (o.value !== null) parts.push(`value ${num(o.value)}`);
  if (o.waiters !== null) parts.push(`waiters ${num(o.waiters)}`);
  if (o.gone) parts.push('removed');
  return parts.join(' · ') || 'open';
}

// Signals: there is no kernel object to draw, only processes. A signal
// flies from the sender to the target as a lightning token; the target's
// box rings (its badge names the signal) and, when the handler runs, says
// so. A line per sender and target counts the signals sent and handled.

import { s, set, num } from '../dom.js';
import { columns, edge } from './common.js';

export default {
  // The least height (stage units) the drawing needs.
  minH: 280,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-signal' });
    layers.links.append(root);
    return { root };
  },

  draw(st, model, ctx) {
    const pairs = new Map();
    for (const p of model.procs.values()) {
      for (const [from, n] of p.signalsFrom || []) {
        const key = `${from}>${p.name}`;
        pairs.set(key, { from, to: p.name, sent: n, handled: (p.handledFrom && p.handledFrom.get(from)) || 0, marker: false });
      }
    }
    // The end marker, once handled, closes the line's count.
    for (const p of model.procs.values()) {
      for (const [from] of p.markersHandledFrom || []) {
        const x = pairs.get(`${from}>${p.name}`);
        if (x) x.marker = true;
      }
    }
    const list = [...pairs.values()].filter((x) => ctx.pos(x.from) && ctx.pos(x.to));
    while (st.root.childElementCount < list.length) st.root.append(s('g', { class: 'sig-line' }, s('path'), s('text', { 'text-anchor': 'middle' })));
    [...st.root.children].forEach((g, i) => {
      const x = list[i];
      if (!x) { set(g, { visibility: 'hidden' }); return; }
      const a = edge(ctx.pos(x.from), ctx.pos(x.to).x);
      const b = edge(ctx.pos(x.to), ctx.pos(x.from).x);
      set(g, { visibility: 'visible' });
      set(g.firstChild, { d: `M${a.x},${a.y}L${b.x},${b.y}`, 'marker-end': 'url(#arrow)' });
      set(g.lastChild, { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 16, text: `${num(x.sent)} sent · ${num(x.handled)} handled${x.marker ? ' · end marker' : ''}` });
    });
  },

  travel(e, model, ctx) {
    if (e.kind !== 'signal' || !e.peer) return null;
    const a = ctx.pos(e.proc);
    const b = ctx.pos(e.peer);
    if (!a || !b) return null;
    const name = (e.attrs && e.attrs.name) || 'SIG';
    return { from: edge(a, b.x), to: edge(b, a.x), when: 'after', label: name.replace(/^SIG/, '') };
  },
};

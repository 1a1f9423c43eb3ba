// Sockets: each connection a cable between the two processes (from the
// connect and accept events), with the receiver's queued bytes as a bar at
// its end. Stream packets travel along the cable; datagrams fly without
// one, and a datagram the events report lost falls off the line.

import { s, set, num } from '../dom.js';
import { columns, edge, objsOf, ghost, shortLabel } from './common.js';

export default {
  // The least height (stage units) the drawing needs.
  minH: 280,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-socket' });
    const cables = s('g', { class: 'cables' });
    layers.links.append(cables);
    layers.objs.append(root);
    return { root, cables, labels: new Map() };
  },

  draw(st, model, ctx) {
    const socks = objsOf(model, ['unix', 'tcp', 'udp']);
    ghost(st, st.root, !socks.length, [350, ctx.H / 2 - 40, 300, 80], 'no socket yet');
    const lines = linesOf(model, socks, ctx);
    while (st.cables.childElementCount < lines.length) {
      st.cables.append(s('g', {}, s('path', { class: 'cable-outer' }), s('path', { class: 'cable' }), s('text', { class: 'obj-label', 'text-anchor': 'middle' }),
        s('text', { class: 'obj-level', 'text-anchor': 'middle' }), s('text', { class: 'lost-mark', 'text-anchor': 'middle' })));
    }
    [...st.cables.children].forEach((g, i) => {
      const l = lines[i];
      if (!l) { set(g, { visibility: 'hidden' }); return; }
      // A socket with several peers has a cable to each, but its name
      // and numbers are written once: above the highest end of its
      // cables, and the lost count under the lowest, so that no cable,
      // level or slanted, crosses the words.
      const mine = lines.filter((x) => x.o === l.o);
      const first = mine[0] === l;
      const ys = mine.flatMap((x) => [x.a.y, x.b.y]);
      const top = { x: (mine[0].a.x + mine[0].b.x) / 2, y: Math.min(...ys) };
      const low = { x: top.x, y: Math.max(...ys) };
      const lost = l.o.lostCount;
      const d = `M${l.a.x},${l.a.y}L${l.b.x},${l.b.y}`;
      set(g, { visibility: 'visible', 'data-kind': l.o.kind, 'data-gone': l.o.gone ? 'true' : null });
      set(g.children[0], { d });
      set(g.children[1], { d });
      set(g.children[2], { x: top.x, y: top.y - 46, text: first ? shortLabel(l.o.label, 34) : '' });
      set(g.children[3], { x: top.x, y: top.y - 18, text: first ? level(l.o) : '' });
      set(g.children[4], { x: low.x, y: low.y + 44, text: first && lost ? `✗ ${num(lost)} datagram${lost > 1 ? 's' : ''} lost` : '' });
    });
  },

  travel(e, model, ctx) {
    if (!['send', 'recv', 'lost'].includes(e.kind) || !e.obj) return null;
    const o = model.objs.get(e.obj);
    if (!o) return null;
    const l = linesOf(model, [o], ctx).find((x) => x.ends.includes(e.proc)) || linesOf(model, [o], ctx)[0];
    if (!l) return null;
    if (e.kind === 'lost') return { from: l.a, to: l.b, lost: true, label: '✗' };
    const mine = l.ends[0] === e.proc ? l.a : l.b;
    const other = l.ends[0] === e.proc ? l.b : l.a;
    return e.kind === 'send' ? { from: mine, to: other, when: 'after' } : null;
  },
};

// linesOf finds the cables to draw: one per connection, or for a socket
// without connections (datagrams) one between its first two users.
function linesOf(model, socks, ctx) {
  const out = [];
  for (const o of socks) {
    const pairs = o.conns.length ? o.conns.map((c) => [c.from, c.to]) : [users(model, o)];
    for (const [x, y] of pairs) {
      const px = ctx.pos(x);
      const py = ctx.pos(y);
      if (!px || !py) continue;
      const k = out.length;
      const a = edge(px, py.x);
      const b = edge(py, px.x);
      out.push({ o, ends: [x, y], a: { x: a.x, y: a.y + k * 6 }, b: { x: b.x, y: b.y + k * 6 } });
    }
  }
  return out;
}

// users names the processes an object's events mention, senders first.
function users(model, o) {
  const names = [...model.procs.values()].filter((p) => p.state !== 'starting').map((p) => p.name);
  const from = o.items.length ? o.items[0].proc : names[0];
  return [from, names.find((n) => n !== from)];
}

function level(o) {
  if (o.fill === null) return o.kind === 'udp' ? 'datagrams: no connection' : '';
  return `${num(o.fill)}${o.cap ? ` of ${num(o.cap)}` : ''} bytes queued`;
}

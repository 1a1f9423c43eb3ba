// Signals: there is no kernel object to draw, only processes. A signal
// flies from the sender to the target as a lightning token; the target's
// box rings (its badge names the signal) and, when the handler runs, says
// so. A line per sender and target counts the signals sent and handled.
// Under them, the target's pending signals: the set the kernel reports in
// /proc/PID/status (one bit per signal number), the signals sent and not
// handled yet, each with its value, and those merged into a pending
// standard signal, which are never handled.

import { s, set, num } from '../dom.js';
import { columns, edge, halfSize } from './common.js';
import { signalName } from '../kernel.js';

export default {
  // The least height (stage units) the drawing needs.
  minH: 340,

  // The boxes take the upper part of the stage; the pending signals the
  // part under them.
  layout: (procs, model, { W, H }) => columns(procs, { W, H: Math.max(170, H - PANEL_H) }),

  init(layers) {
    const root = s('g', { class: 'mech-signal' });
    layers.links.append(root);
    const pend = s('g', { class: 'sig-pending' });
    layers.objs.append(pend);
    return { root, pend, panels: new Map() };
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
    drawPending(st, model, ctx);
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

// The height of the pending signals' panel under the boxes.
const PANEL_H = 150;

// The most cards of signals sent and not handled drawn in a row.
const CARDS = 14;
const CW = 52;

// drawPending draws, for each process signals were sent to, what waits for
// it: the kernel's pending set, then the cards of the signals sent and not
// handled yet, then the values merged away.
function drawPending(st, model, ctx) {
  const targets = [...model.procs.values()].filter((p) => p.sigSent || p.sigPending);
  for (const [name, panel] of st.panels) if (!targets.some((p) => p.name === name)) set(panel.g, { visibility: 'hidden' });
  // Under the lowest box, or at the foot of the stage if that is higher.
  let low = 0;
  for (const q of model.procs.values()) {
    const at = ctx.pos(q.name);
    if (at && !at.aside) low = Math.max(low, at.y + halfSize(at).h);
  }
  targets.slice(0, 2).forEach((p, i) => {
    let panel = st.panels.get(p.name);
    if (!panel) { panel = pendingPanel(); st.panels.set(p.name, panel); st.pend.append(panel.g); }
    const y = low + 36 + i * 130;
    set(panel.g, { visibility: 'visible', transform: `translate(${ctx.W / 2},${y})`, 'data-proc': p.name });
    fillPanel(panel, p, model);
  });
}

function pendingPanel() {
  const g = s('g', { class: 'sig-panel' });
  const p = {
    g,
    kernel: s('text', { class: 'sig-kernel', y: 0, 'text-anchor': 'middle' }),
    caption: s('text', { class: 'sig-caption', y: 26, 'text-anchor': 'middle' }),
    cards: s('g', { class: 'sig-cards', transform: 'translate(0,58)' }),
    merged: s('text', { class: 'sig-merged', y: 104, 'text-anchor': 'middle' }),
  };
  g.append(p.kernel, p.caption, p.cards, p.merged);
  return p;
}

// fillPanel writes one target's pending signals.
function fillPanel(panel, p, model) {
  const pending = p.sigPending;
  const names = (pending || []).map((n) => nameOf(n, p));
  set(panel.kernel, {
    text: pending === undefined ? `kernel: ${p.name}'s pending set not read yet`
      : `kernel: pending for ${p.name}: ${names.length ? names.join(', ') : 'none'}`,
    'data-pending': (pending || []).join(' '),
  });
  const sent = p.sigSent || [];
  const std = sent.find((x) => x.signo < 32);
  set(panel.caption, {
    text: !sent.length ? 'sent and not handled: none'
      : std ? `sent, not handled yet: ${std.name} keeps one pending, later ones merge into it`
        : `sent, not handled yet: real-time signals queue, each with its value`,
  });
  const shown = sent.slice(0, CARDS);
  const x0 = (-(shown.length - 1) * CW) / 2;
  while (panel.cards.childElementCount < shown.length) {
    panel.cards.append(s('g', { class: 'sig-card' }, s('rect', { x: -23, y: -18, width: 46, height: 36, rx: 6 }), s('text', { y: 6, 'text-anchor': 'middle' })));
  }
  [...panel.cards.children].forEach((c, i) => {
    const x = shown[i];
    if (!x) { set(c, { visibility: 'hidden' }); return; }
    // A standard signal's pending slot holds the first one sent; those
    // after it wait to be seen handled or merged.
    const inSlot = x.signo < 32 && x === std;
    set(c, { visibility: 'visible', transform: `translate(${x0 + i * CW},0)`, 'data-marker': x.marker ? 'true' : null, 'data-slot': inSlot ? 'true' : null });
    set(c.lastChild, { text: x.marker ? 'end' : String(x.value) });
  });
  const more = sent.length - shown.length;
  const merged = p.sigMerged || [];
  const n = p.sigMergedCount || 0;
  const list = merged.slice(-12).map((x) => x.value).join(', ');
  set(panel.merged, {
    text: n ? `merged, never handled: ${n > 12 ? '…, ' : ''}${list} (${num(n)})${more > 0 ? ` · ${num(more)} more sent not shown` : ''}`
      : more > 0 ? `${num(more)} more sent, not shown` : '',
    'data-count': n,
  });
}

// nameOf names a signal number as the session's events did, else as
// Linux with glibc does (SIGRTMIN is 34 there).
function nameOf(n, p) {
  const x = (p.sigSent || []).find((y) => y.signo === n) || (p.sigMerged || []).find((y) => y.signo === n);
  return x ? x.name : signalName(n);
}

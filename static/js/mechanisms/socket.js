// Sockets: each connection a cable between the two processes (from the
// connect and accept events). Stream packets travel along the cable;
// datagrams fly without one, and a datagram the events report lost falls
// off the line.
//
// The socket's name and its number are written by the server's box: what
// waits at the receiving end, as the events report it. On a stream that
// is bytes of data not yet read (SIOCINQ); on UDP it is the kernel memory
// the queued datagrams take against the receive buffer, bookkeeping
// included, and the words say so. A sender's own send buffer is another
// count, never mixed in; the cable says "send buffer full" while the
// kernel makes its sender wait for room. A connection that an end closed
// says so in words, and a cable closed at both ends is drawn dashed and
// grey. A TCP cable says what its connection holds, from the server's
// reading of that connection: bytes waiting at the server's end, and
// bytes the client sent that are not yet acknowledged.

import { s, set, num, fitText } from '../dom.js';
import { columns, edge, objsOf, ghost, shortLabel, halfSize } from './common.js';

// The fonts of the socket's words, as app.css sets them; the text is
// measured in them to fit the room between the cables.
const SANS = 'system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';
const MONO = 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace';
const LABEL = { font: `700 20px ${MONO}`, size: 20 };
const LEVEL = { font: `700 20px ${SANS}`, size: 20 };
const SUB = { font: `700 15px ${SANS}`, size: 15 };
const WORD = { font: `700 18px ${SANS}`, size: 18 };

export default {
  // The kernel panel's section.
  kernel: [{ kinds: ['unix', 'tcp', 'udp'], cmd: '$ ss -xtua   # sockets', cols: ['object', 'queued', 'capacity', 'connections'],
    row: (o) => [o.label, num(o.fill ?? 0), o.cap ? num(o.cap) : '-', o.conns.map((c) => `${c.from}->${c.to}`).join(' ') || '-'] }],

  // The least height (stage units) the drawing needs.
  minH: 280,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-socket' });
    const cables = s('g', { class: 'cables' });
    const words = s('g', { class: 'sock-words' },
      s('text', { class: 'obj-label' }), s('text', { class: 'obj-level' }),
      s('text', { class: 'obj-sub' }), s('text', { class: 'lost-mark' }));
    layers.links.append(cables);
    layers.objs.append(root, words);
    return { root, cables, words: words.children };
  },

  draw(st, model, ctx) {
    const socks = objsOf(model, ['unix', 'tcp', 'udp']);
    ghost(st, st.root, !socks.length, [350, ctx.H / 2 - 40, 300, 80], 'no socket yet');
    const lines = linesOf(model, socks, ctx);
    while (st.cables.childElementCount < lines.length) {
      st.cables.append(s('g', {}, s('path', { class: 'cable-outer' }), s('path', { class: 'cable' }), s('text', { class: 'cable-word' }),
        s('text', { class: 'cable-word', 'data-kind': 'queued' })));
    }
    [...st.cables.children].forEach((g, i) => {
      const l = lines[i];
      if (!l) { set(g, { visibility: 'hidden' }); return; }
      const d = `M${l.a.x},${l.a.y}L${l.b.x},${l.b.y}`;
      const w = cableWord(model, l);
      set(g, { visibility: 'visible', 'data-kind': l.o.kind, 'data-gone': l.o.gone ? 'true' : null, 'data-closed': w.closed });
      set(g.children[0], { d });
      set(g.children[1], { d });
      // The word runs along the cable, just above it, from the sender's
      // end, where the cables stand furthest apart.
      // A sender on the right writes it the other way, so it never
      // reads upside down.
      const back = l.b.x < l.a.x;
      const deg = (Math.atan2(l.b.y - l.a.y, l.b.x - l.a.x) * 180) / Math.PI + (back ? 180 : 0);
      // What the connection holds runs under the cable, on the first two
      // thirds of it, clear of where the cables meet: shrunk a little, or
      // cut.
      const room = Math.hypot(l.b.x - l.a.x, l.b.y - l.a.y) * 0.7;
      const put = (el, text, kind, dy) => {
        const fit = kind === 'queued' ? fitText(text, WORD.font, room, WORD.size) : { text, size: null };
        set(el, { x: l.a.x + (back ? -14 : 14), y: l.a.y + dy, 'text-anchor': back ? 'end' : 'start',
          transform: `rotate(${deg.toFixed(1)},${l.a.x},${l.a.y})`, text: fit.text, 'data-kind': kind,
          style: fit.size && fit.size !== WORD.size ? `font-size:${fit.size}px` : null });
      };
      put(g.children[2], w.text, w.kind, -14);
      put(g.children[3], w.held, 'queued', 28);
    });
    drawWords(st.words, model, socks[0], lines, ctx);
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
    const pairs = o.conns.length ? o.conns.map((c) => [c.from, c.to, c]) : [[...users(model, o), null]];
    for (const [x, y, c] of pairs) {
      const px = ctx.pos(x);
      const py = ctx.pos(y);
      if (!px || !py) continue;
      const k = out.length;
      const a = edge(px, py.x);
      const b = edge(py, px.x);
      out.push({ o, c, ends: [x, y], at: [px, py], a: { x: a.x, y: a.y + k * 6 }, b: { x: b.x, y: b.y + k * 6 } });
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

// closedBy names the ends of a connection that are closed: an end whose
// process reported closing it (c.closedBy, where the model keeps it), or
// whose process has ended, since the kernel closes every descriptor of a
// process that ends.
function closedBy(model, c) {
  if (!c) return [];
  return [c.from, c.to].filter((name) => {
    const p = model.procs.get(name);
    return (c.closedBy && c.closedBy.includes(name)) || (p && p.state === 'exited');
  });
}

// cableWord is what a cable says by its sender's end, and whether it is
// closed at one end ("half") or both ("both").
function cableWord(model, l) {
  const shut = closedBy(model, l.c);
  if (shut.length === 2) return { text: 'closed', held: '', closed: 'both', kind: 'closed' };
  // Closed by the sender, the bytes it sent still wait in the kernel
  // for the reader.
  const held = queuedWords(l.c);
  if (shut.length === 1) return { text: `closed by ${shut[0]}`, held, closed: 'half', kind: 'closed' };
  const sender = model.procs.get(l.ends[0]);
  // The kernel makes a stream's sender wait only when its send buffer is
  // full; a Unix datagram's sender also when the server's queue is.
  if (sender && sender.state === 'blocked' && sender.call === 'send' && sender.obj === l.o.label) {
    // The kernel counts a Unix sender's buffer in memory, bookkeeping
    // included: a few small messages fill it.
    const q = sender.sndq && sender.sndq.obj === l.o.label && l.o.kind === 'unix' && sender.sndq.size ? sender.sndq : null;
    const text = !stream(l.o) ? 'waits for room' : q ? `send buffer full: ${num(q.used)} of ${num(q.size)} B of kernel memory` : 'send buffer full';
    return { text, held, closed: null, kind: 'full' };
  }
  return { text: '', held, closed: null, kind: null };
}

// queuedWords is what a TCP connection holds, as the server last read it.
function queuedWords(c) {
  const q = c && c.queued;
  if (!q || (!q.unread && !q.unacked && !q.fin)) return '';
  const parts = [];
  // The end of the stream waits in line behind the bytes sent before it.
  if (q.unread || q.fin) parts.push(`${q.unread ? `${num(q.unread)} B${q.fin ? ' + FIN' : ''}` : 'FIN'} unread`);
  if (q.unacked) parts.push(`${num(q.unacked)} B unacked`);
  return parts.join(' · ');
}

// stream says whether a socket carries a stream of bytes.
const stream = (o) => o.kind === 'tcp' || (o.kind === 'unix' && o.attrs.type !== 'datagram');

// drawWords writes the socket's name and number above the box of the
// process its cables share (the server), and under that box what
// qualifies the number and the datagrams lost. Each line takes the room
// the cables leave it.
function drawWords([label, level, sub, lost], model, o, lines, ctx) {
  const hub = o && hubOf(lines);
  if (!hub) {
    for (const el of [label, level, sub, lost]) set(el, { text: '' });
    return;
  }
  const half = halfSize(hub.at);
  const right = hub.at.x > ctx.W / 2;
  const x = right ? Math.min(ctx.W - 8, hub.at.x + half.w) : Math.max(8, hub.at.x - half.w);
  const top = hub.at.y - half.h;
  const bottom = hub.at.y + half.h;
  const anchor = right ? 'end' : 'start';
  const put = (el, text, f, y) => {
    const room = roomBeside(lines, x, right, y - f.size * 0.8, y + f.size * 0.25);
    const t = fitText(text, f.font, room, f.size);
    set(el, { x, y, 'text-anchor': anchor, text: t.text, style: t.size && t.size !== f.size ? `font-size:${t.size}px` : null });
  };
  const [levelText, subText] = levelOf(o);
  put(label, shortLabel(o.label, 34), LABEL, Math.max(LABEL.size + 4, top - 46));
  set(label, { 'data-real': o.label });
  put(level, levelText, LEVEL, Math.max(LABEL.size + LEVEL.size + 12, top - 18));
  put(sub, subText, SUB, Math.min(ctx.H - 30, bottom + 24));
  // The kernel's drop count comes with the server's readings, as the
  // drops happen; the datagrams known lost by number only once the
  // clients have said what they sent.
  const n = o.lostCount;
  // TCP retransmits what it drops: only UDP's count is a loss.
  const drops = o.kind === 'udp' ? o.drops || 0 : 0;
  const words = drops ? `✗ ${num(drops)} dropped by the kernel${n ? `, ${num(n)} known by number` : ''}`
    : n ? `✗ ${num(n)} datagram${n > 1 ? 's' : ''} lost` : '';
  put(lost, words, LEVEL, Math.min(ctx.H - 6, bottom + (subText ? 50 : 30)));
  set(lost, { 'data-drops': drops || null });
}

// hubOf is the end the cables lead to: the process connected to, which
// holds the socket (the server). Each cable names it second.
function hubOf(lines) {
  const count = new Map();
  for (const l of lines) {
    const c = count.get(l.ends[1]) || { n: 0, at: l.at[1] };
    c.n++;
    count.set(l.ends[1], c);
  }
  let best = null;
  for (const v of count.values()) if (!best || v.n > best.n) best = v;
  return best;
}

// roomBeside is how wide a line of text between heights y0 and y1 may
// run from x (leftwards when right is set) before it meets a cable or the
// column of boxes at the cables' far ends.
function roomBeside(lines, x, right, y0, y1) {
  const pad = 12; // half a cable's width, and a little air
  let limit = right ? -Infinity : Infinity;
  // block notes a thing in the way from x0 to x1.
  const block = (x0, x1) => {
    if (right && x0 <= x) limit = Math.max(limit, Math.min(x1, x));
    if (!right && x1 >= x) limit = Math.min(limit, Math.max(x0, x));
  };
  for (const l of lines) {
    const [p, q] = l.a.x < l.b.x ? [l.a, l.b] : [l.b, l.a];
    if (right) block(-Infinity, p.x);
    else block(q.x, Infinity);
    const part = within(p, q, y0 - pad, y1 + pad);
    if (part) block(...part);
  }
  return Math.max(40, (right ? x - limit : limit - x) - 10);
}

// within is the stretch, from x0 to x1, of the segment from p to q (p
// left of q) whose height lies between lo and hi; null if none does.
function within(p, q, lo, hi) {
  if (p.y === q.y) return p.y >= lo && p.y <= hi ? [p.x, q.x] : null;
  const t1 = (lo - p.y) / (q.y - p.y);
  const t2 = (hi - p.y) / (q.y - p.y);
  const t0 = Math.max(0, Math.min(t1, t2));
  const t3 = Math.min(1, Math.max(t1, t2));
  if (t0 > t3) return null;
  return [p.x + (q.x - p.x) * t0, p.x + (q.x - p.x) * t3];
}

// levelOf is the socket's number in words, and what qualifies it.
function levelOf(o) {
  if (o.kind === 'udp') {
    if (o.fill === null) return ['datagrams: no connection', ''];
    return [`receive buffer: ${num(o.fill)}${o.cap ? ` of ${num(o.cap)}` : ''} bytes`, 'counted in kernel memory, bookkeeping included'];
  }
  if (!stream(o) || o.fill === null) return ['', ''];
  return [`unread: ${num(o.fill)} bytes`, ''];
}

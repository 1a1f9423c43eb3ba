// Message queues (POSIX mq and System V msg): a row of slots, one per
// message the queue may hold (the kernel's capacity), each message a card
// with its number and its priority (POSIX) or type (System V). Cards enter
// at the left and leave at the right, in the order the kernel delivers
// them: by priority, then age, for POSIX; by age for System V (a receive
// may pick a type, and the card it got leaves from wherever it was).

import { s, set, num, fitText } from '../dom.js';
import { procColor } from '../procs.js';
import { columns, edge, objsOf, ghost, pool, shortLabel, blockedOf } from './common.js';

const X0 = 290;
const X1 = 710;
const SH = 70;
// The FULL and EMPTY tag's type, as app.css sets it, letter spacing left
// to the margin.
const TAG_FONT = '800 18.6px system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';
const SEND_CALLS = new Set(['mq_send', 'mq_timedsend', 'msgsnd']);
const MAX_SLOTS = 16;

const queueRow = (o) => [o.label, num(o.fill ?? 0), num(o.cap), blockedOf(o)];

export default {
  // The kernel panel's sections, one per family of queue.
  kernel: [
    { kinds: ['mq'], cmd: '$ ls -l /dev/mqueue   # POSIX message queues', cols: ['object', 'messages', 'max', 'waiting'], row: queueRow },
    { kinds: ['msg'], cmd: '$ ipcs -q   # System V message queues', cols: ['object', 'messages', 'max', 'waiting'], row: queueRow },
  ],

  // The least height (stage units) the drawing needs.
  minH: 300,

  layout: (procs, model, size) => columns(procs, size),

  init(layers) {
    const root = s('g', { class: 'mech-queue' });
    layers.objs.append(root);
    return { root, rows: new Map() };
  },

  draw(st, model, ctx) {
    const list = objsOf(model, ['mq', 'msg']);
    ghost(st, st.root, !list.length, [X0, rowY(0, 1, ctx.H) - SH / 2, X1 - X0, SH], 'no queue yet');
    list.forEach((o, i) => {
      let r = st.rows.get(o.label);
      if (!r) { r = row(); st.rows.set(o.label, r); st.root.append(r.g); }
      set(r.g, { transform: `translate(0,${rowY(i, list.length, ctx.H)})`, 'data-gone': o.gone ? 'true' : null });
      drawRow(r, o, model);
    });
  },

  travel(e, model, ctx) {
    if (!['send', 'recv'].includes(e.kind) || !e.obj) return null;
    const list = objsOf(model, ['mq', 'msg']);
    const i = Math.max(0, list.findIndex((o) => o.label === e.obj));
    const y = rowY(i, Math.max(1, list.length), ctx.H);
    const at = ctx.pos(e.proc);
    if (!at) return null;
    const label = e.prio !== undefined ? `${e.msg}` : e.type !== undefined ? `${e.msg}` : undefined;
    if (e.kind === 'send') return { from: edge(at, X0), to: { x: X0 + 20, y }, when: 'after', label };
    return { from: { x: X1 - 20, y }, to: edge(at, X1), label };
  },
};

const rowY = (i, n, H) => (H * (i + 0.5)) / n + 10;

function row() {
  const g = s('g', { class: 'queue' });
  const slots = s('g', { class: 'slots' });
  const cards = s('g', { class: 'cards' });
  const r = {
    g, slots, cards,
    body: s('rect', { class: 'queue-body', x: X0 - 8, y: -SH / 2 - 8, width: X1 - X0 + 16, height: SH + 16, rx: 10 }),
    label: s('text', { class: 'obj-label', x: (X0 + X1) / 2, y: -SH / 2 - 46, 'text-anchor': 'middle' }),
    level: s('text', { class: 'obj-level', x: (X0 + X1) / 2, y: -SH / 2 - 18, 'text-anchor': 'middle' }),
    tag: s('g', { class: 'full-tag', transform: `translate(${(X0 + X1) / 2},${SH / 2 + 44})` },
      s('rect', { x: -170, y: -22, width: 340, height: 32, rx: 6 }), s('text', { y: 1, 'text-anchor': 'middle', 'font-size': 18 })),
    ends: [s('text', { class: 'end-label', x: X0, y: SH / 2 + 84 }, 'in: mq_send / msgsnd'),
      s('text', { class: 'end-label', x: X1, y: SH / 2 + 84, 'text-anchor': 'end' }, 'out: receive')],
  };
  r.slot = pool(slots, () => s('rect', { class: 'slot', y: -SH / 2, height: SH, rx: 6 }));
  r.card = pool(cards, () => s('g', { class: 'card' }, s('rect', { y: -SH / 2 + 5, height: SH - 10, rx: 6 }),
    s('text', { class: 'card-id', y: -4, 'text-anchor': 'middle' }), s('text', { class: 'card-tag', y: 20, 'text-anchor': 'middle' })));
  g.append(r.body, slots, cards, r.label, r.level, r.tag, ...r.ends);
  return r;
}

// overtakers are the messages (items in the order sent) that will go out
// before an older one of lower priority still in the queue.
function overtakers(items) {
  const out = new Set();
  let low = Infinity; // the lowest priority among the older ones
  for (const it of items) {
    if ((it.prio ?? 0) > low) out.add(it);
    low = Math.min(low, it.prio ?? 0);
  }
  return out;
}

// typeTag says which System V receivers wait, each for its own type.
function typeTag(typed, fill) {
  if (typed.length === 1) {
    const [p] = typed;
    return fill === 0 ? `EMPTY: ${p.name} waits for type ${p.callType}` : `NO TYPE ${p.callType} INSIDE: ${p.name} waits`;
  }
  const who = typed.map((p) => `${p.name} for ${p.callType}`).join(', ');
  return `${fill === 0 ? 'EMPTY' : 'NONE OF THEIR TYPES'}: ${who} wait`;
}

// order lists the messages in the order the kernel will hand them out,
// the next one last (at the right, by the exit).
function order(o) {
  const items = [...o.items];
  if (o.kind === 'mq') items.sort((a, b) => (a.prio ?? 0) - (b.prio ?? 0) || b.seq - a.seq);
  else items.reverse();
  return items;
}

function drawRow(r, o, model) {
  const cap = o.cap || Math.max(o.items.length, 1);
  const n = Math.min(cap, MAX_SLOTS);
  const w = (X1 - X0) / n;
  r.slot(n).forEach((el, i) => set(el, { x: X0 + i * w + 3, width: w - 6 }));
  const items = order(o).slice(-n);
  const cards = r.card(items.length);
  // A POSIX message of higher priority goes out before older ones still
  // inside: it is marked as having overtaken them.
  const ahead = o.kind === 'mq' ? overtakers(o.items) : new Set();
  items.forEach((it, k) => {
    const slot = n - items.length + k;
    const p = model.procs.get(it.proc);
    set(cards[k], { transform: `translate(${X0 + slot * w + w / 2},0)`, 'data-overtook': ahead.has(it) ? 'true' : null });
    set(cards[k].children[0], { x: -w / 2 + 6, width: w - 12, style: `fill:${p ? procColor(p.index) : 'var(--p0)'}` });
    set(cards[k].children[1], { text: it.msg ? `#${it.msg}` : '' });
    set(cards[k].children[2], { text: it.prio !== undefined ? `p${it.prio}${ahead.has(it) ? ' ↷' : ''}` : it.type !== undefined ? `t${it.type}` : '' });
  });
  const fill = o.fill ?? o.items.length;
  const full = o.cap && fill >= o.cap;
  // Who waits, and for what: a sender for room, a receiver for a message
  // (on a System V queue, for one of its own type, full queue or not).
  const senders = [];
  const receivers = [];
  for (const name of o.blocked) {
    const p = model.procs.get(name);
    (p && SEND_CALLS.has(p.call) ? senders : receivers).push(name);
  }
  // A System V receiver waits for its own type (msgtyp > 0) whatever
  // else the queue holds: the tag names the type it waits for.
  const typed = o.kind === 'msg' ? receivers.map((n) => model.procs.get(n)).filter((p) => p && p.callType > 0) : [];
  const empty = (fill === 0 && receivers.length > 0) || typed.length > 0;
  set(r.g, { 'data-obj': o.label, 'data-fill': fill, 'data-full': full ? 'true' : null, 'data-empty': empty ? 'true' : null });
  set(r.label, { text: shortLabel(o.label, 34), 'data-real': o.label });
  set(r.level, { text: `${num(fill)} of ${o.cap ? num(o.cap) : '?'} messages${o.cap > MAX_SLOTS ? ` (last ${MAX_SLOTS} slots drawn)` : ''}` });
  const tag = full ? `FULL: ${senders.join(', ') || 'senders'} must wait`
    : typed.length ? typeTag(typed, fill)
      : empty ? `EMPTY: ${receivers.join(', ')} ${receivers.length > 1 ? 'wait' : 'waits'}` : '';
  set(r.tag, { visibility: tag ? 'visible' : 'hidden', 'data-kind': empty ? 'empty' : 'full' });
  // The pill grows with its words, up to the queue's width; longer words
  // shrink or are cut short rather than run past its edges.
  let fit = fitText(tag, TAG_FONT, X1 - X0 - 8, 18);
  if (fit.text !== tag) {
    // Too many names for the line: the count says who waits, and their
    // boxes say BLOCKED.
    const n = full ? senders.length : receivers.length;
    const short = full ? `FULL: ${n} ${n === 1 ? 'sender' : 'senders'} must wait`
      : typed.length && fill > 0 ? `NONE OF THEIR TYPES: ${typed.length} wait` : `EMPTY: ${n} ${n === 1 ? 'receiver waits' : 'receivers wait'}`;
    fit = fitText(short, TAG_FONT, X1 - X0 - 8, 18);
  }
  const pill = Math.max(340, Math.ceil(fit.width) + 28);
  set(r.tag.firstChild, { x: -pill / 2, width: pill });
  set(r.tag.lastChild, { text: fit.text, 'font-size': fit.size });
  set(r.ends[0], { text: o.kind === 'mq' ? 'in: mq_send()' : 'in: msgsnd()' });
  // Short enough to share the line with the other end's label, even in
  // the projector's larger type.
  set(r.ends[1], { text: o.kind === 'mq' ? 'out: mq_receive(), top priority' : 'out: msgrcv()' });
}

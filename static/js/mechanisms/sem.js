// Semaphores: each one a traffic light with its value as a number. Green
// (and the word GO) while the value is above zero, so the next wait
// passes; red (STOP) at zero, so the next wait blocks. The processes the
// events show blocked on it queue beside the light, one under the other
// and first in line on top, so a long queue stays between the process
// boxes; the kernel's own count of waiters is printed under it, and on
// its other side how many processes are inside.

import { s, set, num, fitText } from '../dom.js';
import { FULL } from '../procs.js';
import { columns, edge, objsOf, ghost, pool, shortLabel, blockedOf } from './common.js';

const LW = 110;
const LH = 190;
// The queue beside a light: its font (as .sem-queue in app.css), the
// height of a line, and how far it stays from the light and from the
// process boxes (a full box in its column, its halo and a gap).
const QUEUE_FONT = ['700 17px system-ui, "DejaVu Sans", "Liberation Sans", sans-serif', 17];
const QUEUE_LINE = 21;
const QUEUE_GAP = 14;
const BOXES_END = 12 + FULL.w + 13 + 8;

export default {
  // The kernel panel's section. A System V set has no value of its own:
  // each of its semaphores has a row.
  kernel: [{ kinds: ['sem', 'futex'], cmd: '$ ipcs -s   # semaphores', cols: ['object', 'value', 'waiters', 'blocked'],
    row: (o) => [o.label, o.value ?? '-', o.waiters ?? '-', blockedOf(o)] }],

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
    // A scenario that counts who is inside (in shared memory) gets the
    // count beside its first light.
    const counts = !model.ended && objsOf(model, ['shm']).some((o) => o.value !== null && !o.gone);
    list.forEach((o, i) => {
      let l = st.lights.get(o.label);
      if (!l) { l = light(); st.lights.set(o.label, l); st.root.append(l.g); }
      set(l.g, { transform: `translate(${lightX(i, list.length)},${ctx.H / 2 + 10})` });
      drawLight(l, o, queueRoom(i, list.length));
      set(l.inside, { text: counts && i === 0 ? `inside now: ${num(inside(model, o))}` : '' });
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

// queueRoom is how wide the queue left of light i may be: up to the
// process boxes for the first light, up to the light before for the rest.
function queueRoom(i, n) {
  const right = lightX(i, n) - LW / 2 - QUEUE_GAP;
  const left = i === 0 ? BOXES_END : lightX(i - 1, n) + LW / 2 + QUEUE_GAP;
  return Math.max(0, right - left);
}

// inside counts the processes the events show past P and not yet through
// V on the semaphore: those holding one of its permits. The workers' own
// count in shared memory drops just before each V (and, in slow pace, a
// pause before it), so its samples would run ahead of the lights and the
// boxes; this count moves with them.
function inside(model, o) {
  let n = 0;
  for (const p of model.procs.values()) n += p.holds.get(o.label) || 0;
  return n;
}

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
    queue: s('g', { class: 'sem-queue' }),
    inside: s('text', { class: 'sem-inside', x: LW / 2 + 14, y: 6 }),
  };
  l.lines = pool(l.queue, () => s('text', { x: -LW / 2 - QUEUE_GAP, 'text-anchor': 'end' }));
  g.append(s('rect', { class: 'housing', x: -LW / 2, y: -LH / 2, width: LW, height: LH, rx: 22 }),
    l.red, l.green, l.stop, l.go, l.label, l.value, l.waiters, l.queue, l.inside);
  return l;
}

// drawLight shows a semaphore's value and who waits on it; room is how
// wide the queue beside it may be.
export function drawLight(l, o, room) {
  const v = o.value;
  const known = v !== null && v !== undefined;
  set(l.g, { 'data-obj': o.label, 'data-value': known ? v : null, 'data-go': known ? String(v > 0) : null, 'data-gone': o.gone ? 'true' : null });
  set(l.label, { text: shortLabel(o.label, 24), 'data-real': o.label });
  set(l.value, { text: known ? `value ${num(v)}` : 'value ?' });
  // The kernel's count (GETNCNT) comes with the server's readings, ten a
  // second, and may lag the queue the events draw: it says when it was read.
  set(l.waiters, { text: o.waiters !== null ? `kernel: ${num(o.waiters)} waiting, read at #${num(o.waitersAt || 0)}` : '' });
  drawQueue(l, [...o.blocked], room);
}

// drawQueue lists the processes blocked on a light beside it, numbered in
// the order they blocked, from the top of the light down; those that do
// not fit are counted on the last line.
function drawQueue(l, q, room) {
  const most = Math.floor(LH / QUEUE_LINE) - 1;
  const lines = q.length ? ['queue:', ...q.map((name, k) => `${k + 1}. ${name}`)] : [];
  if (lines.length > most) lines.splice(most - 1, lines.length, `+${q.length - most + 2} more`);
  const els = l.lines(lines.length);
  lines.forEach((text, k) => {
    const fit = fitText(text, QUEUE_FONT[0], room, QUEUE_FONT[1]);
    set(els[k], { y: -LH / 2 + QUEUE_FONT[1] + k * QUEUE_LINE, text: fit.text, style: fit.size !== QUEUE_FONT[1] ? `font-size:${fit.size}px` : null });
  });
}

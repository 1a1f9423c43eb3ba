// Process boxes: a process's name, real pid and state, drawn so that the
// state reads from across a room by shape and word, not by colour alone.
// A box comes in two sizes: full, and compact for crowded columns. Text is
// fitted to the box by measuring it, so a long name or state never runs
// over the edge.

import { s, set, num, fitText } from './dom.js';

// The two box sizes; FULL is the default. A compact box is as short as its
// lines allow, since a crowded column shrinks its boxes to fit: the shorter
// the box, the less it shrinks and the larger its type stays.
export const FULL = { w: 260, h: 150, compact: false };
export const COMPACT = { w: 240, h: 92, compact: true };
export const BOX_W = FULL.w;
export const BOX_H = FULL.h;

// Each process gets a colour and a shape; tokens and shared-memory cells
// carry both, so a reader who cannot tell the colours apart still can.
// There are eight shapes and six colours, so the eight workers of the
// largest race all differ in shape, and no two of the first 24 processes
// share both.
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'hexagon', 'star', 'cross', 'hourglass'];
// The colour goes in a style attribute wherever it is used: a CSS
// variable in a presentation attribute is not understood by every browser.
export const procColor = (i) => `var(--p${i % 6})`;
export const procShape = (i) => SHAPES[i % SHAPES.length];

// shapePath draws a process's shape of radius r around 0,0.
export function shapePath(shape, r) {
  const poly = (n, rot, rr = r) => {
    const pts = [];
    for (let k = 0; k < n; k++) {
      const a = rot + (k * 2 * Math.PI) / n;
      pts.push(`${(rr * Math.cos(a)).toFixed(1)},${(rr * Math.sin(a)).toFixed(1)}`);
    }
    return `M${pts.join('L')}Z`;
  };
  switch (shape) {
    case 'square': return `M${-r * 0.85},${-r * 0.85}h${r * 1.7}v${r * 1.7}h${-r * 1.7}Z`;
    case 'triangle': return poly(3, -Math.PI / 2, r * 1.1);
    case 'diamond': return poly(4, 0, r * 1.1);
    case 'hexagon': return poly(6, 0);
    case 'star': {
      const pts = [];
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const rr = k % 2 ? r * 0.5 : r * 1.1;
        pts.push(`${(rr * Math.cos(a)).toFixed(1)},${(rr * Math.sin(a)).toFixed(1)}`);
      }
      return `M${pts.join('L')}Z`;
    }
    case 'cross': {
      const a = r * 0.38;
      const b = r * 1.05;
      const c = b - a;
      return `M${-a},${-b}h${2 * a}v${c}h${c}v${2 * a}h${-c}v${c}h${-2 * a}v${-c}h${-c}v${-2 * a}h${c}Z`;
    }
    case 'hourglass': return `M${-r},${-r}L${r},${-r}L${-r},${r}L${r},${r}Z`;
    default: return `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
  }
}

// Icons per state, drawn in a 32-unit square centred on 0,0: a triangle
// (running), a stop sign (blocked), a clock (waiting for a child to end),
// a pause sign (waiting for a step), a crescent moon (sleeping for the
// pace), a tick (exited) and a cross (failed).
const ICONS = {
  starting: 'M-12,0a12,12 0 1,0 24,0a12,12 0 1,0 -24,0Z',
  running: 'M-9,-13L14,0L-9,13Z',
  blocked: 'M-6,-15h12l9,9v12l-9,9h-12l-9,-9v-12Z',
  waiting: 'M-14,0a14,14 0 1,0 28,0a14,14 0 1,0 -28,0Z M0,-9V0h8',
  ready: 'M-11,-13h8v26h-8Z M3,-13h8v26h-8Z',
  sleeping: 'M2,-14A14,14 0 1,0 14,3A10,10 0 1,1 2,-14Z',
  exited: 'M-13,1l8,9l18,-20',
  failed: 'M-12,-12L12,12M12,-12L-12,12',
};

const WORDS = { starting: 'starting', running: 'running', blocked: 'BLOCKED', waiting: 'WAITING',
  ready: 'waits for step', sleeping: 'SLEEPING', exited: 'exited' };

// A face is one way of writing a box's lines: fonts and places, in stage
// units from the box's top left corner. A full box has one face. A compact
// box has two, and the stylesheet shows one of them: the normal face keeps
// a line of detail under the state (the call it is blocked in, and on
// what); the projector face leaves the detail out and gives its room to
// the name, the pid and the state, which must read from the back of a
// room. The state line's sizes are tried in turn, largest first, so that a
// long state ("exited, code 0") shrinks rather than being cut short.
const SANS = 'system-ui, "DejaVu Sans", "Liberation Sans", sans-serif';
const MONO = 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace';
const FACES = {
  full: [{
    cls: 'face',
    fonts: { name: [700, 24, SANS], pid: [400, 15, MONO], state: [800, [22], SANS], detail: [700, 15, MONO] },
    at: { ident: [30, 25, 9], name: [46, 34], pid: [22, 58], icon: [36, 88, 0.9], state: [60, 96], d1: [20, 121], d2: [20, 141], zz: [50, 74] },
  }],
  compact: [{
    cls: 'face face-normal',
    fonts: { name: [700, 22, SANS], pid: [400, 14, MONO], state: [800, [20, 17], SANS], detail: [700, 13, MONO] },
    at: { ident: [24, 20, 8], name: [38, 27], pid: [18, 45], icon: [29, 63, 0.6], state: [46, 69], d1: [18, 85], zz: [200, 45] },
  }, {
    cls: 'face face-projector',
    fonts: { name: [700, 28, SANS], pid: [700, 18, MONO], state: [800, [26, 22, 19], SANS] },
    at: { ident: [26, 22, 10], name: [44, 32], pid: [20, 55], icon: [32, 74, 0.8], state: [54, 83], zz: [196, 55] },
  }],
};
const BADGE = { full: [700, 15, SANS], compact: [700, 14, SANS] };

// create makes the elements of one process box, full or compact.
export function create(p, size = FULL) {
  const { w, h } = size;
  const kind = size.compact ? 'compact' : 'full';
  const top = -h / 2;
  const left = -w / 2;
  const g = s('g', { class: `proc proc-${kind}`, 'data-proc': p.name, tabindex: -1 });
  const badge = s('g', { class: 'pbadge', transform: `translate(${w / 2 - 6},${top - 4})`, visibility: 'hidden' });
  const badgeRect = s('rect', { y: -20, height: 30, rx: 15 });
  const badgeText = s('text', { y: 1, 'text-anchor': 'middle', ...font(BADGE[kind]) });
  badge.append(badgeRect, badgeText);
  const faces = FACES[kind].map((f) => face(p, f, w, top, left));
  g.append(
    s('rect', { class: 'halo', x: left - 10, y: top - 10, width: w + 20, height: h + 20, rx: 18 }),
    s('rect', { class: 'box', x: left, y: top, width: w, height: h, rx: 12 }),
    s('rect', { class: 'band', x: left, y: top, width: 12, height: h, rx: 6, style: `fill:${procColor(p.index)}` }),
    ...faces.map((f) => f.g), badge,
  );
  g.faces = faces;
  g.badge = { g: badge, rect: badgeRect, text: badgeText, font: BADGE[kind] };
  g.size = size;
  return g;
}

const font = (f) => ({ 'font-weight': f[0], 'font-size': Array.isArray(f[1]) ? f[1][0] : f[1] });

// face makes the lines of one face of a box, and says how much room each
// line has.
function face(p, { cls, fonts: F, at: A }, w, top, left) {
  const text = (c, k, f) => (A[k] ? s('text', { class: c, x: left + A[k][0], y: top + A[k][1], ...font(f) }) : null);
  const el = {
    ident: s('path', { class: 'ident', d: shapePath(procShape(p.index), A.ident[2]), transform: `translate(${left + A.ident[0]},${top + A.ident[1]})`, style: `fill:${procColor(p.index)}` }),
    name: text('name', 'name', F.name),
    pid: text('pid', 'pid', F.pid),
    icon: s('path', { class: 'icon', transform: `translate(${left + A.icon[0]},${top + A.icon[1]}) scale(${A.icon[2]})` }),
    zz: s('text', { class: 'zz', x: left + A.zz[0], y: top + A.zz[1] }, 'z z'),
    state: text('state', 'state', F.state),
    d1: F.detail ? text('detail', 'd1', F.detail) : null,
    d2: F.detail ? text('detail detail2', 'd2', F.detail) : null,
  };
  const g = s('g', { class: cls }, ...Object.values(el).filter(Boolean));
  const room = (k) => w - A[k][0] - 10;
  return { g, el, fonts: F, room: { name: room('name'), pid: room('pid'), state: room('state'), detail: A.d1 ? room('d1') : 0 } };
}

// update redraws one box from the model's view of its process.
export function update(g, p, lastSeq) {
  const failed = p.state === 'exited' && (p.sig || (p.code !== null && p.code !== 0));
  const state = p.state;
  set(g, { 'data-state': state, 'data-failed': failed ? 'true' : null, 'aria-label': `${p.name}: ${describe(p)}` });
  const pid = p.pid ? `pid ${p.pid}` : 'no pid yet';
  const word = stateWord(p, failed);
  const [d1, d2] = detail(p);
  for (const { el, fonts: F, room } of g.faces) {
    line(el.name, p.name, F.name, room.name);
    line(el.pid, pid, F.pid, room.pid);
    set(el.icon, { d: ICONS[failed ? 'failed' : state] || ICONS.running });
    line(el.state, word, F.state, room.state);
    if (el.d2) {
      line(el.d1, d1, F.detail, room.detail);
      line(el.d2, d2, F.detail, room.detail);
    } else if (el.d1) {
      line(el.d1, [d1, d2].filter(Boolean).join(' '), F.detail, room.detail);
    }
  }
  const b = g.badge;
  const badge = badgeOf(p, lastSeq);
  set(b.g, { 'data-kind': badge ? badge.kind : null, visibility: badge ? 'visible' : 'hidden' });
  if (badge) {
    const t = fitText(badge.text, fontOf(b.font, b.font[1]), 220);
    const bw = t.width + 26;
    set(b.rect, { x: -bw, width: bw });
    set(b.text, { x: -bw / 2, text: t.text });
  }
}

const fontOf = (f, size) => `${f[0]} ${size}px ${f[2]}`;

// line sets one line of text, shrunk (to 80%) or cut short to fit room.
// A line with several sizes takes the first at which the text fits whole.
function line(el, text, f, room) {
  const sizes = Array.isArray(f[1]) ? f[1] : [f[1]];
  let t = null;
  for (const size of sizes) {
    t = fitText(text, fontOf(f, size), room, size);
    if (t.text === text) break;
  }
  set(el, { text: t.text, 'font-size': t.size });
}

function stateWord(p, failed) {
  if (p.state !== 'exited') return WORDS[p.state] || p.state;
  if (p.sig) return `killed: ${p.sig}`;
  return failed ? `exited, code ${p.code}` : `exited, code ${p.code ?? '?'}`;
}

// detail is two lines under the state: the call a process is blocked in,
// waits to make, or sleeps before, and on which object; or the child it
// waits for, which is no call of its own.
function detail(p) {
  switch (p.state) {
    case 'blocked': return [`in ${p.call}()`, p.obj ? `on ${p.obj}` : ''];
    case 'waiting': return p.waitMore > 0 ? ['for its children,', `now ${p.waitsFor}`] : [`for ${p.waitsFor}`, 'to end'];
    case 'ready': return [`next: ${p.call}()`, p.obj ? `on ${p.obj}` : ''];
    case 'sleeping': return [p.call ? `pace, then ${p.call}()` : 'for the pace', p.obj ? `on ${p.obj}` : ''];
    case 'starting': return ['not started yet', ''];
  }
  if (p.error) return [`${p.error.call}() failed:`, p.error.errno || 'error'];
  if (p.state === 'exited' && p.byServer) return ['by the server', 'to end the session'];
  return ['', ''];
}

export function describe(p) {
  if (p.state === 'waiting') return `waiting ${detail(p).join(' ')}`;
  const d = detail(p).filter(Boolean).join(' ');
  return `${stateWord(p, p.sig || (p.code !== null && p.code !== 0))}${d ? ', ' + d : ''}`;
}

// badgeOf shows a signal's bell or its handler while they are recent.
function badgeOf(p, lastSeq) {
  const recent = (x) => x && lastSeq - x.seq < 12;
  if (recent(p.handler) && (!p.bell || p.handler.seq >= p.bell.seq)) return { kind: 'handler', text: `handler: ${p.handler.name}` };
  if (recent(p.bell)) return { kind: 'bell', text: `${p.bell.name}!` };
  if (p.error && lastSeq - p.error.seq < 30) return { kind: 'error', text: p.error.errno || 'error' };
  // What a worker holds of the counter, while it is news: without an
  // event for every load and store, its one report would stay forever.
  if (p.reg && p.state !== 'exited' && lastSeq - p.reg.seq < 40) return regBadge(p.reg);
  return null;
}

// regBadge shows what a process holds of a shared variable: the value it
// loaded, and the one it stored; a store over another process's newer
// value (a lost update) is marked.
function regBadge(r) {
  if (r.atomic) return { kind: 'reg', text: `added: now ${num(r.stored)}` };
  if (r.stored === null) return { kind: 'reg', text: `loaded ${num(r.loaded)}` };
  const from = r.loaded !== null ? `loaded ${num(r.loaded)} → ` : '';
  const lost = r.over === null ? 0 : r.over - (r.loaded ?? r.stored - 1);
  if (lost > 0) return { kind: 'lost', text: `stored ${num(r.stored)} over ${num(r.over)}: ${num(lost)} lost` };
  return { kind: 'reg', text: `${from}stored ${num(r.stored)}` };
}

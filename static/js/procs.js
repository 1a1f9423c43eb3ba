// Process boxes: a process's name, real pid and state, drawn so that the
// state reads from across a room by shape and word, not by colour alone.

import { s, set } from './dom.js';

export const BOX_W = 240;
export const BOX_H = 160;

// Each process gets a colour and a shape; tokens and shared-memory cells
// carry both, so a reader who cannot tell the colours apart still can.
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'hexagon', 'star'];
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
    default: return `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
  }
}

// Icons per state, drawn in a 32-unit square centred on 0,0.
const ICONS = {
  starting: 'M-12,0a12,12 0 1,0 24,0a12,12 0 1,0 -24,0Z',
  running: 'M-9,-13L14,0L-9,13Z',
  blocked: 'M-6,-15h12l9,9v12l-9,9h-12l-9,-9v-12Z',
  ready: 'M-11,-13h8v26h-8Z M3,-13h8v26h-8Z',
  sleeping: 'M-12,-12h24l-24,24h24',
  exited: 'M-13,1l8,9l18,-20',
  failed: 'M-12,-12L12,12M12,-12L-12,12',
};

const WORDS = { starting: 'starting', running: 'running', blocked: 'BLOCKED', ready: 'waiting for step',
  sleeping: 'sleeping (pace)', exited: 'exited' };

// create makes the elements of one process box.
export function create(p) {
  const w = BOX_W;
  const top = -BOX_H / 2;
  const left = -w / 2;
  const g = s('g', { class: 'proc', 'data-proc': p.name, tabindex: -1 });
  g.append(
    s('rect', { class: 'halo', x: left - 10, y: top - 10, width: w + 20, height: BOX_H + 20, rx: 18 }),
    s('rect', { class: 'box', x: left, y: top, width: w, height: BOX_H, rx: 12 }),
    s('rect', { class: 'band', x: left, y: top, width: 12, height: BOX_H, rx: 6, fill: procColor(p.index) }),
    s('path', { class: 'ident', d: shapePath(procShape(p.index), 9), transform: `translate(${left + 32},${top + 27})`, fill: procColor(p.index) }),
    s('text', { class: 'name', x: left + 48, y: top + 35 }),
    s('text', { class: 'pid', x: left + 24, y: top + 60 }),
    s('path', { class: 'icon', transform: `translate(${left + 38},${top + 88}) scale(0.9)` }),
    s('text', { class: 'state', x: left + 60, y: top + 96 }),
    s('text', { class: 'detail', x: left + 22, y: top + 124 }),
    s('text', { class: 'detail detail2', x: left + 22, y: top + 146 }),
    s('g', { class: 'badge', transform: `translate(${w / 2 - 6},${top - 4})` },
      s('rect', { x: -120, y: -20, width: 126, height: 30, rx: 15 }),
      s('text', { x: -57, y: 1, 'text-anchor': 'middle' })),
  );
  return g;
}

// update redraws one box from the model's view of its process.
export function update(g, p, lastSeq) {
  const failed = p.state === 'exited' && (p.sig || (p.code !== null && p.code !== 0));
  const state = p.state;
  set(g, { 'data-state': state, 'data-failed': failed ? 'true' : null, 'aria-label': `${p.name}: ${describe(p)}` });
  set(g.querySelector('.name'), { text: fit(p.name, 13) });
  set(g.querySelector('.pid'), { text: p.pid ? `pid ${p.pid}` : 'no pid yet' });
  set(g.querySelector('.icon'), { d: ICONS[failed ? 'failed' : state] || ICONS.running });
  set(g.querySelector('.state'), { text: stateWord(p, failed) });
  const [d1, d2] = detail(p);
  const lines = g.querySelectorAll('.detail');
  set(lines[0], { text: fit(d1, 23) });
  set(lines[1], { text: fit(d2, 23) });
  const badge = badgeOf(p, lastSeq);
  set(g.querySelector('.badge'), { 'data-kind': badge ? badge.kind : null, visibility: badge ? 'visible' : 'hidden' });
  set(g.querySelector('.badge text'), { text: badge ? badge.text : '' });
}

// fit shortens a line that would overflow its box.
const fit = (t, n) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

function stateWord(p, failed) {
  if (p.state !== 'exited') return WORDS[p.state] || p.state;
  if (p.sig) return `killed: ${p.sig}`;
  return failed ? `exited, code ${p.code}` : `exited, code ${p.code ?? '?'}`;
}

// detail is two lines under the state: the call a process is blocked in
// or waits to make, and on which object.
function detail(p) {
  switch (p.state) {
    case 'blocked': return [`in ${p.call}()`, p.obj ? `on ${p.obj}` : ''];
    case 'ready': return [`next: ${p.call}()`, p.obj ? `on ${p.obj}` : ''];
    case 'sleeping': return [p.call ? `before ${p.call}()` : '', ''];
    case 'starting': return ['not started yet', ''];
  }
  if (p.error) return [`${p.error.call}() failed:`, p.error.errno || 'error'];
  return ['', ''];
}

export function describe(p) {
  const d = detail(p).filter(Boolean).join(' ');
  return `${stateWord(p, p.sig || (p.code !== null && p.code !== 0))}${d ? ', ' + d : ''}`;
}

// badgeOf shows a signal's bell or its handler while they are recent.
function badgeOf(p, lastSeq) {
  const recent = (x) => x && lastSeq - x.seq < 12;
  if (recent(p.handler) && (!p.bell || p.handler.seq >= p.bell.seq)) return { kind: 'handler', text: `handler: ${p.handler.name}` };
  if (recent(p.bell)) return { kind: 'bell', text: `${p.bell.name}!` };
  if (p.error && lastSeq - p.error.seq < 30) return { kind: 'error', text: p.error.errno || 'error' };
  return null;
}

// Shared pieces of the mechanism drawings: where processes stand, how an
// object is found in the model, and a few SVG shapes.

import { s } from '../dom.js';
import { BOX_W, BOX_H } from '../procs.js';

// Words in a role or name that say which side of the object a process
// stands on: writers on the left, readers on the right.
const LEFT = /child|writer|producer|sender|client|send|write|signaller/;
const RIGHT = /parent|reader|consumer|receiver|server|recv|read|target/;

export const sideOf = (p) => {
  if (LEFT.test(p.role) || (!RIGHT.test(p.role) && LEFT.test(p.name))) return 'left';
  if (RIGHT.test(`${p.role} ${p.name}`)) return 'right';
  return p.index % 2 ? 'right' : 'left';
};

// columns puts processes in a left and a right column, spread out
// vertically and scaled down when a column is crowded.
export function columns(procs, { W, H }, side = sideOf, inset = 140) {
  const cols = { left: [], right: [] };
  for (const p of procs) cols[side(p)].push(p);
  const pos = new Map();
  for (const [name, list] of Object.entries(cols)) {
    const n = list.length;
    const scale = Math.min(1, (H - 30) / (n * (BOX_H + 18)));
    const x = name === 'left' ? inset : W - inset;
    list.forEach((p, i) => pos.set(p.name, { x, y: (H * (i + 0.5)) / n + 10, scale, side: name }));
  }
  return pos;
}

// edge is the point of a process box facing x, for links and tokens.
export function edge(at, towardX) {
  if (!at) return { x: 0, y: 0 };
  const half = (BOX_W / 2) * (at.scale || 1);
  return { x: at.x + (towardX > at.x ? half : -half), y: at.y };
}

// objsOf lists the model's live objects of the given families, in the
// order they appeared.
export function objsOf(model, kinds) {
  const list = [...model.objs.values()].filter((o) => kinds.includes(o.kind));
  // A semaphore set ("sem:KEY") is drawn as its members ("sem:KEY#0", ...)
  // once events name them.
  return list.filter((o) => o.label.includes('#') || !list.some((m) => m.label.startsWith(`${o.label}#`)));
}

// ghost shows, in st.ghost under root, the dashed outline of an object
// that does not exist yet; show=false removes it. It is redrawn when the
// stage changes height.
export function ghost(st, root, show, [x, y, w, h], text) {
  const key = `${x},${y},${w},${h},${text}`;
  if (st.ghost && (!show || st.ghost.dataset.key !== key)) { st.ghost.remove(); st.ghost = null; }
  if (!show || st.ghost) return;
  st.ghost = s('g', { class: 'ghost', 'data-key': key },
    s('rect', { x, y, width: w, height: h, rx: 14 }),
    s('text', { x: x + w / 2, y: y + h / 2 + 6, 'text-anchor': 'middle' }, text));
  root.append(st.ghost);
}

// pool keeps a list of similar elements, making and hiding them as the
// count changes, so a redraw never rebuilds the DOM.
export function pool(parent, make) {
  const els = [];
  return (n) => {
    while (els.length < n) { const el = make(); parent.append(el); els.push(el); }
    els.forEach((el, i) => el.setAttribute('visibility', i < n ? 'visible' : 'hidden'));
    return els;
  };
}

// procName describes a process for labels: its name and pid.
export const procLabel = (model, name) => {
  const p = model.procs.get(name);
  return p && p.pid ? `${name} (${p.pid})` : name;
};

// Shared pieces of the mechanism drawings: where processes stand, how an
// object is found in the model, and a few SVG shapes.

import { s } from '../dom.js';
import { FULL, COMPACT } from '../procs.js';
import { simpleName } from '../names.js';

// Words in a role or name that say which side of the object a process
// stands on: writers on the left, readers on the right.
const LEFT = /child|writer|producer|sender|client|send|write|signaller/;
const RIGHT = /parent|reader|consumer|receiver|server|recv|read|target/;

export const sideOf = (p) => {
  if (LEFT.test(p.role) || (!RIGHT.test(p.role) && LEFT.test(p.name))) return 'left';
  if (RIGHT.test(`${p.role} ${p.name}`)) return 'right';
  return p.index % 2 ? 'right' : 'left';
};

// stack places n boxes in a column at x, centred in the height H: full
// boxes when they fit, compact ones when the column is crowded, and
// compact ones scaled down only past that.
export function stack(list, x, H, pos, extra = {}, top = 0) {
  const n = list.length;
  if (!n) return;
  const room = H - top - 16;
  const { size, scale } = fit(n, room);
  list.forEach((p, i) => pos.set(p.name, { x, y: top + 8 + (room * (i + 0.5)) / n, scale, size, ...extra }));
}

// fit is the box size and scale n boxes take in a column of height room.
function fit(n, room) {
  const size = n * (FULL.h + 18) <= room ? FULL : COMPACT;
  return { size, scale: Math.min(1, room / (n * (size.h + 14))) };
}

// area is how big a box of a fit is drawn, to compare two fits.
const area = ({ size, scale }) => size.w * size.h * scale * scale;

// isAside says whether a process only starts the others and waits for
// them (a scenario's "parent" among workers): it stands aside, small.
export const isAside = (p, procs) => /-parent$/.test(p.role) && procs.length > 2 && procs.some((q) => q.startedBy === p.name);

// columns puts processes in a left and a right column; with aside set, a
// process that only starts the others gets a compact box in the top left
// corner, and the left column starts under it.
export function columns(procs, { W, H }, { side = sideOf, inset = FULL.w / 2 + 12, aside = false } = {}) {
  const cols = { left: [], right: [] };
  const pos = new Map();
  let top = 0;
  for (const p of procs) {
    if (aside && isAside(p, procs)) {
      pos.set(p.name, { x: COMPACT.w / 2 + 6, y: top + COMPACT.h / 2 + 6, size: COMPACT, side: 'left', aside: true });
      top += COMPACT.h + 12;
    } else {
      cols[side(p)].push(p);
    }
  }
  // Workers alike split evenly between the two sides.
  const balanced = aside && top > 0;
  if (balanced) {
    const rest = [...cols.left, ...cols.right].sort((a, b) => a.index - b.index);
    // The left column has the corner box above it, so it takes as many
    // workers as keeps the smaller of the two columns' boxes largest:
    // half of them when there is room, fewer when there is not.
    let k = Math.floor(rest.length / 2);
    const smaller = (j) => Math.min(area(fit(j, H - top - 16)), area(fit(rest.length - j, H - 16)));
    for (let j = k - 1; j >= 1 && smaller(j) > smaller(k); j--) k = j;
    cols.left = rest.filter((p, i) => i % 2 === 1 && (i - 1) / 2 < k);
    cols.right = rest.filter((p) => !cols.left.includes(p));
  }
  stack(cols.left, inset, H, pos, { side: 'left' }, top);
  stack(cols.right, W - inset, H, pos, { side: 'right' });
  return pos;
}

// halfSize is half the width and height of the box at a position.
export function halfSize(at) {
  const size = (at && at.size) || FULL;
  const k = (at && at.scale) || 1;
  return { w: (size.w / 2) * k, h: (size.h / 2) * k };
}

// edge is the point of a process box facing x, for links and tokens.
export function edge(at, towardX) {
  if (!at) return { x: 0, y: 0 };
  const half = halfSize(at).w;
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
// count changes, so a redraw never rebuilds the DOM. With grow set it makes
// at most that many new ones per call, so no single frame builds a large
// piece of the DOM at once: the caller shows what it got and asks again
// on the next frame.
export function pool(parent, make, grow = Infinity) {
  const els = [];
  return (n) => {
    const most = els.length + grow;
    while (els.length < n && els.length < most) { const el = make(); parent.append(el); els.push(el); }
    els.forEach((el, i) => el.setAttribute('visibility', i < n ? 'visible' : 'hidden'));
    return els;
  };
}

// procName describes a process for labels: its name and pid.
export const procLabel = (model, name) => {
  const p = model.procs.get(name);
  return p && p.pid ? `${name} (${p.pid})` : name;
};

// names.real says whether the stage shows the kernel's real names of
// objects instead of the simple ones; a click on a name turns it over.
export const names = { real: false };

// shortLabel keeps an object label readable on the stage: its simple name
// (the real one once asked for), and a long one cut in the middle
// ("shm:/ipcpg.1013…2cc5.counter"). The kernel panel lists the whole name.
export function shortLabel(label, max = 30) {
  if (!names.real) label = simpleName(label);
  if (!label || label.length <= max) return label;
  const keep = max - 1;
  const head = Math.ceil(keep * 0.45);
  return `${label.slice(0, head)}…${label.slice(label.length - (keep - head))}`;
}

// holdersOf lists who holds an object's ends ("parent:read child:write"),
// as /proc/PID/fd would show them; blockedOf, who waits in a call on it.
export const holdersOf = (o) => [...o.ends].map(([n, ends]) => `${n}:${[...ends].join('+')}`).join(' ') || '-';
export const blockedOf = (o) => [...o.blocked].join(' ') || '-';

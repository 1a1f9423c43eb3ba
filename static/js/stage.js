// The stage: one SVG with the session's processes as boxes and its
// mechanism drawn between them by a per-mechanism module. The stage redraws
// from the model once per animation frame, and runs the travel animations
// (a message leaving one process and landing in the kernel object).

import { s, set } from './dom.js';
import * as boxes from './procs.js';
import { mechanism } from './mechanisms/index.js';
import { names } from './mechanisms/common.js';

// The stage is 1000 units wide; its height follows the space it has, so
// the drawing fills a wide projector screen and a tall laptop alike.
export const W = 1000;
// Each mechanism may say how tall its drawing must at least be (minH);
// below that the drawing shrinks instead.
const MIN_H = 280;
const MAX_H = 700;

export class Stage {
  constructor(root, { onProcClick }) {
    this.root = root;
    this.onProcClick = onProcClick;
    this.tokens = [];
    this.spare = [];
    this.dirty = true;
    this.mech = null;
    this.svg = null;
    this.H = 440;
    new ResizeObserver(() => this.resize()).observe(root);
    // An object's name on the stage is the simple one the code uses; the
    // pointer on it shows the kernel's real name, a click shows all real
    // names (and a second click the simple ones again).
    root.addEventListener('pointerover', (ev) => {
      const el = ev.target.closest && ev.target.closest('[data-real]');
      root.title = el ? `the kernel's name: ${el.dataset.real}` : '';
    });
    root.addEventListener('click', (ev) => {
      if (!(ev.target.closest && ev.target.closest('[data-real]'))) return;
      names.real = !names.real;
      this.dirty = true;
      if (this.onResize) this.onResize();
    });
  }

  // resize fits the drawing's height to the panel, then lays it out again.
  resize() {
    const r = this.root.getBoundingClientRect();
    if (!r.width || !r.height) return;
    this.box = { w: r.width, h: r.height };
    const h = this.fitH();
    if (Math.abs(h - this.H) < 8) return;
    this.H = h;
    if (!this.svg) return;
    this.svg.setAttribute('viewBox', `0 0 ${W} ${h}`);
    this.ctx.H = h;
    this.layout();
    this.dirty = true;
    if (this.onResize) this.onResize();
  }

  // fitH is the drawing's height for the panel's shape.
  fitH() {
    const least = (this.mech && this.mech.minH) || 300;
    if (!this.box) return Math.max(least, this.H);
    return Math.round(Math.min(MAX_H, Math.max(MIN_H, least, (W * this.box.h) / this.box.w)));
  }

  // begin draws an empty stage for a session of the given mechanism.
  begin(mechName, model) {
    this.model = model;
    this.mech = mechanism(mechName);
    // The page's styles may fit the room around a drawing to it.
    this.root.dataset.mech = mechName;
    this.H = this.fitH();
    const H = this.H;
    this.svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'stage-svg', role: 'img', 'aria-label': `${mechName} stage` });
    this.svg.append(defs());
    this.layers = {};
    for (const name of ['links', 'objs', 'procs', 'tokens', 'over']) {
      this.layers[name] = s('g', { class: `layer-${name}` });
      this.svg.append(this.layers[name]);
    }
    this.root.replaceChildren(this.svg);
    this.boxes = new Map();
    this.pos = new Map();
    this.tokens = [];
    this.spare = [];
    this.ctx = { model, pos: (n) => this.pos.get(n), layers: this.layers, W, H };
    this.mstate = this.mech.init(this.layers, this.ctx);
    this.dirty = true;
  }

  // layout places the process boxes; it runs again when a process appears.
  layout() {
    const procs = [...this.model.procs.values()];
    this.pos = this.mech.layout(procs, this.model, { W, H: this.H });
    for (const p of procs) {
      const at = this.pos.get(p.name) || { x: W / 2, y: this.H / 2 };
      const size = at.size || boxes.FULL;
      let g = this.boxes.get(p.name);
      if (g && g.size !== size) { g.remove(); g = null; }
      if (!g) {
        g = boxes.create(p, size);
        g.addEventListener('click', () => this.onProcClick(p.name));
        this.layers.procs.append(g);
        this.boxes.set(p.name, g);
        this.dirty = true;
        this.grew = true;
      }
      set(g, { transform: `translate(${at.x},${at.y})${at.scale && at.scale < 1 ? ` scale(${at.scale.toFixed(3)})` : ''}` });
    }
  }

  // animate starts the travel of one event's message, if the mechanism
  // draws one, and says when the event should apply: 'after' the token
  // lands, or at once.
  animate(e, ms) {
    if (!this.mech || !this.mech.travel) return null;
    if (this.boxes.size !== this.model.procs.size) this.layout();
    const tr = this.mech.travel(e, this.model, this.ctx);
    if (!tr) return null;
    const p = this.model.procs.get(e.proc);
    const idx = p ? p.index : 0;
    // Tokens that landed are kept hidden and used again: a busy stage
    // makes no new elements per message.
    let el = this.spare.pop();
    if (!el) {
      el = s('g', {}, s('path'), s('text', { y: 5, 'text-anchor': 'middle' }));
      this.layers.tokens.append(el);
    }
    set(el, { class: `token token-${e.kind}`, visibility: 'visible', transform: `translate(${tr.from.x.toFixed(1)},${tr.from.y.toFixed(1)})` });
    set(el.firstChild, { d: boxes.shapePath(boxes.procShape(idx), 15), style: `fill:${boxes.procColor(idx)}` });
    set(el.lastChild, { text: tr.label ?? (e.msg ? String(e.msg) : '') });
    this.tokens.push({ el, from: tr.from, to: tr.to, t0: performance.now(), ms: ms * (tr.when === 'after' ? 0.8 : 1), lost: tr.lost });
    if (this.tokens.length > 24) this.retire(this.tokens.shift());
    return tr.when || null;
  }

  // retire hides a token that landed and keeps it for the next message.
  retire(tk) {
    tk.el.setAttribute('visibility', 'hidden');
    this.spare.push(tk.el);
  }

  // frame draws the model if it changed, moves the tokens, and reports
  // whether anything still moves.
  frame(now) {
    if (!this.mech) return false;
    if (this.dirty) {
      let grew = false;
      if (this.boxes.size !== this.model.procs.size) {
        const had = this.boxes.size;
        this.layout();
        grew = this.boxes.size > had;
      }
      const seq = this.model.seq;
      for (const [name, g] of this.boxes) boxes.update(g, this.model.procs.get(name), seq);
      // A frame that made process boxes has done enough (the browser
      // still has to lay them out): the mechanism is drawn on the next,
      // unless the session is over and everything is due at once. A
      // mechanism that builds its drawing over several frames says so,
      // and is drawn again on the next.
      if (grew && !this.model.ended) return true;
      this.dirty = this.mech.draw(this.mstate, this.model, this.ctx) === true;
    }
    this.tokens = this.tokens.filter((tk) => moveToken(tk, now) || (this.retire(tk), false));
    return this.tokens.length > 0 || this.dirty;
  }

  // dropTokens removes every token, when the page jumps ahead.
  dropTokens() {
    for (const tk of this.tokens) this.retire(tk);
    this.tokens = [];
  }
}

// moveToken places a token along its straight path; it is removed when it
// arrives. A lost datagram falls away instead of arriving.
function moveToken(tk, now) {
  const f = Math.min(1, (now - tk.t0) / tk.ms);
  const e = f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2;
  let x = tk.from.x + (tk.to.x - tk.from.x) * e;
  let y = tk.from.y + (tk.to.y - tk.from.y) * e;
  if (tk.lost && f > 0.5) y += (f - 0.5) * 160;
  tk.el.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)})`);
  return f < 1;
}

// defs holds the patterns and markers every mechanism may use.
function defs() {
  return s('defs', {},
    s('pattern', { id: 'stripes', width: 16, height: 16, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      s('rect', { width: 16, height: 16, class: 'stripe-bg' }),
      s('rect', { width: 7, height: 16, class: 'stripe-fg' })),
    s('pattern', { id: 'hatch', width: 10, height: 10, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)' },
      s('rect', { width: 10, height: 10, class: 'hatch-bg' }),
      s('rect', { width: 3, height: 10, class: 'hatch-fg' })),
    marker('arrow', 'arrow-head'),
    marker('arrow-hot', 'arrow-head hot'),
    marker('arrow-soft', 'arrow-head soft'));
}

function marker(id, cls) {
  return s('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0L10,5L0,10Z', class: cls }));
}

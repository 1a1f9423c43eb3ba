// The code panel: a short program for the scenario, in C, Go or Python,
// with the line each process is at marked as events arrive. Lines carry a
// trailing marker comment ("//@ child write, write") naming the events
// they make; the marker is not shown.
//
// A snippet shows the session's own numbers: {{name:default}} is the
// session's parameter of that name. Lines between {{if name=a|b}} (or
// name!=a|b), {{else}} and {{end}}, each alone on its line, show only when
// the parameter has (or has not) one of those values, so the code follows
// a choice such as the race's lock. A snippet module may export defaults,
// the parameters' values before a session runs; "mechanism" is the
// mechanism the snippet is shown for.

import { h } from './dom.js';
import { snippetOf } from './mechanisms/index.js';

// Which snippet file each mechanism uses.
const NAMES = { c: 'C', go: 'Go', py: 'Python' };
// WHERE says how a marked process stands at its line: it made the call
// there (nothing to add), sleeps in it, or makes it next.
const WHERE = { blocked: ' blocked', next: ' next' };
const RANK = { blocked: 0, next: 1, done: 2 };
const MARK = /\s*(?:\/\/|#)@\s*(.*)$/;
const IF = /^\s*\{\{if (\w+)(!?=)([^}]*)\}\}\s*$/;
const ELSE = /^\s*\{\{else\}\}\s*$/;
const END = /^\s*\{\{end\}\}\s*$/;

// choose keeps the lines whose {{if}} blocks hold for the parameters p.
function choose(text, p) {
  const on = [];
  const out = [];
  for (const line of text.split('\n')) {
    const m = line.match(IF);
    if (m) {
      const hit = m[3].split('|').includes(String(p[m[1]]));
      on.push(m[2] === '=' ? hit : !hit);
    } else if (ELSE.test(line)) {
      if (on.length) on.push(!on.pop());
    } else if (END.test(line)) {
      on.pop();
    } else if (on.every(Boolean)) {
      out.push(line);
    }
  }
  return out.join('\n');
}

// fill puts the parameters' values in: {{name:default}} is p[name], or the
// default written there when the session has no such parameter.
function fill(text, p) {
  return text.replace(/\{\{(\w+):([^}]*)\}\}/g, (m, k, d) => (p[k] !== undefined ? String(p[k]) : d));
}

export class CodePanel {
  constructor(pre, tabs) {
    this.pre = pre;
    this.tabs = tabs;
    // where lists each marked process with its line, above the code: a
    // line's own marker is cut off where the line is wider than the panel.
    this.where = h('p', { id: 'code-where', class: 'code-where', hidden: true });
    pre.before(this.where);
    // The language last picked, kept even while a scenario without it
    // shows another.
    this.want = localStorage.getItem('ipcpg.lang') || 'c';
    this.lang = this.want;
    this.snip = null;
    this.tags = null;
    this.at = new Map();
    this.recent = [];
    this.dirty = false;
    // The panel may come back (side panels, projector mode) or change its
    // size: the marked lines are brought into view again.
    window.addEventListener('resize', () => {
      this.shown = '';
      this.dirty = true;
      if (this.onChange) this.onChange();
    });
  }

  // load fetches the snippet of a mechanism (one small module each); a
  // session's parameters may pick another (Unix sockets in datagram mode).
  async load(mech, params = {}) {
    this.snip = null;
    this.tags = null;
    this.pre.textContent = '';
    this.tabs.replaceChildren();
    this.where.replaceChildren();
    this.where.hidden = true;
    const file = snippetOf(mech, params);
    if (!file) return;
    try {
      const mod = await import(`./snippets/${file}.js`);
      const p = { ...(mod.defaults || {}), ...params, mechanism: mech };
      this.snip = Object.fromEntries(Object.entries(mod.default).map(([k, v]) => [k, fill(choose(v, p), p)]));
    } catch {
      this.pre.textContent = 'no code for this scenario yet';
      return;
    }
    // A language whose code is all in blocks of another choice has none.
    const langs = Object.keys(this.snip).filter((k) => NAMES[k] && this.snip[k].trim());
    this.tabs.replaceChildren(...langs.map((k) =>
      h('button', { type: 'button', role: 'tab', 'data-lang': k, onclick: () => this.pickLang(k) }, NAMES[k])));
    this.show(langs.includes(this.want) ? this.want : 'c');
  }

  pickLang(lang) {
    this.want = lang;
    localStorage.setItem('ipcpg.lang', lang);
    this.show(lang);
  }

  show(lang) {
    this.lang = lang;
    for (const b of this.tabs.children) b.setAttribute('aria-selected', String(b.dataset.lang === lang));
    this.lines = [];
    this.tags = new Map();
    const els = this.snip[lang].trim().split('\n').map((line, i) => {
      const m = line.match(MARK);
      const text = m ? line.slice(0, m.index) : line;
      if (m) for (const tag of m[1].split(',')) this.addTag(tag.trim(), i);
      // A tab is four columns: the browser's eight would push Go code
      // out of a narrow panel.
      const el = h('span', { class: 'line' }, text.replace(/\t/g, '    ') || ' ');
      this.lines.push(el);
      return el;
    });
    this.pre.replaceChildren(...els);
    this.at = new Map();
    this.shown = '';
    for (const e of this.recent) this.mark(e);
    this.dirty = true;
    if (this.onChange) this.onChange();
  }

  addTag(tag, i) {
    if (!this.tags.has(tag)) this.tags.set(tag, []);
    this.tags.get(tag).push(i);
  }

  reset() { this.at = new Map(); this.recent = []; this.shown = ''; this.dirty = true; }

  // see moves a process's marker to the line of the call it just made,
  // is blocked in, waits to make (step pace) or sleeps before (slow pace).
  // A line's tag names an event kind or a call, alone or after a process
  // name; "consumer" stands for consumer-1, consumer-2 and so on.
  see(e) {
    if (!e.proc) return;
    // The recent events are kept, so a snippet that loads late (or a
    // change of language) still marks where each process is.
    this.recent.push(e);
    if (this.recent.length > 64) this.recent.splice(0, 32);
    this.mark(e);
  }

  mark(e) {
    if (!this.tags) return;
    if (e.kind === 'exit') { this.at.delete(e.proc); this.dirty = true; return; }
    // A parent about to wait for its child makes no call of the snippet's:
    // its mark stays on the line it was at.
    if (e.kind === 'note' && e.attrs && e.attrs.waits_for) return;
    const base = e.proc.replace(/-\d+$/, '');
    const who = base === e.proc ? [e.proc] : [e.proc, base];
    // "#1" names the member of a semaphore set, for lines that differ by it.
    const member = ((e.obj || '').match(/#\d+$/) || [''])[0];
    const waiting = e.kind === 'block' || e.kind === 'ready' || e.kind === 'unblock' || e.kind === 'sleep';
    const named = (what) => [...(member ? who.map((w) => `${w} ${what} ${member}`) : []), ...who.map((w) => `${w} ${what}`)];
    // A process's start is marked only where a line names it: the
    // server's fork of it is in no snippet. "reader open mkfifo" names a
    // kind made by one call, where the kind alone ("reader open") is
    // another line.
    const keys = e.kind === 'spawn' ? named('spawn')
      : waiting ? [...named(e.call), e.call]
        : [...(e.call ? named(`${e.kind} ${e.call}`) : []), ...named(e.kind), ...named(e.call), e.kind, e.call];
    for (const k of keys) {
      const lines = k && this.tags.get(k);
      if (lines) {
        const how = e.kind === 'block' ? 'blocked' : e.kind === 'ready' || e.kind === 'sleep' ? 'next' : 'done';
        this.at.set(e.proc, { line: this.pick(lines, e.proc, waiting), how });
        this.dirty = true;
        return;
      }
    }
  }

  // pick chooses among the lines a tag names. A process stays on a line
  // it is at, as in a loop, unless it is to make the line's call again
  // (waiting) after having made it there: then, as for a process coming
  // from elsewhere, the tag's next line after it counts, coming round to
  // the top of the loop. So "semop" takes a permit on one line and gives
  // it back on the next.
  pick(lines, proc, waiting) {
    const cur = this.at.get(proc);
    if (lines.length === 1 || !cur) return lines[0];
    if (lines.includes(cur.line) && !(waiting && cur.how === 'done')) return cur.line;
    return lines.find((l) => l > cur.line) ?? lines[0];
  }

  // pending says whether render has something to show.
  pending() { return this.dirty && !!this.lines; }

  render() {
    if (!this.dirty || !this.lines) return;
    this.dirty = false;
    for (const el of this.lines) { el.removeAttribute('data-how'); el.removeAttribute('data-who'); }
    const chips = [];
    for (const [proc, { line, how }] of this.at) {
      const el = this.lines[line];
      if (!el) continue;
      el.dataset.how = how;
      el.dataset.who = el.dataset.who ? `${el.dataset.who}, ${proc}` : proc;
      chips.push(h('button', {
        type: 'button', 'data-how': how, 'data-line': line + 1,
        title: `Show line ${line + 1}`, onclick: () => this.reveal(line, line, line),
      }, `${proc}${WHERE[how] || ''} · line ${line + 1}`));
    }
    // One row: a blocked process first, then one waiting for its step.
    chips.sort((a, b) => RANK[a.dataset.how] - RANK[b.dataset.how]);
    this.where.replaceChildren(...chips);
    this.where.hidden = !chips.length;
    this.follow();
  }

  // follow scrolls the marked lines into view when they change. It
  // measures in a task after the frame is drawn: reading the layout in the
  // middle of a frame would make the browser lay out the page twice.
  follow() {
    let lo = -1;
    let hi = -1;
    const first = { blocked: -1, next: -1 };
    for (const { line, how } of this.at.values()) {
      if (lo < 0 || line < lo) lo = line;
      hi = Math.max(hi, line);
      if (how in first && (first[how] < 0 || line < first[how])) first[how] = line;
    }
    // When they do not all fit, a blocked process's line matters most,
    // then that of one waiting for its turn.
    const key = first.blocked >= 0 ? first.blocked : first.next;
    const span = `${lo} ${hi} ${key}`;
    if (lo < 0 || span === this.shown || document.body.classList.contains('no-side')) return;
    this.shown = span;
    if (this.followSoon) return;
    this.followSoon = setTimeout(() => {
      this.followSoon = 0;
      if (this.lines) this.reveal(...String(this.shown).split(' ').map(Number));
    }, 0);
  }

  // reveal scrolls the code so that lines lo to hi show, in the middle. If
  // they do not fit together, line key shows near the top, below a line of
  // what comes before it; with no key, the code stays where it is as long
  // as a marked line shows, so that it does not jump to and fro.
  reveal(lo, hi, key) {
    const pre = this.pre;
    const box = pre.getBoundingClientRect();
    const top = (i) => this.lines[i].getBoundingClientRect().top - box.top - pre.clientTop + pre.scrollTop;
    const bottom = (i) => top(i) + this.lines[i].offsetHeight;
    const h = pre.clientHeight;
    const shows = (i, j = i) => top(i) >= pre.scrollTop && bottom(j) <= pre.scrollTop + h;
    if (!this.lines[lo] || !this.lines[hi]) return;
    if (bottom(hi) - top(lo) <= h) {
      if (!shows(lo, hi)) pre.scrollTop = Math.max(0, top(lo) - (h - (bottom(hi) - top(lo))) / 2);
      return;
    }
    if (key < 0 && [...this.at.values()].some(({ line }) => this.lines[line] && shows(line))) return;
    const at = key >= 0 && this.lines[key] ? key : lo;
    if (!shows(at)) pre.scrollTop = Math.max(0, top(at) - this.lines[at].offsetHeight);
  }
}

// The code panel: a short program for the scenario, in C, Go or Python,
// with the line each process is at marked as events arrive. Lines carry a
// trailing marker comment ("//@ child write, write") naming the events
// they make; the marker is not shown.

import { h } from './dom.js';

// Which snippet file each mechanism uses.
const FILES = {
  pipe: 'pipe', fifo: 'fifo', 'mq-posix': 'mq-posix', 'mq-sysv': 'mq-sysv', 'shm-posix': 'shm',
  'shm-sysv': 'shm', semaphore: 'sem', race: 'race', deadlock: 'deadlock', 'socket-unix': 'unix-stream',
  'socket-tcp': 'socket', 'socket-udp': 'udp', signal: 'signal',
};
const NAMES = { c: 'C', go: 'Go', py: 'Python' };
const MARK = /\s*(?:\/\/|#)@\s*(.*)$/;

export class CodePanel {
  constructor(pre, tabs) {
    this.pre = pre;
    this.tabs = tabs;
    this.lang = localStorage.getItem('ipcpg.lang') || 'c';
    this.snip = null;
    this.tags = null;
    this.at = new Map();
    this.recent = [];
    this.dirty = false;
  }

  // load fetches the snippet of a mechanism (one small module each); a
  // session's parameters may pick another (Unix sockets in datagram mode).
  async load(mech, params = {}) {
    this.snip = null;
    this.tags = null;
    this.pre.textContent = '';
    this.tabs.replaceChildren();
    const file = mech === 'socket-unix' ? (params.mode === 'datagram' ? 'unix-dgram' : 'unix-stream') : FILES[mech];
    if (!file) return;
    try {
      const mod = await import(`./snippets/${file}.js`);
      // A snippet's {{name:default}} is the session's parameter of that
      // name, or the default before a session runs: the code shows the
      // numbers the session used.
      const fill = (text) => text.replace(/\{\{(\w+):([^}]*)\}\}/g, (m, k, d) => (params[k] !== undefined ? String(params[k]) : d));
      this.snip = Object.fromEntries(Object.entries(mod.default).map(([k, v]) => [k, fill(v)]));
    } catch {
      this.pre.textContent = 'no code for this scenario yet';
      return;
    }
    if (!this.snip[this.lang]) this.lang = 'c';
    this.tabs.replaceChildren(...Object.keys(this.snip).filter((k) => NAMES[k]).map((k) =>
      h('button', { type: 'button', role: 'tab', 'data-lang': k, onclick: () => this.show(k) }, NAMES[k])));
    this.show(this.lang);
  }

  show(lang) {
    this.lang = lang;
    localStorage.setItem('ipcpg.lang', lang);
    for (const b of this.tabs.children) b.setAttribute('aria-selected', String(b.dataset.lang === lang));
    this.lines = [];
    this.tags = new Map();
    const els = this.snip[lang].trim().split('\n').map((line, i) => {
      const m = line.match(MARK);
      const text = m ? line.slice(0, m.index) : line;
      if (m) for (const tag of m[1].split(',')) this.addTag(tag.trim(), i);
      const el = h('span', { class: 'line' }, text || ' ');
      this.lines.push(el);
      return el;
    });
    this.pre.replaceChildren(...els);
    this.at = new Map();
    this.shown = -1;
    for (const e of this.recent) this.mark(e);
    this.dirty = true;
    if (this.onChange) this.onChange();
  }

  addTag(tag, i) {
    if (!this.tags.has(tag)) this.tags.set(tag, []);
    this.tags.get(tag).push(i);
  }

  reset() { this.at = new Map(); this.recent = []; this.shown = -1; this.dirty = true; }

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
    const base = e.proc.replace(/-\d+$/, '');
    const who = base === e.proc ? [e.proc] : [e.proc, base];
    // "#1" names the member of a semaphore set, for lines that differ by it.
    const member = ((e.obj || '').match(/#\d+$/) || [''])[0];
    const waiting = e.kind === 'block' || e.kind === 'ready' || e.kind === 'unblock' || e.kind === 'sleep';
    const named = (what) => [...(member ? who.map((w) => `${w} ${what} ${member}`) : []), ...who.map((w) => `${w} ${what}`)];
    // A process's start is marked only where a line names it: the
    // server's fork of it is in no snippet.
    const keys = e.kind === 'spawn' ? named('spawn')
      : waiting ? [...named(e.call), e.call]
        : [...named(e.kind), ...named(e.call), e.kind, e.call];
    for (const k of keys) {
      const lines = k && this.tags.get(k);
      if (lines) {
        const how = e.kind === 'block' ? 'blocked' : e.kind === 'ready' || e.kind === 'sleep' ? 'next' : 'done';
        this.at.set(e.proc, { line: lines[0], how });
        this.dirty = true;
        return;
      }
    }
  }

  // pending says whether render has something to show.
  pending() { return this.dirty && !!this.lines; }

  render() {
    if (!this.dirty || !this.lines) return;
    this.dirty = false;
    for (const el of this.lines) { el.removeAttribute('data-how'); el.removeAttribute('data-who'); }
    for (const [proc, { line, how }] of this.at) {
      const el = this.lines[line];
      if (!el) continue;
      el.dataset.how = how;
      el.dataset.who = el.dataset.who ? `${el.dataset.who}, ${proc}` : proc;
    }
    this.follow();
  }

  // follow scrolls the first marked line into view when that line
  // changes. It measures in a task after the frame is drawn: reading the
  // layout in the middle of a frame would make the browser lay out the
  // page twice.
  follow() {
    let first = -1;
    for (const { line } of this.at.values()) if (first < 0 || line < first) first = line;
    if (first < 0 || first === this.shown || document.body.classList.contains('no-side')) return;
    this.shown = first;
    if (this.followSoon) return;
    this.followSoon = setTimeout(() => {
      this.followSoon = 0;
      const el = this.lines && this.lines[this.shown];
      if (!el) return;
      const top = el.offsetTop - this.pre.offsetTop - this.pre.clientHeight / 3;
      if (Math.abs(this.pre.scrollTop - top) > this.pre.clientHeight / 4) this.pre.scrollTop = Math.max(0, top);
    }, 0);
  }
}

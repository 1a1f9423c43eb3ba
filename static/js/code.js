// The code panel: a short program for the scenario, in C, Go or Python,
// with the line each process is at marked as events arrive. Lines carry a
// trailing marker comment ("//@ child write, write") naming the events
// they make; the marker is not shown.

import { h } from './dom.js';

// Which snippet file each mechanism uses.
const FILES = {
  pipe: 'pipe', fifo: 'fifo', 'mq-posix': 'mq-posix', 'mq-sysv': 'mq-sysv', 'shm-posix': 'shm',
  'shm-sysv': 'shm', semaphore: 'sem', race: 'race', deadlock: 'deadlock', 'socket-unix': 'socket',
  'socket-tcp': 'socket', 'socket-udp': 'socket', signal: 'signal',
};
const NAMES = { c: 'C', go: 'Go', py: 'Python' };
const MARK = /\s*(?:\/\/|#)@\s*(.*)$/;

export class CodePanel {
  constructor(pre, tabs) {
    this.pre = pre;
    this.tabs = tabs;
    this.lang = localStorage.getItem('ipcpg.lang') || 'c';
    this.snip = null;
    this.at = new Map();
    this.dirty = false;
  }

  // load fetches the snippet of a mechanism (one small module each).
  async load(mech) {
    this.snip = null;
    this.pre.textContent = '';
    this.tabs.replaceChildren();
    const file = FILES[mech];
    if (!file) return;
    try {
      const mod = await import(`./snippets/${file}.js`);
      this.snip = mod.default;
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
    this.dirty = true;
  }

  addTag(tag, i) {
    if (!this.tags.has(tag)) this.tags.set(tag, []);
    this.tags.get(tag).push(i);
  }

  reset() { this.at = new Map(); this.shown = -1; this.dirty = true; }

  // see moves a process's marker to the line of the call it just made,
  // is blocked in, or waits to make.
  see(e) {
    if (!this.snip || !e.proc) return;
    if (e.kind === 'exit') { this.at.delete(e.proc); this.dirty = true; return; }
    const keys = e.kind === 'block' || e.kind === 'ready' || e.kind === 'unblock'
      ? [`${e.proc} ${e.call}`, e.call]
      : [`${e.proc} ${e.kind}`, `${e.proc} ${e.call}`, e.kind, e.call];
    for (const k of keys) {
      const lines = k && this.tags.get(k);
      if (lines) {
        const how = e.kind === 'block' ? 'blocked' : e.kind === 'ready' ? 'next' : 'done';
        this.at.set(e.proc, { line: lines[0], how });
        this.dirty = true;
        return;
      }
    }
  }

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

  // follow scrolls the first marked line into view, reading the layout
  // only when that line changes, never once per event.
  follow() {
    let first = -1;
    for (const { line } of this.at.values()) if (first < 0 || line < first) first = line;
    if (first < 0 || first === this.shown || document.body.classList.contains('no-side')) return;
    this.shown = first;
    const el = this.lines[first];
    const top = el.offsetTop - this.pre.offsetTop - this.pre.clientHeight / 3;
    if (Math.abs(this.pre.scrollTop - top) > this.pre.clientHeight / 4) this.pre.scrollTop = Math.max(0, top);
  }
}

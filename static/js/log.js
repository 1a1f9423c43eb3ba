// The event log: the newest events as sentences. The list keeps the last
// KEEP lines and grows by appending, so a fast stream never rebuilds it;
// the whole record is always at events.jsonl.

import { h, ms, num } from './dom.js';
import { sentence } from './words.js';

const KEEP = 200;

export class Log {
  constructor(list, count) {
    this.list = list;
    this.count = count;
    this.panel = list.closest('details');
    this.panel.addEventListener('toggle', () => { this.dirty = true; if (this.onOpen) this.onOpen(); });
    list.addEventListener('scroll', () => {
      if (this.programmatic) { this.programmatic = false; return; }
      this.follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    }, { passive: true });
    this.reset();
  }

  reset() {
    this.items = [];
    this.total = 0;
    this.counted = -1;
    this.shown = 0;
    this.dirty = true;
    this.follow = true;
    this.list.replaceChildren();
  }

  add(e) {
    this.total++;
    this.items.push(e);
    if (this.items.length > KEEP * 2) this.items = this.items.slice(-KEEP);
    this.dirty = true;
  }

  // render appends the lines not shown yet and drops the oldest; it runs
  // only while the log is open.
  // pending says whether render has something to show.
  pending() { return this.counted !== this.total || (this.panel.open && this.dirty); }

  render() {
    if (!this.dirty) return;
    if (this.counted !== this.total) {
      this.count.textContent = `(${num(this.total)})`;
      this.counted = this.total;
    }
    if (!this.panel.open) return;
    this.dirty = false;
    const fresh = Math.min(this.total - this.shown, KEEP, this.items.length);
    if (fresh <= 0) return;
    const lines = this.items.slice(-fresh).map((e) => h('li', { 'data-kind': e.kind, value: e.seq },
      h('span', { class: 't' }, `${ms(e.t)} ms`), ' ', sentence(e)));
    if (fresh >= KEEP) this.list.replaceChildren(...lines);
    else this.list.append(...lines);
    while (this.list.childElementCount > KEEP) this.list.firstChild.remove();
    this.shown = this.total;
    // Following the newest line, scroll after the frame is drawn, so the
    // browser lays the page out once.
    if (this.follow && !this.scrollSoon) {
      this.scrollSoon = setTimeout(() => {
        this.scrollSoon = 0;
        this.programmatic = true;
        this.list.scrollTop = this.list.scrollHeight;
      }, 0);
    }
  }
}

// The event log: the newest events as sentences, kept short so it never
// slows the page. The recorded log is always whole at events.jsonl.

import { h, ms, num } from './dom.js';
import { sentence } from './words.js';

const KEEP = 200;

export class Log {
  constructor(list, count) {
    this.list = list;
    this.count = count;
    this.reset();
  }

  reset() {
    this.items = [];
    this.total = 0;
    this.dirty = true;
    this.list.replaceChildren();
  }

  add(e) {
    this.total++;
    this.items.push(e);
    if (this.items.length > KEEP * 2) this.items = this.items.slice(-KEEP);
    this.dirty = true;
  }

  // render shows the newest lines; it runs only when the log is open.
  render() {
    if (!this.dirty) return;
    this.count.textContent = `(${num(this.total)})`;
    if (!this.list.closest('details').open) return;
    this.dirty = false;
    const shown = this.items.slice(-KEEP);
    this.list.replaceChildren(...shown.map((e) => h('li', { 'data-kind': e.kind, value: e.seq },
      h('span', { class: 't' }, `${ms(e.t)} ms`), ' ', sentence(e))));
    this.list.scrollTop = this.list.scrollHeight;
  }
}

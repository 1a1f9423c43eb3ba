// The status line above the stage (state, counts, how far the page is
// behind the stream) and the session's result when it ends.

import { $, num, set } from './dom.js';
import { sentence } from './words.js';

const SHOWN = new Set(['write', 'read', 'send', 'recv', 'block', 'unblock', 'wait', 'post', 'signal', 'deliver',
  'connect', 'accept', 'lost', 'error', 'deadlock', 'note', 'spawn', 'exit', 'open', 'close', 'unlink', 'ready']);

export class Status {
  constructor() {
    this.state = $('#state');
    this.counts = $('#counts');
    this.behind = $('#behind');
    this.result = $('#result');
    this.note = $('#note');
    this.lastNote = 0;
  }

  reset() {
    this.result.hidden = true;
    this.result.textContent = '';
    this.note.textContent = '';
    this.counts.textContent = '';
    this.els = {};
  }

  // count shows one labelled number (#count-NAME), made once and then
  // only changed.
  count(name, n, show) {
    this.els = this.els || {};
    let el = this.els[name];
    if (!el) {
      el = this.els[name] = document.createElement('span');
      el.className = 'count';
      el.append(document.createElement('b'), ` ${name}`);
      el.firstChild.id = `count-${name}`;
      this.counts.append(el);
    }
    el.hidden = !show;
    set(el.firstChild, { text: num(n) });
  }

  render(model, backlog, link, held = false) {
    const s = model.session;
    // A session that ended before the page opened it is a replay until
    // its last event: it is not running now.
    // So is one that has ended on the server while the page still shows
    // it: its processes are gone.
    const replaying = (s.replay || s.serverEnded) && !model.ended;
    const word = s.paused && !model.ended || replaying && held ? 'paused' : replaying ? 'replay' : s.state;
    set(this.state, { text: link === 'reconnecting' ? `${word} (reconnecting)` : word, 'data-state': word });
    const c = model.count;
    const data = isData(model);
    this.count('events', c.events, true);
    this.count('sent', c.sent, data);
    this.count('received', c.received, data);
    this.count('lost', c.lost, c.lost > 0);
    this.count('blocks', c.blocks, c.blocks > 0);
    this.behind.hidden = backlog < 30;
    if (backlog >= 30) set(this.behind.firstChild, { text: `replaying: ${num(backlog)} events behind ` });
    const e = model.last;
    if (e && SHOWN.has(e.kind) && e.seq !== this.lastNote) {
      this.lastNote = e.seq;
      this.note.textContent = sentence(e);
      this.note.dataset.kind = e.kind;
    }
    if (model.ended && this.result.hidden) this.showResult(model);
  }

  showResult(model) {
    this.result.hidden = false;
    this.result.dataset.state = model.session.state;
    this.result.textContent = resultText(model);
  }
}

const isData = (model) => model.count.sent > 0 || model.count.received > 0 ||
  [...model.objs.values()].some((o) => ['pipe', 'fifo', 'mq', 'msg', 'unix', 'tcp', 'udp'].includes(o.kind));

// resultText says how the session ended, from its last event's result.
export function resultText(model) {
  const s = model.session;
  const r = s.result || {};
  if (s.state === 'stopped') return `Stopped: ${r.stopped || 'the session was stopped'}.`;
  const parts = [];
  if (r.messages_sent !== undefined && r.messages_received !== undefined) {
    parts.push(`${num(r.messages_received)} of ${num(r.messages_sent)} messages received`);
  }
  if (r.expected !== undefined && r.actual !== undefined) {
    const lost = r.expected - r.actual;
    parts.push(`counter ${num(r.actual)}, expected ${num(r.expected)}: ${lost > 0 ? `${num(lost)} updates lost` : 'no update lost'}`);
  }
  // "lost" is said once: with the messages, or with the counter above.
  if (r.lost !== undefined && r.messages_received === undefined && r.expected === undefined) parts.push(`${num(r.lost)} lost`);
  for (const [k, v] of Object.entries(r)) {
    if (['messages_sent', 'messages_received', 'expected', 'actual', 'error', 'stopped', 'lost'].includes(k)) continue;
    if (v === '') continue; // nothing to say (no victim when there was no deadlock)
    const said = typeof v === 'number' ? num(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v;
    if (typeof v !== 'object') parts.push(`${k.replaceAll('_', ' ')}: ${said}`);
  }
  const head = s.state === 'failed' ? `Failed${r.error ? ': ' + r.error : ''}.` : 'Finished.';
  return `${head} ${parts.join(' · ')}`.trim();
}

// The status line above the stage (state, counts, how far the page is
// behind the stream) and the session's result when it ends.

import { $, num, set } from './dom.js';
import { sentence } from './words.js';

const SHOWN = new Set(['write', 'read', 'send', 'recv', 'block', 'unblock', 'wait', 'post', 'signal', 'deliver',
  'connect', 'accept', 'lost', 'error', 'deadlock', 'note', 'spawn', 'exit', 'open', 'close', 'unlink', 'ready', 'moment']);

export class Status {
  constructor() {
    this.state = $('#state');
    this.counts = $('#counts');
    this.result = $('#result');
    this.note = $('#note');
    this.lastNote = 0;
    // The result's room changes with what sits beside it (the transport
    // bar's buttons change their words at the end): fit it again then.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => { if (!this.result.hidden) this.fitResult(); }).observe(this.result);
    }
  }

  reset() {
    delete this.result.closest('.foot').dataset.result;
    this.result.hidden = true;
    this.result.textContent = '';
    this.result.removeAttribute('title');
    delete this.result.dataset.fit;
    this.fitKey = '';
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
      el.title = COUNTED[name];
      el.append(document.createElement('b'), ` ${name}`);
      el.firstChild.id = `count-${name}`;
      this.counts.append(el);
    }
    el.hidden = !show;
    set(el.firstChild, { text: num(n) });
    const word = ` ${n === 1 && ONE[name] || name}`;
    if (el.lastChild.nodeValue !== word) el.lastChild.nodeValue = word;
  }

  render(model, player, link) {
    const s = model.session;
    // A session whose processes have ended while the page still shows it
    // (a short one, or a link followed later) is a replay until its last
    // event: its processes are gone.
    const replaying = (player.recorded || player.ended) && !model.ended;
    const held = player.paused;
    const word = s.paused && !model.ended || replaying && held ? 'paused' : replaying ? 'replay' : s.state;
    set(this.state, { text: link === 'reconnecting' ? `${word} (reconnecting)` : word, 'data-state': word });
    const c = model.count;
    const data = isData(model);
    this.count('events', c.events, true);
    this.count('sent', c.sent, data);
    this.count('received', c.received, data);
    this.count('lost', c.lost, c.lost > 0);
    this.count('blocks', c.blocks, c.blocks > 0);
    const e = model.last;
    // A moment the page stops at is said by its banner, once revealed.
    const quiet = e && e.kind === 'moment' && player.stopAtMoments;
    if (e && SHOWN.has(e.kind) && !quiet && e.seq !== this.lastNote) {
      this.lastNote = e.seq;
      this.note.textContent = sentence(e);
      this.note.dataset.kind = e.kind;
    }
    if (model.ended && this.result.hidden) this.showResult(model);
    if (!this.result.hidden) this.fitResult();
  }

  // rewound forgets what was shown after the seq the page went back to:
  // the result of an end not reached yet, the sentence of a later event.
  rewound(model) {
    if (!model.ended) { this.result.hidden = true; this.result.textContent = ''; delete this.result.closest('.foot').dataset.result; }
    this.lastNote = 0;
    this.note.textContent = '';
  }

  showResult(model) {
    // The result takes the line's room: the transport bar beside it keeps
    // only its buttons.
    this.result.closest('.foot').dataset.result = 'true';
    this.result.hidden = false;
    this.result.dataset.state = model.session.state;
    this.result.textContent = resultText(model);
    this.result.title = this.result.textContent;
  }

  // fitResult gives a result too long for its two lines at the usual size
  // smaller type. It measures, which lays the page out, only when the text
  // or its room may have changed: a new result, another width of its own
  // (the window's, the side panels', the buttons beside it), another view.
  // Its width does not depend on its type size, so fitting it does not
  // call for fitting it again.
  fitResult() {
    const r = this.result;
    const key = `${r.textContent}|${r.clientWidth}|${innerWidth}|${document.body.className}`;
    if (key === this.fitKey) return;
    this.fitKey = key;
    delete r.dataset.fit;
    if (r.scrollHeight <= r.clientHeight + 1) return;
    r.dataset.fit = 'small';
    // Too long for two lines even so (a narrow room beside the transport
    // bar): a third line, rather than lose its end.
    if (r.scrollHeight > r.clientHeight + 1) r.dataset.fit = 'small3';
  }
}

// A count's word for one, where it is not the same as for many.
const ONE = { events: 'event', blocks: 'block' };

// What each count counts, for a pointer that rests on it.
const COUNTED = {
  events: 'events of the session shown so far',
  sent: 'messages sent',
  received: 'messages received',
  lost: 'messages sent that never arrived',
  blocks: 'times a process blocked: the kernel made it wait in a call',
};

const isData = (model) => model.count.sent > 0 || model.count.received > 0 ||
  [...model.objs.values()].some((o) => ['pipe', 'fifo', 'mq', 'msg', 'unix', 'tcp', 'udp'].includes(o.kind));

// resultText says how the session ended, from its last event's result:
// the known fields in words, in the order of PHRASES, then any other
// field under its own name, so that nothing the session reported is left
// out.
export function resultText(model) {
  const s = model.session;
  const r = s.result || {};
  if (s.state === 'stopped') return `Stopped: ${r.stopped || 'the session was stopped'}.`;
  const taken = new Set(['error', 'stopped']);
  const take = (k) => { taken.add(k); return r[k]; };
  const parts = PHRASES.map((say) => say(r, take)).filter(Boolean);
  for (const [k, v] of Object.entries(r)) {
    if (taken.has(k) || v === '' || v === null) continue; // nothing to say
    parts.push(`${k.replaceAll('_', ' ')}: ${value(v)}`);
  }
  const head = s.state === 'failed' ? `Failed${r.error ? ': ' + r.error : ''}.` : 'Finished.';
  const said = parts.join(' · ');
  return `${head} ${said.charAt(0).toUpperCase()}${said.slice(1)}`.trim();
}

// value says a field no phrase knows: a number with its separators, a
// flag as yes or no, a list as a list.
function value(v) {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.map(value).join(', ') : 'none';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${value(x)}`).join(', ') || 'none';
  return String(v);
}

// times says how often something happened.
const times = (n) => (n === 0 ? 'never' : n === 1 ? 'once' : `${num(n)} times`);
// count says a number of things, with the noun in the plural when needed.
const count = (n, one, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;
// counted is the phrase of a count that is news when above zero: some
// says the count, none says that nothing happened.
const counted = (key, some, none) => (r, take) => {
  if (r[key] === undefined) return '';
  const n = take(key);
  return n > 0 ? some(num(n)) : none;
};
// names joins names as a sentence does: a, b and c.
const names = (xs) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

// How the race's workers kept each read of the counter and its write
// together, or did not.
const SYNC = {
  none: 'nothing kept each read and write together',
  semaphore: 'a semaphore locked each read and write together',
  futex: 'a futex mutex locked each read and write together',
  atomic: 'an atomic add made each read and write one step',
};

// Each phrase says some of a result's fields in plain words, taking those
// it says; it says nothing ('') when its fields are not in the result.
// Their order is the order a student reads them in: did the messages
// arrive, does the counter add up, was there a deadlock and who was killed
// to break it; then what went wrong on the way, how often the processes
// had to wait, and last what the session was set up with.
const PHRASES = [
  // Messages received of those sent, their bytes and any lost.
  (r, take) => {
    if (r.messages_sent === undefined && r.messages_received === undefined) return '';
    const sent = take('messages_sent');
    const got = take('messages_received');
    let s = sent === undefined ? `${count(got, 'message')} received`
      : got === undefined ? `${count(sent, 'message')} sent` : `${num(got)} of ${num(sent)} messages received`;
    const b = take('bytes_received');
    if (b !== undefined) s += ` (${count(b, 'byte')})`;
    if (r.lost !== undefined) s += take('lost') > 0 ? `, ${num(r.lost)} lost` : ', none lost';
    return s;
  },
  // The race's counter against what it should read. "lost" is said here
  // as the difference, once.
  (r, take) => {
    if (r.expected === undefined || r.actual === undefined) return '';
    const want = take('expected');
    const got = take('actual');
    take('lost');
    const lost = want - got;
    return `final counter ${num(got)}, expected ${num(want)}: ${lost > 0 ? `${num(lost)} ${lost === 1 ? 'update' : 'updates'} lost` : 'no update lost'}`;
  },
  (r, take) => (r.sync === undefined ? '' : SYNC[take('sync')] || `kept together by ${r.sync}`),
  // A deadlock, and the process the server killed to break it.
  (r, take) => {
    if (r.deadlock === undefined && !r.victim) return '';
    const found = take('deadlock');
    const victim = take('victim');
    if (victim) return `deadlock: the server killed ${victim} to break it`;
    return found ? 'deadlock: the processes waited for each other' : 'no deadlock';
  },
  (r, take) => {
    if (!Array.isArray(r.finished)) return '';
    const done = take('finished');
    return done.length ? `${names(done)} finished` : 'no worker finished';
  },
  // Signals delivered of those sent; the rest merged into one pending.
  (r, take) => {
    if (r.delivered === undefined) return '';
    const got = take('delivered');
    const sent = take('sent');
    const merged = take('merged');
    const s = sent === undefined ? `${count(got, 'signal')} delivered` : `${num(got)} of ${num(sent)} signals delivered`;
    if (merged === undefined) return s;
    return merged > 0 ? `${s}: ${num(merged)} merged into one already pending` : `${s}, none merged`;
  },
  // The semaphore's light: how many were ever inside at once.
  (r, take) => {
    if (r.max_inside === undefined) return '';
    const most = take('max_inside');
    const permits = take('permits');
    return `at most ${num(most)} inside at once${permits === undefined ? '' : `, with ${count(permits, 'permit')}`}`;
  },
  (r, take) => {
    if (r.entries === undefined) return '';
    const n = take('entries');
    const rounds = take('rounds');
    const waited = take('blocked');
    const each = rounds === undefined ? '' : ` (${count(rounds, 'round')} each)`;
    const after = waited === undefined ? '' : waited === 0 ? ', never after a wait' : `, ${times(waited)} after a wait`;
    return `processes went in ${times(n)}${each}${after}`;
  },
  // What went wrong on the way, or did not.
  (r, take) => {
    if (r.intact === undefined && r.corrupt === undefined) return '';
    const ok = take('intact');
    const bad = take('corrupt');
    if (bad > 0) return `${num(bad)} corrupt${ok === undefined ? '' : `, ${num(ok)} intact`}`;
    return ok > 0 ? `all ${num(ok)} intact` : 'none corrupt';
  },
  counted('misdelivered', (n) => `${n} at a wrong address`, 'none at a wrong address'),
  counted('overtook', (n) => `${n} overtook earlier ones by priority`, 'none overtook another'),
  counted('reordered', (n) => `${n} arrived out of order`, 'none out of order'),
  counted('kernel_drops', (n) => `the kernel dropped ${n}: the receive buffer was full`, 'the kernel dropped none'),
  // How often the processes had to wait.
  (r, take) => {
    if (r.writer_waited_in_open === undefined) return '';
    return take('writer_waited_in_open') ? 'the writer waited in open() for a reader'
      : "a reader was there first: the writer's open() did not wait";
  },
  (r, take) => pair(take('writer_blocked'), take('reader_blocked'),
    (n) => (n ? `the writer waited for a free slot ${times(n)}` : 'the writer never waited for a free slot'),
    (n, short) => (!n ? 'the reader never waited for a message'
      : short ? `the reader for a message ${times(n)}` : `the reader waited for a message ${times(n)}`)),
  (r, take) => pair(take('sends_blocked'), take('receives_blocked'),
    (n) => (n ? `sends blocked ${times(n)}` : 'no send blocked'),
    (n, short) => (!n ? 'no receive blocked' : short ? `receives ${times(n)}` : `receives blocked ${times(n)}`)),
  (r, take) => {
    if (r.lock_waits === undefined) return '';
    const n = take('lock_waits');
    return n ? `workers waited for the lock ${times(n)}` : 'no worker waited for the lock';
  },
  // Who got what: said only when more than one consumer shares the
  // messages (with one, it is the count of messages received).
  (r, take) => {
    const per = take('per_consumer');
    if (per === undefined || per === null) return '';
    if (typeof per !== 'object') return `per consumer: ${value(per)}`;
    const got = Object.entries(per).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    if (got.length < 2 && r.messages_received !== undefined) return '';
    return got.map(([who, n], i) => (i === 0 ? `${who} got ${num(n)}` : `${who} ${num(n)}`)).join(', ');
  },
  // What the session was set up with.
  (r, take) => {
    if (r.slots === undefined && r.segment_bytes === undefined) return '';
    const slots = take('slots');
    const size = take('segment_bytes');
    if (size === undefined) return count(slots, 'slot');
    return `${slots === undefined ? 'a' : `${count(slots, 'slot')} in a`} ${num(size)}-byte segment`;
  },
  (r, take) => (r.queue_kernel_bytes === undefined ? ''
    : `the queue took ${count(take('queue_kernel_bytes'), 'byte')} of kernel memory`),
];

// pair says two counts of one kind in one phrase: the first's words,
// then the second's, short when they follow a first that said its verb
// with a number.
function pair(a, b, first, second) {
  if (a === undefined && b === undefined) return '';
  if (b === undefined) return first(a);
  if (a === undefined) return second(b, false);
  return `${first(a)}, ${second(b, a > 0)}`;
}

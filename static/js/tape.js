// The tape: the session's events the page has received, in seq order,
// with snapshots of the model taken as the events are first applied. Any
// seq can be shown again quickly: restore the nearest snapshot at or
// before it, then apply the few events after it. The model is built from
// events alone, so a frame shown again this way is the frame shown when
// the events first came.
//
// The tape holds only the events near the frame shown, in chunks of a
// fixed number of seqs: those behind it back to its snapshot, and those
// ahead of it up to a bound. The others are let go of once received, and
// fetched back from the server's recording (events.jsonl?from=&to=) when
// the page goes back to them or plays on to them, so a long session costs
// the page no more memory than a short one. Moments and the last event
// are kept whole: the page lists them.

import { TERMINAL } from './model.js';

// EVERY is how many events lie between two snapshots at first; MOST is
// how many snapshots are kept. Past MOST, every other one is dropped and
// the distance doubles, so a long session costs MOST snapshots and a
// step back applies at most a few thousand events.
const EVERY = 250;
const MOST = 160;
// CHUNK is how many seqs the tape holds, lets go of and fetches back at
// once; BEHIND and AHEAD are how many it keeps behind and ahead of the
// frame shown (besides the chunk the stream is filling).
const CHUNK = 1024;
const BEHIND = 4 * CHUNK;
const AHEAD = 8 * CHUNK;

export class Tape {
  constructor({ every = EVERY, most = MOST, chunk = CHUNK, behind = BEHIND, ahead = AHEAD } = {}) {
    this.first = every;
    this.most = most;
    this.size = chunk;
    this.behind = behind;
    this.ahead = ahead;
    // fetch(from, to) resolves to the recorded events from..to; the page
    // sets it to ask the server.
    this.fetch = null;
    this.gen = 0;
    this.reset(null);
  }

  // reset forgets the session; model (if given) is its empty state.
  reset(model) {
    this.gen++;
    this.n = 0;
    this.chunks = new Map();
    this.loads = new Map();
    this.pins = new Set();
    // kept holds the events listed whatever the frame: moments and the end.
    this.kept = new Map();
    this.moments = [];
    // about maps the seq of the event a moment is about to the moment's.
    this.about = new Map();
    this.end = 0;
    this.at = 0;
    this.every = this.first;
    this.snaps = model ? [{ seq: 0, state: model.snapshot() }] : [];
  }

  get known() { return this.n; }

  chunkOf(seq) { return Math.floor((seq - 1) / this.size); }

  // push adds events in seq order; the stream never skips or repeats.
  push(e) {
    if (e.seq !== this.n + 1) return false;
    this.n = e.seq;
    const k = this.chunkOf(e.seq);
    let c = this.chunks.get(k);
    if (!c && (e.seq - 1) % this.size === 0) {
      c = [];
      this.chunks.set(k, c);
      // A new chunk: the ones the frame has left far behind, or that lie
      // far ahead of it, go.
      this.trim(this.at);
    }
    if (c) c.push(e);
    if (e.kind === 'moment') {
      this.moments.push(e.seq);
      this.kept.set(e.seq, e);
      const about = e.attrs && e.attrs.about_seq;
      if (about && !this.about.has(about)) this.about.set(about, e.seq);
    }
    if (e.kind === 'session' && TERMINAL.includes(e.state)) { this.end = e.seq; this.kept.set(e.seq, e); }
    return true;
  }

  // event is the event of seq, or undefined while it is not held.
  event(seq) {
    const c = this.chunks.get(this.chunkOf(seq));
    return (c && c[(seq - 1) % this.size]) || this.kept.get(seq);
  }

  // has says whether every event from..to is held.
  has(from, to) {
    for (let k = this.chunkOf(Math.max(1, from)); k <= this.chunkOf(Math.min(to, this.n)); k++) {
      if (!this.chunks.has(k)) return false;
    }
    return true;
  }

  // want makes sure the events from..to (within what was received) are
  // held: null when they are, else a promise that settles when they are
  // fetched back (or the fetch failed).
  want(from, to) {
    from = Math.max(1, from);
    to = Math.min(to, this.n);
    if (from > to || this.has(from, to)) return null;
    // While some are fetched, the others stay: the stream may start a
    // chunk, and trim, before the last of them comes.
    const pin = { lo: this.chunkOf(from), hi: this.chunkOf(to) };
    this.pins.add(pin);
    const waits = [];
    for (let k = pin.lo; k <= pin.hi; k++) {
      if (!this.chunks.has(k)) waits.push(this.load(k));
    }
    return Promise.all(waits).finally(() => this.pins.delete(pin));
  }

  // load fetches chunk k back. A chunk let go of is never the one the
  // stream fills, so it is whole on the server.
  load(k) {
    if (this.loads.has(k)) return this.loads.get(k);
    if (!this.fetch) return Promise.reject(new Error('the tape has nowhere to fetch events from'));
    const gen = this.gen;
    const from = k * this.size + 1;
    const to = from + this.size - 1;
    const p = this.fetch(from, to).then((evs) => {
      if (gen !== this.gen) return;
      if (evs.length !== this.size || evs[0].seq !== from || evs[evs.length - 1].seq !== to) {
        throw new Error(`asked for events ${from} to ${to}, the server gave ${evs.length}`);
      }
      this.chunks.set(k, evs);
    }).finally(() => { if (gen === this.gen) this.loads.delete(k); });
    this.loads.set(k, p);
    return p;
  }

  // trim lets go of the chunks far from the frame at seq at: those more
  // than BEHIND events back or AHEAD events on. The chunk the stream fills
  // stays. (In a session of over 40,000 events the snapshots lie further
  // apart than BEHIND: a step back there fetches from its snapshot on.)
  trim(at) {
    this.at = at;
    const lo = this.chunkOf(Math.max(1, at - this.behind));
    const hi = this.chunkOf(at + this.ahead);
    const newest = this.chunkOf(this.n);
    for (const k of this.chunks.keys()) {
      if ((k < lo || k > hi) && k !== newest && !this.pinned(k)) this.chunks.delete(k);
    }
  }

  pinned(k) {
    for (const p of this.pins) if (k >= p.lo && k <= p.hi) return true;
    return false;
  }

  // held counts the events the tape holds, for tests.
  get held() {
    let n = 0;
    for (const c of this.chunks.values()) n += c.length;
    return n;
  }

  // keep takes a snapshot of the model when one is due at its seq.
  keep(model) {
    const seq = model.seq;
    if (seq % this.every !== 0 || this.snaps[this.snaps.length - 1].seq >= seq) return;
    this.snaps.push({ seq, state: model.snapshot() });
    if (this.snaps.length > this.most) {
      this.every *= 2;
      this.snaps = this.snaps.filter((s) => s.seq % this.every === 0);
    }
  }

  // snapFor is the newest snapshot at or before seq.
  snapFor(seq) {
    let s = this.snaps[0];
    for (const x of this.snaps) if (x.seq <= seq) s = x; else break;
    return s;
  }

  // snapAt is the seq of the newest snapshot at or before seq.
  snapAt(seq) { const s = this.snapFor(seq); return s ? s.seq : 0; }

  // rewind restores the model to the newest snapshot at or before seq and
  // returns the snapshot's seq: the caller applies the events after it.
  rewind(model, seq) {
    const s = this.snapFor(seq);
    model.restore(s.state);
    return s.seq;
  }
}

// The tape: every event of the session the page has received, in seq
// order, with snapshots of the model taken as the events are first
// applied. Any seq can be shown again quickly: restore the nearest
// snapshot at or before it, then apply the few events after it. The
// model is built from events alone, so a frame shown again this way is
// the frame shown when the events first came.

import { TERMINAL } from './model.js';

// EVERY is how many events lie between two snapshots at first; MOST is
// how many snapshots are kept. Past MOST, every other one is dropped and
// the distance doubles, so a long session costs MOST snapshots and a
// step back applies at most a few thousand events.
const EVERY = 250;
const MOST = 160;

export class Tape {
  constructor({ every = EVERY, most = MOST } = {}) {
    this.first = every;
    this.most = most;
    this.reset(null);
  }

  // reset forgets the session; model (if given) is its empty state.
  reset(model) {
    this.events = [];
    this.moments = [];
    // about maps the seq of the event a moment is about to the moment's.
    this.about = new Map();
    this.end = 0;
    this.every = this.first;
    this.snaps = model ? [{ seq: 0, state: model.snapshot() }] : [];
  }

  get known() { return this.events.length; }

  // push adds events in seq order; the stream never skips or repeats.
  push(e) {
    if (e.seq !== this.events.length + 1) return false;
    this.events.push(e);
    if (e.kind === 'moment') {
      this.moments.push(e.seq);
      const about = e.attrs && e.attrs.about_seq;
      if (about && !this.about.has(about)) this.about.set(about, e.seq);
    }
    if (e.kind === 'session' && TERMINAL.includes(e.state)) this.end = e.seq;
    return true;
  }

  event(seq) { return this.events[seq - 1]; }

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

  // rewind restores the model to the newest snapshot at or before seq and
  // returns the snapshot's seq: the caller applies the events after it.
  rewind(model, seq) {
    let s = this.snaps[0];
    for (const x of this.snaps) if (x.seq <= seq) s = x; else break;
    model.restore(s.state);
    return s.seq;
  }
}

// The player shows a session's events on the page, live or replayed, with
// one clock for both (clock.js). Events go onto a tape (tape.js) as they
// arrive; the player applies them to the model in seq order at the pace
// the clock sets, and can be held, stepped one event or one moment either
// way, and moved to any seq like a debugger. A step back restores the
// nearest snapshot and applies the events after it, so the frame it shows
// is the one shown when the events first came. The tape holds only the
// events near the frame shown; an event it let go of is fetched back from
// the server, and the player waits for it (a few milliseconds) rather than
// skip it. All drawing happens once per animation frame, never per event.

import { Clock, WATCHED, AROUND, firstAfter, lastBefore } from './clock.js';
import { Tape } from './tape.js';

// Below this beat a travel animation could not be seen: none is started.
const MIN_ANIM_MS = 60;
// A frame spends at most this long applying events.
const FRAME_BUDGET_MS = 3;
// A step back redraws the log and code panels from the events just
// before the frame: this many of them are fetched back with it.
export const REBUILD = 300;
const SEEK_SETTLE_MS = 120;
// After a failed fetch, the player asks again this much later.
const RETRY_MS = 3000;
// While the page runs through many events at once (a summary, a jump),
// each part of the page is redrawn at most this often, one part a frame.
const HURRY_DRAW_MS = 100;

export class Player {
  // model is the page's model. apply(e, fresh) folds an event into it and
  // into the page's other parts (fresh: the first time this event is
  // applied); rebuild(seq) redraws everything after a step back;
  // animate(e, ms) may start a travel animation and says whether the
  // event applies 'after' it; frame(now, hurry) draws and says whether
  // anything still moves; onMoment(e) hears of a moment the page stopped
  // at: 'predict' before the event it is about, 'reveal' at the moment.
  constructor({ model, apply, rebuild, animate, frame, onMoment, parts = 1, timed, tape }) {
    this.model = model;
    this.parts = parts;
    this.timed = timed || ((name, fn) => fn());
    this.applyFn = apply;
    this.rebuild = rebuild || (() => {});
    this.animate = animate;
    this.frame = frame;
    this.onMoment = onMoment || (() => {});
    this.clock = new Clock();
    // tape: the Tape's sizes, for tests.
    this.tape = new Tape(tape);
    this.motion = true;
    // settleMs is how long a seek to events let go of waits for the next
    // before it fetches them.
    this.settleMs = SEEK_SETTLE_MS;
    this.stopAtMoments = false;
    this.raf = 0;
    this.drawn = 0;
    this.loop = (now) => this.tick(now);
    this.reset();
  }

  // reset forgets the session: call it after the model's reset.
  reset() {
    this.tape.reset(this.model);
    // fetching: events are being fetched back; failed: why they could not.
    this.fetching = false;
    this.failed = '';
    this.seekGen = 0;
    this.seekPending = false;
    this.retryAt = 0;
    clearTimeout(this.seekTimer);
    this.clock.reset();
    this.held = null;
    this.paused = false;
    this.target = 0;
    this.frontier = 0;
    this.summary = false;
    this.stoppedAt = 0;
    this.askedAt = 0;
    // recorded: the session had ended before the page opened it.
    this.recorded = false;
  }

  get speed() { return this.clock.speed; }
  set speed(v) { this.clock.speed = v; }
  get at() { return this.model.seq; }
  get known() { return this.tape.known; }
  get backlog() { return this.known - this.at; }
  // ended: the processes have ended (their last event has come).
  get ended() { return this.tape.end > 0; }
  get endT() { const e = this.tape.end && this.tape.event(this.tape.end); return e ? e.t : 0; }
  get moments() { return this.tape.moments; }
  // waiting: the player waits for events it let go of.
  get waiting() { return this.fetching || this.seekPending; }
  get hurrying() { return this.summary || this.target > this.at; }

  push(events) {
    for (const e of events) {
      // The stream promises every seq once, in order; say so loudly if not.
      if (!this.tape.push(e)) console.error(`event ${e.seq} came after ${this.tape.known}: the stream skipped or repeated events`);
    }
    this.wake();
  }

  // setPaused holds the page's playback where it is, or lets it go on.
  setPaused(on) {
    this.paused = on;
    if (!on) this.clock.nextAt = 0;
    this.wake();
  }

  // step moves one watched event forward (d = 1) or back (d = -1).
  step(d) {
    this.flush();
    let s = this.at;
    for (;;) {
      s += d;
      if (s <= 0 || s >= this.known) break;
      const e = this.tape.event(s);
      if (!e) {
        // Let go of: fetch the chunk the search goes on into, then step.
        const size = this.tape.size;
        this.after(this.tape.want(d > 0 ? s : s - size, d > 0 ? s + size : s), () => this.step(d));
        return;
      }
      if (WATCHED.has(e.kind)) break;
    }
    this.seek(s);
  }

  // after runs then once the events wanted are held (at once, if they
  // are); a later step or seek makes an earlier one's then moot.
  after(wait, then) {
    const gen = ++this.seekGen;
    if (!wait) { then(); return; }
    this.fetchBack(wait, 'the events back').then((ok) => { if (ok && gen === this.seekGen) then(); });
  }

  // fetchBack marks the player waiting while the events it let go of are
  // fetched (wait), says why on the line under the stage if they cannot
  // be, and resolves to whether they came.
  fetchBack(wait, what) {
    this.fetching = true;
    this.wake();
    return wait.then(() => {
      this.fetching = false;
      this.failed = '';
      this.wake();
      return true;
    }, (err) => {
      this.fetching = false;
      this.failed = `could not fetch ${what} from the server: ${err.message}`;
      this.wake();
      return false;
    });
  }

  // stepMoment moves to the next (d = 1) or previous (d = -1) moment;
  // forward with none left, to the newest event.
  stepMoment(d) {
    this.flush();
    const m = d > 0 ? firstAfter(this.moments, this.at + 1) : lastBefore(this.moments, this.at - 1);
    this.seek(m || (d > 0 ? this.known : 0));
  }

  // skip goes quickly through what is left of a summary, or to the
  // newest event, and plays on from there.
  skip() {
    this.flush();
    const m = firstAfter(this.moments, this.at + AROUND + 1);
    let to = m ? m - AROUND : this.known;
    if (!m && this.ended) to = Math.max(this.at, this.tape.end - AROUND);
    this.target = Math.max(this.at, Math.min(this.known, to));
    this.clock.reset();
    this.wake();
  }

  // jump shows the newest event, without animation, and plays on.
  jump() {
    this.flush();
    this.target = this.known;
    this.paused = false;
    this.clock.reset();
    this.wake();
  }

  // seek holds the page at seq n: forward by applying the events up to
  // it (a frame's budget at a time), back by restoring a snapshot.
  seek(n) {
    this.flush();
    n = Math.max(0, Math.min(this.known, Math.round(n)));
    this.paused = true;
    this.clock.reset();
    this.seekPending = false;
    clearTimeout(this.seekTimer);
    if (n >= this.at) { this.seekGen++; this.target = n; this.wake(); return; }
    this.target = 0;
    // The events from the snapshot on, and the page's panels' last few
    // before n (REBUILD), must be held before the model moves.
    const from = Math.min(this.tape.snapAt(n) + 1, n - REBUILD);
    if (!this.tape.has(from, n)) {
      // A scrub bar dragged far back asks for many places in a row: only
      // where it comes to rest is fetched.
      const gen = ++this.seekGen;
      this.seekPending = true;
      clearTimeout(this.seekTimer);
      this.seekTimer = setTimeout(() => {
        this.seekPending = false;
        if (gen === this.seekGen) this.after(this.tape.want(from, n), () => this.seek(n));
      }, this.settleMs);
      return;
    }
    this.seekGen++;
    const snap = this.tape.rewind(this.model, n);
    for (let s = snap + 1; s <= n; s++) this.model.apply(this.tape.event(s));
    this.stoppedAt = Math.min(this.stoppedAt, n);
    this.askedAt = Math.min(this.askedAt, n);
    this.rebuild(n);
    this.wake();
  }

  // flush lands a message whose travel is under way.
  flush() {
    if (this.held) { this.apply(this.held.e); this.held = null; }
  }

  wake() {
    if (!this.raf) this.raf = requestAnimationFrame(this.loop);
  }

  apply(e) {
    const fresh = e.seq > this.frontier;
    this.applyFn(e, fresh);
    if (fresh) this.frontier = e.seq;
    this.tape.keep(this.model);
  }

  // next applies the next event and says whether it could: one let go of
  // is fetched back, and the player waits for it.
  next() {
    const e = this.tape.event(this.at + 1);
    if (!e) { this.need(this.at + 1); return false; }
    this.apply(e);
    return true;
  }

  // need fetches back the events from seq on, then plays on.
  need(seq) {
    if (this.fetching || Date.now() < this.retryAt) return;
    const wait = this.tape.want(seq, seq + this.tape.size - 1);
    if (!wait) return;
    this.fetchBack(wait, `events from ${seq} on`).then((ok) => {
      if (ok) return;
      // Try again in a while, not every frame.
      this.retryAt = Date.now() + RETRY_MS;
      setTimeout(() => this.wake(), RETRY_MS);
    });
  }

  tick(now) {
    this.raf = 0;
    this.timed('tick', () => this.run(now));
  }

  run(now) {
    const start = performance.now();
    const within = () => performance.now() - start < FRAME_BUDGET_MS;
    if (this.held && now >= this.held.at) { this.apply(this.held.e); this.held = null; }
    this.summary = false;
    if (this.target > this.at) {
      while (this.at < this.target && within() && this.next());
      if (this.at >= this.target) this.target = 0;
    } else if (!this.paused) {
      this.play(now, within);
    }
    const hurry = this.hurrying;
    let busy = false;
    if (!hurry) {
      this.drawn = now;
      busy = this.timed('frame', () => this.frame(now, false));
    } else if (now - this.drawn >= HURRY_DRAW_MS / this.parts) {
      this.drawn = now;
      this.timed('frame', () => this.frame(now, true));
    }
    // Keep the tape to what is near the frame, and fetch back what the
    // frame will soon need.
    this.tape.trim(this.at);
    if (!this.paused || this.target > this.at) this.need(this.at + 1);
    const more = this.at < this.known && !this.paused && !this.fetching;
    if (busy || hurry || this.held || more || this.target > this.at) this.wake();
  }

  // play applies what the clock allows in this frame.
  play(now, within) {
    while (!this.held && within()) {
      const z = this.clock.zone(this.at, this.tape);
      if (z.mode === 'idle') return;
      if (z.mode === 'summary') {
        this.summary = true;
        let n = this.clock.take(now, this.at, z.until);
        while (n > 0 && within() && this.next()) n--;
        return;
      }
      if (now < this.clock.nextAt) return;
      const e = this.tape.event(this.at + 1);
      if (!e) { this.need(this.at + 1); return; }
      // Stopping at moments, the page first stops before the event a
      // moment is about (predict), then at the moment itself (reveal).
      const about = this.stopAtMoments && this.tape.about.get(e.seq);
      if (about && about > this.askedAt) {
        this.askedAt = about;
        this.paused = true;
        this.onMoment(this.tape.event(about), 'predict');
        return;
      }
      if (e.kind === 'moment' && this.stopAtMoments && e.seq > this.stoppedAt) {
        this.apply(e);
        this.stoppedAt = e.seq;
        this.paused = true;
        this.onMoment(e, 'reveal');
        return;
      }
      if (!WATCHED.has(e.kind)) { this.apply(e); continue; }
      const beat = this.clock.beat(this.backlog);
      const when = this.motion && beat >= MIN_ANIM_MS ? this.animate(e, beat * 0.7) : null;
      // Several short beats may share a frame, each still in order.
      this.clock.nextAt = Math.max(this.clock.nextAt, now - 100) + beat;
      if (when === 'after') { this.held = { e, at: now + beat * 0.6 }; return; }
      this.apply(e);
    }
  }
}

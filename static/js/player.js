// The player paces events onto the page. Events are applied strictly in seq
// order; only the time between them is stretched so a person can follow a
// session that took the kernel a few milliseconds. When the page falls far
// behind (thousands of events a second) the stretch shrinks to nothing, the
// travel animations are skipped and many events are applied per frame, so
// the page stays current and responsive. All drawing happens once per
// animation frame, never per event.

// BASE_MS is the time one visible event gets at speed 1 with nothing
// waiting behind it.
const BASE_MS = 320;
// Below this step an animation could not be seen: skip it.
const MIN_ANIM_MS = 60;
// Further behind than this, the player catches up: events apply as fast
// as frames allow, and keep doing so until the stream has been calm for
// HOLD_MS, so the tail of a fast stream is not replayed in slow motion.
const FAR = 100;
const HOLD_MS = 1500;
// While catching up the page redraws each of its parts at most this often,
// one part per frame.
const HURRY_DRAW_MS = 100;
// A frame spends at most this long applying events.
const FRAME_BUDGET_MS = 3;

// Events a person watches happen; the rest (samples, session state) apply
// at once.
const VISIBLE = new Set(['write', 'read', 'send', 'recv', 'block', 'unblock', 'wait', 'post', 'signal', 'deliver',
  'connect', 'accept', 'lost', 'spawn', 'exit', 'open', 'close', 'unlink', 'error', 'deadlock', 'ready']);

export class Player {
  // apply(e) folds an event into the model; animate(e, ms) may start a
  // travel animation and says whether the event applies 'after' it (the
  // token lands first) or at once; frame(now) draws and reports whether
  // animations still run.
  constructor({ apply, animate, frame, parts = 1, timed }) {
    this.parts = parts;
    this.timed = timed || ((name, fn) => fn());
    this.applyFn = apply;
    this.animate = animate;
    this.frame = frame;
    this.q = [];
    this.i = 0;
    this.nextAt = 0;
    this.held = null;
    this.speed = 1;
    // paused holds a replay where it is (the processes are gone by then:
    // only the page waits); stepOnce lets one visible event through.
    this.paused = false;
    this.stepOnce = false;
    this.motion = true;
    this.raf = 0;
    this.applied = 0;
    this.catching = false;
    this.hurryUntil = 0;
    this.drawn = 0;
    this.loop = (now) => this.tick(now);
  }

  get backlog() { return this.q.length - this.i + (this.held ? 1 : 0); }

  push(events) {
    for (const e of events) this.q.push(e);
    this.wake();
  }

  // reset forgets everything queued, for a new session.
  reset() {
    this.q = [];
    this.i = 0;
    this.held = null;
    this.nextAt = 0;
    this.catching = false;
    this.hurryUntil = 0;
    this.paused = false;
    this.stepOnce = false;
  }

  // setPaused holds or releases the events still to show.
  setPaused(on) {
    this.paused = on;
    this.stepOnce = false;
    this.wake();
  }

  // stepOne shows the next visible event of a held replay.
  stepOne() {
    if (!this.paused) return;
    this.stepOnce = true;
    this.nextAt = 0;
    this.wake();
  }

  // jump applies everything queued now, without animation.
  jump() {
    if (this.held) { this.apply(this.held.e); this.held = null; }
    while (this.i < this.q.length) this.apply(this.q[this.i++]);
    this.wake();
  }

  wake() {
    if (!this.raf) this.raf = requestAnimationFrame(this.loop);
  }

  apply(e) {
    this.applyFn(e);
    this.applied++;
  }

  // stepMs is the time the next visible event gets: the base time, cut as
  // the backlog grows so the page catches up instead of lagging.
  stepMs(now) {
    const behind = this.q.length - this.i;
    if (behind > FAR) this.hurryUntil = now + HOLD_MS;
    this.catching = now < this.hurryUntil;
    if (this.catching) return 0;
    return BASE_MS / this.speed / (1 + (behind / 16) ** 2);
  }

  tick(now) {
    this.raf = 0;
    this.timed('tick', () => this.run(now));
  }

  run(now) {
    const start = performance.now();
    if (this.held && now >= this.held.at) { this.apply(this.held.e); this.held = null; }
    while (!this.held && this.i < this.q.length && now >= this.nextAt && (!this.paused || this.stepOnce)) {
      if (performance.now() - start > FRAME_BUDGET_MS) break;
      const e = this.q[this.i++];
      if (!VISIBLE.has(e.kind)) { this.apply(e); continue; }
      this.stepOnce = false;
      const step = this.stepMs(now);
      const when = this.motion && step >= MIN_ANIM_MS ? this.animate(e, step * 0.7) : null;
      // Catch-up: several events share a frame, each still in order.
      this.nextAt = Math.max(this.nextAt, now - 100) + step;
      if (when === 'after') { this.held = { e, at: now + step * 0.6 }; break; }
      this.apply(e);
    }
    if (this.i > 50000) { this.q = this.q.slice(this.i); this.i = 0; }
    // While catching up, each part of the page is drawn a few times a
    // second, one part per frame: the numbers still move, and no frame
    // repaints everything.
    let busy = false;
    this.catching = now < this.hurryUntil;
    if (!this.catching) {
      this.drawn = now;
      busy = this.timed('frame', () => this.frame(now, false));
    } else if (now - this.drawn >= HURRY_DRAW_MS / this.parts) {
      this.drawn = now;
      this.timed('frame', () => this.frame(now, true));
      busy = true;
    } else {
      busy = true;
    }
    if (busy || this.held || (this.i < this.q.length && (!this.paused || this.stepOnce))) this.wake();
  }
}

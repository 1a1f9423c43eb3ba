// The presenter's controls for one session: stop, pause, step (choosing the
// process) and speed. They appear only in the browser holding the session's
// token; anyone else watches. Speed also sets how fast this page animates,
// for viewers too.

import * as api from './api.js';
import { $, h, set } from './dom.js';
import { SPEEDS } from './clock.js';
import { openShare } from './share.js';

export class Presenter {
  constructor({ player }) {
    this.player = player;
    this.id = '';
    this.token = '';
    this.speedIdx = SPEEDS.indexOf(1);
    this.box = $('#controls');
    this.err = $('#control-error');
    this.pick = $('#step-proc');
    $('#stop').addEventListener('click', () => this.stop());
    $('#pause').addEventListener('click', () => this.togglePause());
    $('#step').addEventListener('click', () => this.step(this.pick.value || null));
    $('#speed').addEventListener('input', (ev) => this.setSpeed(Number(ev.target.value)));
    $('#share').addEventListener('click', () => openShare(`${location.origin}/s/${this.id}`,
      this.token ? api.presenterLink(this.id, this.token) : ''));
    this.procs = '';
  }

  get active() { return !!this.token; }

  // hold holds or plays the page (the transport bar's Play button).
  hold() { this.player.setPaused(!this.player.paused); }

  attach(id, token, snap) {
    this.id = id;
    this.token = token;
    this.box.hidden = false;
    this.box.dataset.role = token ? 'presenter' : 'viewer';
    $('#share').hidden = false;
    this.pace = snap.pace;
    this.err.textContent = '';
    const i = SPEEDS.indexOf(snap.speed);
    if (i >= 0) this.setSpeed(i, false);
    this.seenSpeedAt = 0;
  }

  async send(action, value = null) {
    if (!this.active) return;
    this.err.textContent = '';
    try {
      await api.control(this.id, this.token, action, value);
    } catch (err) {
      this.err.textContent = err.message;
    }
  }

  async stop() {
    if (!this.active) return;
    this.err.textContent = '';
    try { await api.stop(this.id, this.token); } catch (err) { this.err.textContent = err.message; }
  }

  // While the processes run, Pause pauses them (the presenter). Once they
  // have ended while the page still shows the session, it holds the
  // page's playback, for anyone watching: a teacher can hold a moment of
  // a session that took the kernel a few milliseconds.
  togglePause() {
    // A page held (at a moment, or stepped back) goes on first.
    if (!this.live || !this.active || this.player.paused) { this.hold(); return; }
    this.send(this.paused ? 'resume' : 'pause');
  }

  // step lets a process make its next call in step pace (the presenter,
  // while the processes run); otherwise it shows the next event.
  step(name) {
    if (this.live && this.active && this.pace === 'step') { this.send('step', name || null); return; }
    // In step pace a press meant for a process that has just ended must
    // not hold the page: it moves the page only once it is held.
    if (this.pace === 'step' && !this.player.paused) return;
    this.player.step(1);
  }

  // setSpeed moves the slider to SPEEDS[i]: the page's animation follows
  // at once; the processes follow when the presenter sets it.
  setSpeed(i, tell = true) {
    this.speedIdx = Math.max(0, Math.min(SPEEDS.length - 1, i));
    const v = SPEEDS[this.speedIdx];
    $('#speed').value = String(this.speedIdx);
    $('#speed-out').textContent = `${v}×`;
    this.player.speed = v;
    if (tell && this.active && this.live) this.send('speed', v);
  }

  faster() { this.setSpeed(this.speedIdx + 1); }
  slower() { this.setSpeed(this.speedIdx - 1); }

  // render keeps the buttons true to the session: what can be done now.
  render(model) {
    const live = !!this.id && !model.ended;
    // The processes run until their last event has come, however far
    // behind the page is: Stop stays usable until then. A session that
    // has ended (a short one, or a link followed later) takes no more
    // orders; its speed still sets the replay's pace.
    const running = !!this.id && !this.player.ended && !this.player.recorded;
    this.live = running;
    this.replaying = live && !running;
    this.paused = model.session.paused;
    const mine = this.active && running;
    if (!running && this.err.textContent) this.err.textContent = '';
    // An ended session takes no orders: its buttons go away.
    set(this.box, { 'data-live': live ? 'true' : 'false', 'data-pace': this.pace || null });
    set($('#stop'), { disabled: !mine });
    set($('#pause'), { disabled: !mine && !this.replaying });
    const held = this.replaying ? this.player.paused : this.paused;
    set($('#pause'), { text: held ? 'Resume' : 'Pause', 'aria-pressed': String(held),
      title: this.replaying ? 'The processes have ended: this holds the page’s replay' : null });
    const stepping = mine && this.pace === 'step';
    // Paused, a step would wait for the resume: the button says so by
    // being off. A held replay steps one event at a time.
    set($('#step'), { disabled: !stepping || this.paused || ![...model.procs.values()].some((p) => p.state === 'ready') });
    // A viewer's page follows the presenter's speed when it changes, as
    // the processes do; in between the viewer may set another.
    if (!this.active && model.session.speedAt && model.session.speedAt !== this.seenSpeedAt) {
      this.seenSpeedAt = model.session.speedAt;
      const i = SPEEDS.indexOf(model.session.speed);
      if (i >= 0) this.setSpeed(i, false);
    }
    set(this.pick, { disabled: !stepping });
    set($('.stepper'), { hidden: this.pace === 'step' && running ? null : true });
    set(document.body, { 'data-presenter': mine ? 'true' : 'false' });
    const names = [...model.procs.keys()].join(',');
    if (names !== this.procs) {
      this.procs = names;
      const keep = this.pick.value;
      this.pick.replaceChildren(h('option', { value: '' }, 'next in line'), ...[...model.procs.keys()].map((n) => h('option', { value: n }, n)));
      this.pick.value = keep;
    }
  }
}

// The playground page. On / it lets a presenter pick a scenario and start
// it; on /s/{id} it shows one session to anyone with the link, with the
// presenter's controls only in the browser that holds the session's token.

import * as api from './js/api.js';
import { $, set, reducedMotion, fitText } from './js/dom.js';
import { Model, TERMINAL } from './js/model.js';
import { Player, REBUILD } from './js/player.js';
import { Stage } from './js/stage.js';
import { Timeline, REFILL } from './js/timeline.js';
import { KernelPanel } from './js/kernel.js';
import { CodePanel } from './js/code.js';
import { Log } from './js/log.js';
import { Status } from './js/status.js';
import { Controls } from './js/controls.js';
import { Presenter } from './js/presenter.js';
import { bindKeys, bindView } from './js/keys.js';
import { Transport } from './js/transport.js';

const model = new Model();
const stage = new Stage($('#stage'), { onProcClick: (name) => presenter.step(name) });
const timeline = new Timeline($('#timeline'), $('#follow'));
const kernel = new KernelPanel($('#kernel'));
const code = new CodePanel($('#code'), $('#code-langs'));
const log = new Log($('#log'), $('#log-count'));
const status = new Status();
const controls = new Controls({ onPick: (sc) => idle(sc) });
let link = '';
let stream = null;
// mechName is the drawing of the session shown; shown is its snapshot as
// the page opened it (for Run again).
let mechName = '';
let shown = null;

// ?perf in the address times each part of a frame (window.ipcpgPerf),
// for the load test and for anyone who wonders where a frame goes.
const perf = new URLSearchParams(location.search).has('perf') ? (window.ipcpgPerf = {}) : null;
function timed(name, fn) {
  if (!perf) return fn();
  const t0 = performance.now();
  const r = fn();
  const d = performance.now() - t0;
  const x = perf[name] || (perf[name] = { n: 0, sum: 0, max: 0 });
  x.n++; x.sum += d; x.max = Math.max(x.max, d);
  if (d > 8) (perf.slow || (perf.slow = [])).push(name + ' ' + Math.round(d) + ' ms at ' + Math.round(t0));
  return r;
}

// ?playback=instant shows every event as soon as it is received, with no
// beat to follow it by (for an engineer who wants the raw stream, and for
// automated checks); ?playback=paced goes back to the pace a person can
// follow. The choice is kept in this browser.
const playback = new URLSearchParams(location.search).get('playback');
if (playback === 'instant' || playback === 'paced') {
  try { localStorage.setItem('ipcpg.playback', playback); } catch { /* storage off: this page only */ }
}
let instant = playback === 'instant';
try { instant = instant || (playback !== 'paced' && localStorage.getItem('ipcpg.playback') === 'instant'); } catch { /* storage off */ }

const player = new Player({
  model,
  apply(e) {
    changed = performance.now();
    model.apply(e);
    // The timeline takes each event the first time it comes after its
    // newest column; shown again after a step back, an event only moves
    // its cursor.
    timeline.add(e, model);
    log.add(e);
    code.see(e);
    stage.dirty = true;
  },
  rebuild: (seq) => rebuild(seq),
  animate: (e, ms) => stage.animate(e, ms),
  onMoment: (e, stage) => moments.stopped(e, stage),
  // frame draws the stage and the status line every frame (they move),
  // and besides them at most one of the slower parts that is due: the
  // timeline ten times a second and the side panels four times, so no
  // frame does it all. While the page runs through many events at once,
  // one part per call in turn.
  frame(now, hurry) {
    if (timeline.cursor !== player.at) { timeline.cursor = player.at; timeline.dirty = true; }
    // Once the session has ended, every part catches up at once.
    if (hurry && !model.ended) {
      const busy = parts[turn].draw(now);
      parts[turn].at = now;
      turn = (turn + 1) % parts.length;
      return busy;
    }
    let busy = false;
    let slow = null;
    for (const part of parts) {
      if (!part.every) { busy = part.draw(now) || busy; part.at = now; continue; }
      // A frame that made new process boxes, or that is already long
      // (the machine is busy, or the stage had much to draw), has done
      // enough: the slower parts wait for the next one.
      if (stage.grew && !model.ended) { stage.grew = false; return true; }
      if (performance.now() - now > LONG_FRAME_MS && !model.ended) return true;
      if (!part.due(part)) continue;
      if (model.ended) { part.draw(now); part.at = now; continue; }
      if (now - part.at >= part.every && (!slow || part.at - part.every < slow.at - slow.every)) slow = part;
    }
    if (slow) { slow.draw(now); slow.at = now; }
    // A part with something left to show keeps the loop going.
    return busy || parts.some((part) => part.every && part.due(part));
  },
  parts: 4,
  timed,
});
player.clock.instant = instant;

// rebuild shows the session again at seq after a step back: the model is
// already there; the stage is drawn afresh from it, the log and the code
// panel take the events up to it again, and the timeline moves its cursor.
function rebuild(seq) {
  stage.begin(mechName, model);
  log.reset();
  code.reset();
  for (let s = Math.max(1, seq - REBUILD); s <= seq; s++) {
    const e = player.tape.event(s);
    if (!e) continue;
    if (s > seq - 200) log.add(e);
    code.see(e);
  }
  timeline.cursor = seq;
  timeline.dirty = true;
  if (timeline.before && seq < timeline.firstSeq) refillTimeline(seq);
  status.rewound(model);
  changed = performance.now();
}

// refillTimeline fills the timeline again around seq, once the tape holds
// those events: its oldest columns were let go of. It reaches no further
// than the page has shown.
async function refillTimeline(seq) {
  const id = model.session.id;
  const from = Math.max(1, seq - REFILL / 2);
  const to = Math.min(player.frontier, seq + REFILL / 2);
  try { await player.tape.want(from, to); } catch { return; }
  if (model.session.id !== id || player.at !== seq) return;
  const evs = [];
  for (let s = from; s <= to; s++) { const e = player.tape.event(s); if (e) evs.push(e); }
  timeline.refill(evs, model);
  timeline.cursor = player.at;
}

// A frame that has run this long draws nothing more.
const LONG_FRAME_MS = 6;
let turn = 0;
const parts = [
  { every: 0, at: 0, draw: (now) => timed('stage', () => stage.frame(now)) },
  { every: 0, at: 0, draw: (now) => timed('status', () => {
    status.render(model, player, link); presenter.render(model); transport.render(model); afterRun();
    kernel.render(model, now, player.held || player.paused || player.at >= player.known);
  }) },
  { every: 100, at: 0, due: () => timeline.dirty, draw: () => timed('timeline', () => timeline.render()) },
  { every: 250, at: 0, due: (part) => code.pending() || log.pending() || changed > part.at,
    draw: () => timed('panels', () => { code.render(); log.render(); }) },
];
// afterRun offers Run again and New session to the presenter once the
// page has shown the session's end.
function afterRun() {
  const done = model.ended && presenter.active && player.at >= player.known;
  set($('#after-run'), { hidden: done ? null : true });
  set(document.body, { 'data-after': done ? 'true' : null });
}

// changed is when the last event was applied: the kernel panel is drawn
// from the model, and is due when the model changed since.
let changed = 0;
player.motion = !reducedMotion();
matchMedia('(prefers-reduced-motion: reduce)').addEventListener('change', () => { player.motion = !reducedMotion(); });

const presenter = new Presenter({ player, controls });
const transport = new Transport(player);
const moments = transport;
presenter.hold = () => transport.toggle();
stage.onResize = () => player.wake();
log.onOpen = () => player.wake();
code.onChange = () => player.wake();
timeline.onResize = () => player.wake();
timeline.onSeek = (seq) => { stage.dropTokens(); player.seek(seq); };
// A mark's sentence is its event's: held by the tape, or fetched back.
timeline.eventAt = (seq) => {
  const e = player.tape.event(seq);
  if (e) return e;
  const wait = player.tape.want(seq, seq);
  return wait ? wait.then(() => player.tape.event(seq)) : undefined;
};

// idle shows a scenario before it runs: what it is and what to watch.
function idle(sc) {
  if (model.session.id) return;
  $('#title').textContent = sc ? sc.title : 'Pick a scenario and press Start';
  $('#summary').textContent = sc ? `${sc.summary} ${sc.watch || ''}` : '';
  stage.begin(sc ? sc.mechanism : 'pipe', model);
  code.load(sc ? sc.mechanism : '');
  player.wake();
}

// open shows one session and follows its events from the first.
async function open(id, started = false) {
  if (stream) stream.close();
  model.reset();
  player.reset();
  timeline.reset();
  log.reset();
  code.reset();
  status.reset();
  transport.reset();
  document.body.dataset.session = id;
  let snap;
  try {
    snap = await api.session(id);
  } catch (err) {
    $('#title').textContent = `Session ${id}: ${err.message}`;
    return;
  }
  const sc = controls.find(snap.scenario);
  $('#title').textContent = sc ? sc.title : snap.scenario;
  $('#summary').textContent = sc ? sc.watch || sc.summary : '';
  const mech = sc ? sc.mechanism : snap.scenario;
  mechName = mech;
  shown = snap;
  model.session.id = id;
  player.reset();
  // The tape lets go of events far from the frame shown, and fetches them
  // back from the recording when the page goes back to them.
  player.tape.fetch = (from, to) => api.events(id, from, to);
  // A session that had ended before the page opened it is a recording,
  // and says so; unless this page has just started it (a short session
  // can end before its first event is shown), which is the presenter's
  // own session, shown as it ran.
  player.recorded = !started && TERMINAL.includes(snap.state);
  // In projector view the page stops at each moment, for the class to
  // predict what comes, unless this browser was told otherwise.
  transport.setDefaultStop(document.body.classList.contains('projector'));
  // A presenter link (#presenter=TOKEN) hands this page the controls.
  api.adoptToken(id);
  setRole(api.tokenFor(id) ? 'presenter' : 'viewer');
  stage.begin(mech, model);
  // The stream opens in a task of its own: one task for all of the
  // session's first steps would be a long one on a busy machine.
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (model.session.id !== id) return;
  presenter.attach(id, api.tokenFor(id), snap);
  stream = api.stream(id, {
    onEvents: (evs) => player.push(evs),
    onStatus: (s) => { link = s; player.wake(); },
  });
  player.wake();
  // The form and the code panel wait for the next frame: the first
  // frame of a session only needs the stage.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  controls.setValues(snap.scenario, snap.params, snap.pace);
  set($('#log-all'), { href: `/api/sessions/${encodeURIComponent(id)}/events.jsonl`, hidden: null });
  set($('#log-trace'), { href: `/api/sessions/${encodeURIComponent(id)}/trace.json`, hidden: null });
  set($('#log-svg'), { href: `/api/sessions/${encodeURIComponent(id)}/timeline.svg`, hidden: null });
  code.load(mech, snap.params || {});
}

// start asks the server for the session the form describes.
async function start(ev) {
  ev.preventDefault();
  controls.clearErrors();
  const wrong = controls.check();
  if (wrong.length) {
    controls.showErrors(wrong);
    return;
  }
  const { scenario, params, pace } = controls.read();
  await begin(scenario, params, pace, $('#start'), (err) => controls.showError(err));
}

// runAgain starts a session like the one shown, with the same parameters.
async function runAgain() {
  if (!shown) return;
  await begin(shown.scenario, shown.params || {}, shown.pace, $('#run-again'), (err) => { $('#control-error').textContent = err.message; });
}

// begin creates a session; the page moves to its own link.
async function begin(scenario, params, pace, btn, fail) {
  btn.disabled = true;
  try {
    const r = await api.create(scenario, params, pace);
    api.keepToken(r.id, r.presenter_token);
    controls.close();
    history.pushState({ id: r.id }, '', `/s/${r.id}`);
    // A task of its own for the session's first steps: starting it in
    // the same task as the address change would make one long task.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await open(r.id, true);
  } catch (err) {
    fail(err);
  } finally {
    btn.disabled = false;
  }
}

// setRole says who this page is for: the presenter (the browser holding
// the session's token, or the start page), a viewer (a shared link:
// it watches, without the form), or a viewer who asked to try it.
function setRole(role) {
  document.body.dataset.role = role;
  set($('#try'), { hidden: role === 'viewer' ? null : true });
}

// leave is Back (or Forward) in the browser: a session this page runs is
// stopped first, so none goes on unseen, then the page shows the address.
async function leave() {
  const id = model.session.id;
  if (id && presenter.active && presenter.live) {
    try { await api.stop(id, api.tokenFor(id)); } catch { /* it may have ended meanwhile */ }
  }
  location.reload();
}

async function main() {
  bindView();
  bindKeys(presenter, player);
  $('#setup').addEventListener('submit', start);
  $('#jump').addEventListener('click', () => { stage.dropTokens(); player.jump(); });
  $('#run-again').addEventListener('click', runAgain);
  $('#try').addEventListener('click', () => { setRole('try'); $('#scenario').focus(); });
  window.addEventListener('popstate', leave);
  let list = [];
  try {
    list = await api.scenarios();
  } catch (err) {
    $('#setup-error').textContent = err.message;
  }
  const id = document.body.dataset.session;
  controls.fill(list, new URLSearchParams(location.search).get('scenario'));
  if (id) await open(id);
  else { setRole('presenter'); idle(controls.current()); }
  // Measuring text the first time sets up fonts: do it now, while the
  // page waits for Start, not in a session's first frames.
  setTimeout(warmUp, 0);
}

// warmUp measures a line in each font the process boxes use, and runs
// the drawing code once on a stage nobody sees, with a few made-up events:
// the browser compiles the code then, while the page waits for Start, not
// in a session's first frames. Nothing of it is shown or kept.
function warmUp() {
  for (const f of ['700 24px', '800 22px', '700 15px', '400 15px', '700 20px', '800 18px', '700 13px']) {
    fitText('warm up 0123456789', `${f} system-ui, "DejaVu Sans", "Liberation Sans", sans-serif`, 1);
    fitText('warm up 0123456789', `${f} ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace`, 1);
  }
  const sc = controls.current();
  if (!sc || model.session.id) return;
  const m = new Model();
  const st = new Stage(document.createElement('div'), { onProcClick() {} });
  const tl = new Timeline(document.createElement('div'), document.createElement('button'));
  st.begin(sc.mechanism, m);
  const obj = { pipe: 'pipe:1', fifo: 'fifo:f', 'mq-posix': 'mq:/q', 'mq-sysv': 'msg:0x1', semaphore: 'sem:0x1' }[sc.mechanism] || 'shm:/s';
  const evs = [
    { kind: 'session', state: 'starting', attrs: { procs: [{ name: 'a', role: 'writer' }, { name: 'b', role: 'reader' }] } },
    { kind: 'spawn', proc: 'a', pid: 1 }, { kind: 'spawn', proc: 'b', pid: 2, peer: 'a' },
    { kind: 'open', proc: 'a', obj, call: 'open', cap: 4 },
    { kind: 'write', proc: 'a', obj, bytes: 8, msg: 1, fill: 1, cap: 4 }, { kind: 'block', proc: 'b', obj, call: 'read' },
    { kind: 'unblock', proc: 'b', obj, call: 'read' }, { kind: 'read', proc: 'b', obj, bytes: 8, msg: 1, fill: 0, cap: 4 },
    { kind: 'exit', proc: 'a', code: 0 },
  ];
  evs.forEach((e, i) => {
    const ev = { seq: i + 1, t: i, ...e };
    m.apply(ev);
    tl.add(ev, m);
    st.animate(ev, 100);
    st.frame(performance.now());
  });
  tl.size = { w: 600, h: 120 };
  tl.render();
}

main();

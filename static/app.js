// The playground page. On / it lets a presenter pick a scenario and start
// it; on /s/{id} it shows one session to anyone with the link, with the
// presenter's controls only in the browser that holds the session's token.

import * as api from './js/api.js';
import { $, reducedMotion } from './js/dom.js';
import { Model } from './js/model.js';
import { Player } from './js/player.js';
import { Stage } from './js/stage.js';
import { Timeline } from './js/timeline.js';
import { KernelPanel } from './js/kernel.js';
import { CodePanel } from './js/code.js';
import { Log } from './js/log.js';
import { Status } from './js/status.js';
import { Controls } from './js/controls.js';
import { Presenter } from './js/presenter.js';
import { bindKeys, bindView } from './js/keys.js';

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

const player = new Player({
  apply(e) {
    model.apply(e);
    timeline.add(e, model);
    log.add(e);
    code.see(e);
    stage.dirty = true;
  },
  animate: (e, ms) => stage.animate(e, ms),
  frame(now) {
    const busy = stage.frame(now);
    timeline.render(now, player.catching && player.backlog > 0);
    log.render();
    code.render();
    kernel.render(model, now, model.ended);
    status.render(model, player.backlog, link);
    presenter.render(model);
    return busy;
  },
});
player.motion = !reducedMotion();
matchMedia('(prefers-reduced-motion: reduce)').addEventListener('change', () => { player.motion = !reducedMotion(); });

const presenter = new Presenter({ player, controls });
stage.onResize = () => player.wake();
timeline.onResize = () => player.wake();

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
async function open(id) {
  if (stream) stream.close();
  model.reset();
  player.reset();
  timeline.reset();
  log.reset();
  code.reset();
  status.reset();
  document.body.dataset.session = id;
  let snap;
  try {
    snap = await api.session(id);
  } catch (err) {
    $('#title').textContent = `Session ${id}: ${err.message}`;
    return;
  }
  const sc = controls.find(snap.scenario);
  controls.setValues(snap.scenario, snap.params, snap.pace);
  $('#title').textContent = sc ? sc.title : snap.scenario;
  $('#summary').textContent = sc ? sc.watch || sc.summary : '';
  const mech = sc ? sc.mechanism : snap.scenario;
  model.session.id = id;
  stage.begin(mech, model);
  code.load(mech);
  presenter.attach(id, api.tokenFor(id), snap);
  stream = api.stream(id, {
    onEvents: (evs) => player.push(evs),
    onStatus: (s) => { link = s; player.wake(); },
  });
  player.wake();
}

// start asks the server for a session; the page moves to its own link.
async function start(ev) {
  ev.preventDefault();
  controls.clearErrors();
  const { scenario, params, pace } = controls.read();
  const btn = $('#start');
  btn.disabled = true;
  try {
    const r = await api.create(scenario, params, pace);
    api.keepToken(r.id, r.presenter_token);
    history.pushState({ id: r.id }, '', `/s/${r.id}`);
    await open(r.id);
  } catch (err) {
    controls.showError(err);
  } finally {
    btn.disabled = false;
  }
}

async function main() {
  bindView();
  bindKeys(presenter);
  $('#setup').addEventListener('submit', start);
  $('#jump').addEventListener('click', () => { stage.dropTokens(); player.jump(); });
  window.addEventListener('popstate', () => location.reload());
  let list = [];
  try {
    list = await api.scenarios();
  } catch (err) {
    $('#setup-error').textContent = err.message;
  }
  const id = document.body.dataset.session;
  controls.fill(list, new URLSearchParams(location.search).get('scenario'));
  if (id) await open(id);
  else idle(controls.current());
}

main();

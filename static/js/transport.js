// The transport bar under the stage: where the page is against the
// processes, in words, and the debugger's buttons: play and hold, one
// event back and on, one moment back and on, a scrub bar over every event
// received, "go to" a seq, and whether to stop at each moment. Anyone
// watching may use it: it moves this page only, never the processes.
// The moments received so far are listed, and the one the page stopped
// at is asked about first (predict), then said (reveal).

import { $, h, set, num } from './dom.js';
import { where } from './clock.js';

// Moment names in words, for the list and the question.
const NAMES = {
  first_block: 'first block', empty_receive: 'empty receive', lost_update: 'lost update',
  deadlock_formed: 'deadlock formed', deadlock_detected: 'deadlock detected', deadlock_broken: 'deadlock broken',
  victim_killed: 'victim killed', datagram_dropped: 'datagram dropped', signal_merged: 'signal merged',
  priority_overtake: 'priority overtakes',
};
// STOPS_KEY keeps, in this browser, whether the page stops at moments.
const STOPS_KEY = 'ipcpg.stops';

export const momentName = (name) => NAMES[name] || String(name || 'moment').replaceAll('_', ' ');

export class Transport {
  constructor(player) {
    this.player = player;
    this.bar = $('#transport');
    this.scrub = $('#t-scrub');
    this.pos = $('#t-pos');
    this.play = $('#t-play');
    this.stopBox = $('#t-stop');
    this.list = $('#moments-list');
    this.where = $('#behind');
    this.banner = $('#moment');
    this.shown = -1;
    $('#t-back').addEventListener('click', () => player.step(-1));
    $('#t-fwd').addEventListener('click', () => player.step(1));
    $('#t-mprev').addEventListener('click', () => player.stepMoment(-1));
    $('#t-mnext').addEventListener('click', () => player.stepMoment(1));
    this.play.addEventListener('click', () => this.toggle());
    this.scrub.addEventListener('input', () => player.seek(Number(this.scrub.value)));
    $('#t-goto').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const n = Number($('#t-seq').value);
      if (Number.isFinite(n)) player.seek(n);
    });
    this.stopBox.addEventListener('change', () => {
      player.stopAtMoments = this.stopBox.checked;
      // The choice is kept: a teacher who turned the stops off (or on)
      // finds them so on the next session.
      try { localStorage.setItem(STOPS_KEY, this.stopBox.checked ? 'on' : 'off'); } catch { /* storage off */ }
    });
    this.list.addEventListener('click', (ev) => {
      const li = ev.target.closest('[data-seq]');
      if (li) player.seek(Number(li.dataset.seq));
    });
    $('#moment-reveal').addEventListener('click', () => this.reveal());
    $('#moment-go').addEventListener('click', () => this.goOn());
    $('#skip').addEventListener('click', () => player.skip());
  }

  reset() {
    this.list.replaceChildren();
    this.shown = -1;
    this.hideMoment();
  }

  // setStop sets whether the page stops at each moment.
  setStop(on) {
    this.stopBox.checked = on;
    this.player.stopAtMoments = on;
  }

  // setDefaultStop sets the stops for a session opened: as the viewer
  // last chose them, or else on in projector view (a class predicts what
  // comes) and off elsewhere.
  setDefaultStop(projector) {
    let kept = null;
    try { kept = localStorage.getItem(STOPS_KEY); } catch { /* storage off */ }
    this.setStop(kept === 'on' || (kept !== 'off' && projector));
  }

  toggle() {
    const p = this.player;
    // At a moment, space walks through it: predict, reveal, go on.
    if (this.banner.hidden === false) { this.reveal(); return; }
    // Played to the end of an ended session, play starts over.
    if (p.ended && p.at >= p.known) { p.seek(0); p.setPaused(false); return; }
    p.setPaused(!p.paused);
  }

  // stopped shows the moment the page stopped at. Before the event it is
  // about (stage 'predict') it asks; Reveal plays on to the moment, where
  // (stage 'reveal') its sentence shows, once Reveal is pressed if the page
  // had not asked first.
  stopped(e, stage = 'reveal') {
    const asked = this.banner.dataset.stage === 'predict' && this.banner.dataset.seq === String(e.seq) && !this.banner.hidden;
    this.banner.hidden = false;
    this.banner.dataset.seq = String(e.seq);
    this.banner.dataset.at = String(this.player.at);
    this.banner.dataset.stage = stage;
    this.banner.dataset.revealed = stage === 'reveal' && asked ? 'true' : 'false';
    $('#moment-name').textContent = `Moment: ${momentName(e.name)}.`;
    $('#moment-text').textContent = e.text || '';
    $('#moment-ask').hidden = this.banner.dataset.revealed === 'true';
  }

  reveal() {
    if (this.banner.dataset.revealed === 'true') { this.goOn(); return; }
    // Asked before the event: play on to the moment, which says it.
    if (this.banner.dataset.stage === 'predict') { this.player.setPaused(false); return; }
    this.banner.dataset.revealed = 'true';
    $('#moment-ask').hidden = true;
  }

  goOn() {
    this.hideMoment();
    this.player.setPaused(false);
  }

  hideMoment() {
    this.banner.hidden = true;
    this.banner.dataset.stage = '';
    this.banner.dataset.revealed = 'false';
  }

  // render keeps the bar true to the player, once a frame; it writes only
  // what changed.
  render(model) {
    const p = this.player;
    set(this.bar, { hidden: model.session.id ? null : true });
    set(this.scrub, { max: p.known, value: p.at, 'aria-valuetext': `event ${p.at} of ${p.known}` });
    if (this.scrub.value !== String(p.at)) this.scrub.value = String(p.at);
    set(this.pos, { text: `${num(p.at)} / ${num(p.known)}` });
    const held = p.paused && !p.hurrying;
    const over = p.ended && p.at >= p.known;
    set(this.play, { text: over ? '↺ Replay' : held ? '▶ Play' : '❚❚ Hold', 'aria-pressed': String(held && !over) });
    set(document.body, { 'data-held': held ? 'true' : 'false' });
    // A banner for a moment the page has since left goes away.
    // Asked before the event, it stays while the page plays on to the
    // moment.
    const asking = this.banner.dataset.stage === 'predict' && p.at <= Number(this.banner.dataset.seq);
    if (!this.banner.hidden && Number(this.banner.dataset.at) !== p.at && !asking) this.hideMoment();
    const w = where({ at: p.at, known: p.known, ended: p.ended, endT: p.endT, recorded: p.recorded, held, summary: p.summary });
    // Events the page let go of that it cannot fetch back: say so, plainly.
    if (p.failed) { w.text = p.failed; w.jump = false; }
    set(this.where, { hidden: w.text ? null : true, 'data-jump': w.jump ? 'true' : 'false' });
    set(this.where.firstChild, { text: w.text });
    set($('#jump'), { hidden: w.jump ? null : true });
    set($('#skip'), { hidden: p.summary || (p.ended && p.at < p.known && !held) ? null : true });
    this.renderList();
  }

  // renderList lists the moments shown so far: a moment not yet reached
  // is not given away.
  renderList() {
    const p = this.player;
    const ms = p.moments.filter((seq) => seq <= p.frontier).map((seq) => p.tape.event(seq));
    if (ms.length === this.shown) return;
    this.shown = ms.length;
    set($('#t-mcount'), { text: `(${ms.length})` });
    this.list.replaceChildren(...ms.map((m) => h('li', { 'data-seq': m.seq },
      h('button', { type: 'button', title: m.text }, `#${m.seq} ${momentName(m.name)}`))));
  }
}

// Keyboard shortcuts and the view toggles: projector mode, side panels,
// full screen. The view choices are remembered in this browser.

import { $ } from './dom.js';

const PREF = 'ipcpg.view';

function prefs() {
  try { return JSON.parse(localStorage.getItem(PREF)) || {}; } catch { return {}; }
}

function apply(p) {
  const b = document.body.classList;
  b.toggle('projector', !!p.projector);
  b.toggle('no-side', Boolean(p.side === false || (p.projector && p.side !== true)));
  $('#toggle-projector').setAttribute('aria-pressed', String(!!p.projector));
  $('#toggle-side').setAttribute('aria-pressed', String(!b.contains('no-side')));
  window.dispatchEvent(new Event('resize'));
}

function change(fn) {
  const p = prefs();
  fn(p);
  localStorage.setItem(PREF, JSON.stringify(p));
  apply(p);
}

export const toggleProjector = () => change((p) => { p.projector = !p.projector; delete p.side; });
export const toggleSide = () => change((p) => { p.side = document.body.classList.contains('no-side'); });

export function toggleFull() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
}

// bindView wires the view buttons; ?view=projector in the address turns
// projector mode on, for a link a teacher keeps on the classroom machine.
export function bindView() {
  const q = new URLSearchParams(location.search).get('view');
  if (q === 'projector' || q === 'normal') change((p) => { p.projector = q === 'projector'; delete p.side; });
  else apply(prefs());
  $('#toggle-projector').addEventListener('click', toggleProjector);
  $('#toggle-side').addEventListener('click', toggleSide);
  $('#toggle-full').addEventListener('click', toggleFull);
}

// bindKeys: space pauses or resumes, the arrows step one event back or
// on (with shift, one moment), + and - change the speed, f full screen,
// p projector, s side panels. Keys typed into a form field are left
// alone (the scrub bar too, which the arrows move itself).
export function bindKeys(presenter, player) {
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return;
    if (ev.shiftKey && (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight')) {
      ev.preventDefault();
      player.stepMoment(ev.key === 'ArrowLeft' ? -1 : 1);
      return;
    }
    const act = {
      ' ': () => presenter.togglePause(),
      ArrowRight: () => presenter.step($('#step-proc').value || null),
      ArrowLeft: () => player.step(-1),
      '+': () => presenter.faster(), '=': () => presenter.faster(),
      '-': () => presenter.slower(), _: () => presenter.slower(),
      f: toggleFull, p: toggleProjector, s: toggleSide,
    }[ev.key];
    if (!act) return;
    if (ev.key === ' ' && t && t.tagName === 'BUTTON') return;
    ev.preventDefault();
    act();
  });
}

// The playback clock: how fast the page shows a session, live or replayed.
// It is one rule for both. Every event is applied, in seq order; only the
// time between them is chosen. Around the instants a lesson turns on (the
// server's `moment` events), at the start and at the end, each event a
// person watches gets its own beat, long enough to be followed. A long
// stretch between them (the race's hundreds of thousands of increments) is
// summarized: its events are applied a frame's share at a time, so the
// counts roll, and the stretch takes a few seconds whatever its length.
// Nothing here reads the DOM or the real clock: the caller passes `now`.

// BASE_MS is the beat of a watched event at speed 1 with nothing waiting.
export const BASE_MS = 320;
// FLOOR_MS is the shortest beat at speed 1, however far behind the page
// is: a travel animation of this length can still be seen.
export const FLOOR_MS = 70;
// AROUND is how many events on each side of a moment (and after the
// start, before the end) are shown beat by beat.
export const AROUND = 24;
// A stretch between detailed parts is summarized when it is at least this
// long, and then takes SUMMARY_MS at speed 1.
export const SUMMARY_FROM = 300;
export const SUMMARY_MS = 4000;
// The speeds a presenter may choose; 1x in the middle.
export const SPEEDS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 10];

// Events a person watches get a beat; the rest (samples, notes of pace,
// the session's states) apply with the next one.
export const WATCHED = new Set(['write', 'read', 'send', 'recv', 'block', 'unblock', 'wait', 'post', 'signal', 'deliver',
  'connect', 'accept', 'lost', 'spawn', 'exit', 'open', 'close', 'unlink', 'error', 'deadlock', 'ready', 'moment']);

export class Clock {
  constructor() {
    this.speed = 1;
    // instant: no beats and no summaries; every event is applied as soon
    // as it is received (the page's `?playback=instant`).
    this.instant = false;
    this.reset();
  }

  reset() {
    this.nextAt = 0;
    this.sum = null;
  }

  // beat is the time the next watched event gets: the base beat, cut as
  // the events waiting behind it grow, never below the floor.
  beat(behind) {
    if (this.instant) return 0;
    return Math.max(FLOOR_MS, BASE_MS / (1 + (behind / 24) ** 2)) / this.speed;
  }

  // zone says how the event after seq `at` is to be shown, given what the
  // page holds (tape: known, the newest seq received; moments, the seqs
  // of the moments received, ascending; end, the seq of the session's
  // last event once received, else 0). In a summary, until is the last
  // seq it covers.
  zone(at, tape) {
    const next = at + 1;
    if (next > tape.known) return { mode: 'idle' };
    if (this.instant) return { mode: 'detail' };
    if (near(next, tape)) { this.sum = null; return { mode: 'detail' }; }
    let until = tape.known;
    const m = firstAfter(tape.moments, next);
    if (m) until = Math.min(until, m - AROUND - 1);
    if (tape.end) until = Math.min(until, tape.end - AROUND - 1);
    // A summary goes on to its end once begun, even if the stream has not
    // yet sent that much more: short stretches are shown beat by beat.
    if (!this.sum && until - next + 1 < SUMMARY_FROM) return { mode: 'detail' };
    return { mode: 'summary', until };
  }

  // take says how many events a summary applies in the frame at now: the
  // stretch from `at` to `until` is crossed in SUMMARY_MS at speed 1, and
  // the rate only grows if the stretch grows (a live stream).
  take(now, at, until) {
    const left = Math.max(0, until - at);
    const want = left / (SUMMARY_MS / this.speed);
    if (!this.sum) this.sum = { rate: want, last: now, credit: 0 };
    const s = this.sum;
    s.rate = Math.max(s.rate, want);
    s.credit += s.rate * Math.max(0, Math.min(100, now - s.last));
    s.last = now;
    const n = Math.min(left, Math.floor(s.credit));
    s.credit -= n;
    if (n >= left) this.sum = null;
    return n;
  }
}

// near says whether seq is shown in detail: close to a moment, to the
// start, or to the end.
function near(seq, tape) {
  if (seq <= AROUND) return true;
  if (tape.end && seq > tape.end - AROUND - 1) return true;
  const m = firstAfter(tape.moments, seq - AROUND);
  return m !== 0 && m <= seq + AROUND;
}

// firstAfter is the first of the ascending seqs at or after seq, or 0.
export function firstAfter(seqs, seq) {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqs[mid] < seq) lo = mid + 1; else hi = mid;
  }
  return lo < seqs.length ? seqs[lo] : 0;
}

// lastBefore is the last of the ascending seqs at or before seq, or 0.
export function lastBefore(seqs, seq) {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqs[mid] <= seq) lo = mid + 1; else hi = mid;
  }
  return lo > 0 ? seqs[lo - 1] : 0;
}

// where says, in words, where the page is against the processes:
//   at, known    the seq shown and the newest received
//   ended        the processes have ended (their last event is in)
//   endT         when they ended, in ns from the session's start
//   recorded     the session had ended before the page opened it
//   held         the page holds its playback
//   summary      the page is summarizing a long stretch
// It returns { text, jump } where jump says whether "Jump to live" helps.
export function where({ at, known, ended, endT, recorded, held, summary }) {
  const secs = secondsText(endT);
  if (ended && at >= known) return { text: recorded ? `a recording: the processes finished at ${secs}` : '', jump: false };
  const hold = held ? 'held · ' : '';
  if (ended) {
    const how = summary ? 'summarizing' : 'playing back what happened';
    return { text: `${hold}the processes finished at ${secs}; ${how}`, jump: false };
  }
  const behind = known - at;
  if (behind <= 0) return { text: held ? 'held · live' : 'live', jump: false };
  const word = behind === 1 ? 'event' : 'events';
  return { text: `${hold}${count(behind)} ${word} behind the processes${summary ? ', summarizing' : ''}`, jump: true };
}

// secondsText says a time in ns as seconds, to two figures after the
// point under 10 s.
export function secondsText(ns) {
  const s = (ns || 0) / 1e9;
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
}

const count = (n) => n.toLocaleString('en-US');

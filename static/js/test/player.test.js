// The player with a model and no page: stepping, going to a seq, moments,
// and playing a fast run in full. Frames are driven by hand.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Model } from '../model.js';
import { Player } from '../player.js';
import { WATCHED } from '../clock.js';

globalThis.requestAnimationFrame ??= () => 1;

// run makes n datagrams sent and received or lost, a sample after each
// send, and a moment at about seq moment (if given).
function run(n, moment = 0) {
  const evs = [{ kind: 'session', state: 'starting', attrs: { procs: [{ name: 'a' }, { name: 'b' }] } },
    { kind: 'spawn', proc: 'a', pid: 1 }, { kind: 'spawn', proc: 'b', pid: 2 }];
  for (let i = 1; i <= n; i++) {
    evs.push({ kind: 'send', proc: 'a', obj: 'udp:x', msg: i, bytes: 8 }, { kind: 'sample', obj: 'udp:x', fill: i });
    if (i % 3) evs.push({ kind: 'recv', proc: 'b', obj: 'udp:x', msg: i, bytes: 8 });
    else evs.push({ kind: 'lost', obj: 'udp:x', msg: i });
    if (moment && evs.length + 1 >= moment && !evs.some((e) => e.kind === 'moment')) evs.push({ kind: 'moment', name: 'datagram_dropped', text: `datagram ${i} dropped` });
  }
  evs.push({ kind: 'exit', proc: 'a', code: 0 }, { kind: 'exit', proc: 'b', code: 0 }, { kind: 'session', state: 'finished' });
  return evs.map((e, i) => ({ seq: i + 1, t: i * 1e5, ...e }));
}

function player(evs) {
  const model = new Model();
  const seen = [];
  const p = new Player({ model, apply: (e) => { model.apply(e); seen.push(e.seq); }, animate: () => null, frame: () => false });
  p.motion = false;
  p.push(evs);
  return { p, model, seen };
}

const built = (evs, n) => { const m = new Model(); for (const e of evs.slice(0, n)) m.apply(e); return m.snapshot(); };

// frames runs the player's frames every 16 ms until cond holds or limit.
function frames(p, cond, limit = 100000) {
  let now = 0;
  let n = 0;
  while (!cond() && n < limit) { p.run(now); now += 16; n++; }
  return n;
}

test('a fast run is played in full, every event once and in order, at a pace one can follow', () => {
  const evs = run(60);
  const { p, seen } = player(evs);
  const n = frames(p, () => p.at === evs.length);
  assert.deepEqual(seen, evs.map((e) => e.seq));
  const watched = evs.filter((e) => WATCHED.has(e.kind)).length;
  // At least the floor's beat (70 ms, over 4 frames) per watched event.
  assert.ok(n >= watched * 4, `${n} frames for ${watched} watched events`);
});

test('step back and on lands on watched events; the model equals the one built from the start', () => {
  const evs = run(2000);
  const { p, model } = player(evs);
  p.seek(evs.length);
  frames(p, () => p.at === evs.length);
  for (let i = 0; i < 3; i++) p.step(-1);
  assert.ok(WATCHED.has(evs[p.at - 1].kind));
  assert.deepEqual(model.snapshot(), built(evs, p.at));
  const back = p.at;
  p.step(1);
  frames(p, () => p.target === 0);
  assert.ok(p.at > back);
  assert.deepEqual(model.snapshot(), built(evs, p.at));
  p.seek(1234);
  assert.equal(p.at, 1234);
  assert.deepEqual(model.snapshot(), built(evs, 1234));
  p.seek(0);
  assert.equal(p.at, 0);
  assert.equal(p.paused, true);
});

test('moments: stepping goes from one to the next, and playing stops at each', () => {
  const evs = run(400, 500);
  const m = evs.find((e) => e.kind === 'moment').seq;
  const { p } = player(evs);
  p.stopAtMoments = true;
  const heard = [];
  p.onMoment = (e) => heard.push(e.seq);
  frames(p, () => p.paused);
  assert.deepEqual(heard, [m]);
  assert.equal(p.at, m);
  p.stepMoment(-1);
  assert.equal(p.at, 0);
  p.stepMoment(1);
  frames(p, () => p.target === 0);
  assert.equal(p.at, m);
});

test('a long stretch is summarized, skipped ahead, and never skips an event', () => {
  const evs = run(3000);
  const { p, seen } = player(evs);
  frames(p, () => p.summary, 5000);
  assert.equal(p.summary, true);
  p.skip();
  frames(p, () => p.target === 0);
  assert.ok(p.at >= evs.length - 30, `at ${p.at} of ${evs.length}`);
  frames(p, () => p.at === evs.length);
  assert.deepEqual(seen, evs.map((e) => e.seq));
});

test('a moment about an earlier event: the page asks before that event, then stops at the moment', () => {
  const evs = run(100);
  // The server marks a moment right after the event that completed it.
  const lost = evs.find((e) => e.kind === 'lost' && e.seq > 30);
  const withMoment = [...evs.slice(0, lost.seq), { kind: 'moment', name: 'datagram_dropped', text: 'dropped', attrs: { about_seq: lost.seq } },
    ...evs.slice(lost.seq)].map((e, i) => ({ ...e, seq: i + 1 }));
  const { p, model } = player(withMoment);
  p.stopAtMoments = true;
  const heard = [];
  p.onMoment = (e, stage) => heard.push([e.seq, stage, p.at]);
  frames(p, () => p.paused);
  assert.deepEqual(heard, [[lost.seq + 1, 'predict', lost.seq - 1]]);
  assert.equal(model.count.lost, withMoment.slice(0, lost.seq - 1).filter((e) => e.kind === 'lost').length);
  p.setPaused(false);
  frames(p, () => p.paused);
  assert.deepEqual(heard[1], [lost.seq + 1, 'reveal', lost.seq + 1]);
  // Stepped back before the event, the page asks again.
  p.seek(lost.seq - 5);
  p.setPaused(false);
  frames(p, () => p.paused);
  assert.equal(heard[2][1], 'predict');
});

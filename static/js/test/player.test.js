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

// player plays evs; the events its tape lets go of are fetched back
// from evs (fetched counts the stretches), after a turn of the event loop
// as from a server.
function player(evs, tape) {
  const model = new Model();
  const seen = [];
  const p = new Player({ model, apply: (e) => { model.apply(e); seen.push(e.seq); }, animate: () => null, frame: () => false, tape });
  p.motion = false;
  const fetched = [];
  p.tape.fetch = (from, to) => new Promise((resolve) => setTimeout(() => { fetched.push([from, to]); resolve(evs.slice(from - 1, to).map((e) => ({ ...e }))); }, 0));
  p.push(evs);
  return { p, model, seen, fetched };
}

// settle lets the fetches started so far come back.
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

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

test('step back and on lands on watched events; the model equals the one built from the start', async () => {
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
  // Far back, the events were let go of: the seek waits for them.
  p.seek(1234);
  assert.equal(p.waiting, true);
  while (p.waiting) await settle();
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

// framesFetching runs frames as frames does, letting fetches come back
// whenever the player waits for one; held is the most events the tape held.
async function framesFetching(p, cond, limit = 100000) {
  let now = 0;
  let held = 0;
  for (let n = 0; !cond() && n < limit; n++) {
    p.run(now);
    now += 16;
    held = Math.max(held, p.tape.held);
    if (p.waiting) await settle();
  }
  return held;
}

test('a long run costs the tape a bounded number of events: the rest are fetched back, none skipped or repeated', async () => {
  const evs = run(3000);
  const sizes = { chunk: 64, behind: 128, ahead: 256, every: 16, most: 8 };
  const { p, model, seen, fetched } = player(evs, sizes);
  // Received all at once, the tape keeps what lies near the frame.
  const bound = (2 + (sizes.behind + sizes.ahead) / sizes.chunk + 2) * sizes.chunk;
  assert.ok(p.tape.held <= bound, `${p.tape.held} events held after the push, bound ${bound}`);
  assert.equal(p.known, evs.length);
  p.seek(evs.length);
  const held = await framesFetching(p, () => p.at === evs.length);
  assert.equal(p.at, evs.length);
  assert.deepEqual(seen, evs.map((e) => e.seq), 'every event applied once, in order');
  assert.ok(held <= bound, `${held} events held while playing, bound ${bound}`);
  assert.ok(fetched.length > 0, 'nothing was fetched back');
  assert.deepEqual(model.snapshot(), built(evs, evs.length));
  // Back three steps, then far back, then far on again: each frame equals
  // the one built from the start.
  for (let i = 0; i < 3; i++) p.step(-1);
  await framesFetching(p, () => !p.waiting);
  assert.deepEqual(model.snapshot(), built(evs, p.at));
  for (const n of [100, 7, 5000, 2048, 1]) {
    p.seek(n);
    await framesFetching(p, () => p.at === n && !p.waiting);
    assert.equal(p.at, n);
    assert.deepEqual(model.snapshot(), built(evs, n), `at seq ${n}`);
    assert.ok(p.tape.held <= bound, `${p.tape.held} events held at seq ${n}`);
  }
  // The moments and the end are kept whatever the frame.
  assert.equal(p.endT, evs[evs.length - 1].t);
});

test('a fetch that fails leaves the frame where it was and says why', async () => {
  const evs = run(600);
  const { p } = player(evs, { chunk: 32, behind: 64, ahead: 64, every: 16, most: 8 });
  p.seek(evs.length);
  await framesFetching(p, () => p.at === evs.length);
  p.tape.fetch = () => Promise.reject(new Error('the server answered 404'));
  const at = p.at;
  p.seek(10);
  while (p.waiting) await settle();
  assert.equal(p.at, at);
  assert.equal(p.fetching, false);
  assert.match(p.failed, /404/);
});

test('a scrub dragged far back fetches only where it comes to rest', async () => {
  const evs = run(3000);
  const { p, model, fetched } = player(evs, { chunk: 64, behind: 128, ahead: 256, every: 16, most: 8 });
  p.seek(evs.length);
  await framesFetching(p, () => p.at === evs.length);
  const before = fetched.length;
  for (let n = 4000; n >= 900; n -= 100) p.seek(n);
  await framesFetching(p, () => p.at === 900 && !p.waiting);
  assert.equal(p.at, 900);
  assert.deepEqual(model.snapshot(), built(evs, 900));
  const asked = fetched.slice(before);
  // Only the chunks from the snapshot to 900 were asked for: none of the
  // places the scrub passed on its way.
  assert.ok(asked.length > 0 && asked.length <= Math.ceil(900 / 64) && asked.every(([from]) => from <= 900),
    `fetched ${JSON.stringify(asked)} for a rest at 900`);
});

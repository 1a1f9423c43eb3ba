// The tape and the model's snapshots: a model put back at seq N by a
// snapshot and the events after it equals one built from events 1..N.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Model } from '../model.js';
import { Tape } from '../tape.js';

// pipeRun makes a session of n messages through a pipe, with blocks and
// a moment, the way the server reports one.
function pipeRun(n) {
  const evs = [
    { kind: 'session', state: 'starting', attrs: { procs: [{ name: 'writer', role: 'writer' }, { name: 'reader', role: 'reader' }] } },
    { kind: 'spawn', proc: 'writer', pid: 11 }, { kind: 'spawn', proc: 'reader', pid: 12 },
    { kind: 'open', proc: 'writer', obj: 'pipe:1', cap: 4096 },
  ];
  let fill = 0;
  for (let i = 1; i <= n; i++) {
    fill += 64;
    evs.push({ kind: 'write', proc: 'writer', obj: 'pipe:1', bytes: 64, msg: i, fill, cap: 4096 });
    if (i % 7 === 0) evs.push({ kind: 'block', proc: 'reader', obj: 'pipe:1', call: 'read' }, { kind: 'unblock', proc: 'reader', obj: 'pipe:1', call: 'read' });
    if (i === 5) evs.push({ kind: 'moment', name: 'first_block', text: 'the writer waits: the pipe is full' });
    if (i % 2 === 0) {
      fill -= 128;
      evs.push({ kind: 'read', proc: 'reader', obj: 'pipe:1', bytes: 64, msg: i - 1, fill: fill + 64, cap: 4096 },
        { kind: 'read', proc: 'reader', obj: 'pipe:1', bytes: 64, msg: i, fill, cap: 4096 });
    }
  }
  evs.push({ kind: 'exit', proc: 'writer', code: 0 }, { kind: 'exit', proc: 'reader', code: 0 },
    { kind: 'session', state: 'finished', result: { messages_received: n } });
  return evs.map((e, i) => ({ seq: i + 1, t: i * 1000, ...e }));
}

const built = (evs, n) => { const m = new Model(); for (const e of evs.slice(0, n)) m.apply(e); return m; };
const state = (m) => m.snapshot();

test('a model rewound to any seq equals the model built from the start', () => {
  const evs = pipeRun(400);
  const tape = new Tape({ every: 16, most: 8 });
  const model = new Model();
  tape.reset(model);
  for (const e of evs) { tape.push(e); model.apply(e); tape.keep(model); }
  assert.ok(tape.snaps.length <= 9, `${tape.snaps.length} snapshots kept`);
  assert.ok(tape.every > 16, 'the snapshots were thinned');
  assert.equal(tape.end, evs.length);
  assert.deepEqual(tape.moments, [evs.find((e) => e.kind === 'moment').seq]);
  for (const n of [evs.length - 3, 1, 0, 17, 300, 129, evs.length]) {
    const from = tape.rewind(model, n);
    assert.ok(from <= n);
    assert.ok(n - from <= tape.every, `rewound to ${from} for ${n}`);
    for (let s = from + 1; s <= n; s++) model.apply(tape.event(s));
    assert.deepEqual(state(model), state(built(evs, n)), `at seq ${n}`);
  }
});

test('a snapshot is a copy: applying after it does not change it', () => {
  const evs = pipeRun(20);
  const m = built(evs, 10);
  const snap = m.snapshot();
  for (const e of evs.slice(10)) m.apply(e);
  const back = new Model();
  back.restore(snap);
  assert.equal(back.seq, 10);
  assert.deepEqual(state(back), state(built(evs, 10)));
});

test('the tape refuses a gap and keeps moments and the end', () => {
  const tape = new Tape();
  tape.reset(new Model());
  assert.equal(tape.push({ seq: 2, kind: 'spawn' }), false);
  assert.equal(tape.push({ seq: 1, kind: 'moment', name: 'x' }), true);
  assert.equal(tape.push({ seq: 2, kind: 'session', state: 'failed' }), true);
  assert.deepEqual([tape.known, tape.moments, tape.end], [2, [1], 2]);
});

test('a moment changes no process and is listed', () => {
  const m = new Model();
  m.apply({ seq: 1, t: 0, kind: 'ready', proc: 'a', call: 'write' });
  m.apply({ seq: 2, t: 5, kind: 'moment', proc: 'a', name: 'lost_update', text: 'worker-2 overwrote 41 with 41' });
  assert.equal(m.procs.get('a').state, 'ready');
  assert.deepEqual(m.moments, [{ seq: 2, t: 5, name: 'lost_update', text: 'worker-2 overwrote 41 with 41' }]);
});

test('the tape lets go of events far from the frame, keeps moments and the end, and fetches chunks back whole', async () => {
  const evs = pipeRun(300);
  const tape = new Tape({ chunk: 10, behind: 20, ahead: 30 });
  tape.reset(new Model());
  const asked = [];
  tape.fetch = async (from, to) => { asked.push([from, to]); return evs.slice(from - 1, to); };
  for (const e of evs) tape.push(e);
  // The frame is at 0: chunks 0..2 (seqs 1..30) and the one being filled.
  const last = evs.length;
  const newest = Math.floor((last - 1) / 10);
  assert.deepEqual([...tape.chunks.keys()].sort((a, b) => a - b), [0, 1, 2, newest]);
  assert.equal(tape.event(31), undefined);
  const moment = evs.find((e) => e.kind === 'moment');
  assert.equal(tape.event(moment.seq), moment);
  assert.equal(tape.event(last).state, 'finished');
  assert.equal(tape.want(5, 30), null, 'held: nothing to fetch');
  const wait = tape.want(35, 67);
  assert.ok(wait instanceof Promise);
  await wait;
  assert.deepEqual(asked, [[31, 40], [41, 50], [51, 60], [61, 70]]);
  for (let s = 35; s <= 67; s++) assert.equal(tape.event(s), evs[s - 1]);
  // The frame moves on: what lies far behind goes.
  tape.trim(65);
  assert.equal(tape.event(30), undefined);
  assert.equal(tape.event(45).seq, 45);
  // A stretch the server does not give whole is refused.
  tape.fetch = async (from, to) => evs.slice(from - 1, to - 1);
  await assert.rejects(tape.want(101, 101), /asked for events 101 to 110/);
  assert.equal(tape.event(101), undefined);
});

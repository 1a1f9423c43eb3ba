// Table tests of the model's process states: no DOM, no clock.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Model } from '../model.js';

const seqd = (evs) => evs.map((e, i) => ({ seq: i + 1, t: i * 1e5, ...e }));
const start = [{ kind: 'session', state: 'starting', attrs: { procs: [{ name: 'parent' }] } }, { kind: 'spawn', proc: 'parent', pid: 7 }];

test('what wakes a process that waits for its step', () => {
  const cases = [
    { then: { kind: 'sample', proc: 'parent', obj: 'pipe:1', fill: 0 }, want: 'ready' },
    { then: { kind: 'read', proc: 'parent', obj: 'pipe:1', bytes: 8, msg: 1 }, want: 'running' },
    { then: { kind: 'note', proc: 'parent', text: 'a note' }, want: 'running' },
  ];
  for (const c of cases) {
    const m = new Model();
    for (const e of seqd([...start, { kind: 'ready', proc: 'parent', obj: 'pipe:1', call: 'read' }, c.then])) m.apply(e);
    assert.equal(m.procs.get('parent').state, c.want, `after ${c.then.kind}`);
  }
});

test('signals sent and not handled, and those merged', () => {
  const sig = (signo, value, marker) => ({ kind: 'signal', proc: 'sender', peer: 'receiver', attrs: { signo, value, name: signo === 10 ? 'SIGUSR1' : 'SIGRTMAX', ...(marker ? { marker: true } : {}) } });
  const got = (signo, value, marker) => ({ kind: 'deliver', proc: 'receiver', peer: 'sender', attrs: { signo, value, from: 'sender', ...(marker ? { marker: true } : {}) } });
  const cases = [
    { name: 'nothing handled yet', evs: [sig(10, 1), sig(10, 2)], sent: [1, 2], merged: [] },
    { name: 'a handled value skips two: they merged', evs: [sig(10, 1), sig(10, 2), sig(10, 3), sig(10, 4), got(10, 1), got(10, 4)], sent: [], merged: [2, 3] },
    { name: 'values after the handled one still wait', evs: [sig(10, 1), sig(10, 2), sig(10, 3), got(10, 1)], sent: [2, 3], merged: [] },
    { name: 'the one pending is handled; those sent meanwhile merged', evs: [sig(10, 1), sig(10, 2), sig(10, 3), got(10, 1), sig(10, 4), got(10, 2), got(10, 4)], sent: [], merged: [3] },
    { name: 'the end marker: whatever still waits merged', evs: [sig(10, 1), sig(10, 2), sig(64, 2, true), got(10, 1), got(64, 2, true)], sent: [], merged: [2] },
  ];
  for (const c of cases) {
    const m = new Model();
    const st = [{ kind: 'session', state: 'starting', attrs: { procs: [{ name: 'receiver' }, { name: 'sender' }] } }];
    for (const e of seqd([...st, ...c.evs])) m.apply(e);
    const r = m.procs.get('receiver');
    assert.deepEqual((r.sigSent || []).map((x) => x.value), c.sent, `${c.name}: sent`);
    assert.deepEqual((r.sigMerged || []).map((x) => x.value), c.merged, `${c.name}: merged`);
    assert.equal(r.sigMergedCount || 0, c.merged.length, c.name);
  }
});

test('a process sample carries the pending signals the kernel reports', () => {
  const m = new Model();
  for (const e of seqd([...start, { kind: 'sample', proc: 'parent', attrs: { sig_pending: [10], sig_blocked: [10, 64] } }])) m.apply(e);
  assert.deepEqual(m.procs.get('parent').sigPending, [10]);
});

test('a ring slot holds a message from its write to its read', () => {
  const m = new Model();
  const obj = 'shm:/ring';
  const w = (msg, offset) => ({ kind: 'write', proc: 'parent', obj, msg, offset, bytes: 8 });
  const r = (msg, offset) => ({ kind: 'read', proc: 'parent', obj, msg, offset, bytes: 8 });
  const evs = [...start, { kind: 'open', proc: 'parent', obj, call: 'shm_open', attrs: { slots: 4, slot_bytes: 64 } },
    w(1, 0), w(2, 64), r(1, 0), w(3, 128), w(4, 192), w(5, 0)];
  const want = [{ 0: 1 }, { 0: 1, 1: 2 }, { 1: 2 }, { 1: 2, 2: 3 }, { 1: 2, 2: 3, 3: 4 }, { 0: 5, 1: 2, 2: 3, 3: 4 }];
  const seq = seqd(evs);
  seq.slice(0, start.length + 1).forEach((e) => m.apply(e));
  seq.slice(start.length + 1).forEach((e, i) => {
    m.apply(e);
    assert.deepEqual({ ...m.objs.get(obj).slotMsgs }, want[i], `after event ${i + 1}`);
  });
});

test('a TCP reading split by connection gives each cable its own queues', () => {
  const m = new Model();
  const evs = [
    { kind: 'connect', proc: 'client-1', peer: 'server', obj: 'tcp:127.0.0.1:4000', attrs: { local_port: 51001 } },
    { kind: 'connect', proc: 'client-2', peer: 'server', obj: 'tcp:127.0.0.1:4000', attrs: { local_port: 51002 } },
    { kind: 'accept', proc: 'server', peer: 'client-1', obj: 'tcp:127.0.0.1:4000' },
    { kind: 'accept', proc: 'server', peer: 'client-2', obj: 'tcp:127.0.0.1:4000' },
    { kind: 'sample', obj: 'tcp:127.0.0.1:4000', fill: 3072,
      attrs: { conns: [{ client_port: 51001, unread: 1024, unacked: 0 }, { client_port: 51002, unread: 2048, unacked: 512 }] } },
  ];
  evs.forEach((e, i) => m.apply({ seq: i + 1, t: i, ...e }));
  const o = m.objs.get('tcp:127.0.0.1:4000');
  assert.equal(o.conns.length, 2);
  assert.deepEqual(o.conns.map((c) => [c.from, c.port, c.queued.unread, c.queued.unacked]),
    [['client-1', 51001, 1024, 0], ['client-2', 51002, 2048, 512]]);
  // The server's receive of 1,024 bytes from client-2 takes them out of
  // that connection's queue; an end of stream takes the FIN.
  m.apply({ seq: 6, t: 6, kind: 'recv', proc: 'server', peer: 'client-2', obj: 'tcp:127.0.0.1:4000', bytes: 1024, fill: 2048 });
  assert.equal(o.conns[1].queued.unread, 1024);
  assert.equal(o.conns[0].queued.unread, 1024);
  // A later reading without a connection empties its cable.
  m.apply({ seq: 7, t: 7, kind: 'sample', obj: 'tcp:127.0.0.1:4000', fill: 0, attrs: { conns: [{ client_port: 51002, unread: 0, unacked: 0, fin_unread: true }] } });
  assert.equal(o.conns[1].queued.fin, true);
  m.apply({ seq: 8, t: 8, kind: 'recv', proc: 'server', peer: 'client-2', obj: 'tcp:127.0.0.1:4000', bytes: 0, fill: 0 });
  assert.equal(o.conns[1].queued.fin, false);
  assert.equal(o.conns[0].queued, null);
  assert.equal(o.conns[1].queued.unread, 0);
});

test('a pipe shows the kernel count it last had, and from which event', async () => {
  const { countedAt } = await import('../mechanisms/pipe.js');
  const m = new Model();
  const pipe = 'pipe:1';
  const evs = seqd([...start,
    { kind: 'open', proc: 'parent', obj: pipe, call: 'pipe2', fill: 0, cap: 65536 },
    { kind: 'write', proc: 'parent', obj: pipe, bytes: 64, msg: 1, fill: 64, cap: 65536 },
    { kind: 'write', proc: 'parent', obj: pipe, bytes: 64, msg: 2, cap: 65536 },
    { kind: 'write', proc: 'parent', obj: pipe, bytes: 64, msg: 3, cap: 65536 },
    { kind: 'write', proc: 'parent', obj: pipe, bytes: 64, msg: 4, fill: 256, cap: 65536 }]);
  const want = [[null, 0], [null, 0], [0, 0], [64, 0], [64, 4], [64, 4], [256, 0]];
  evs.forEach((e, i) => {
    m.apply(e);
    const o = m.objs.get(pipe);
    assert.deepEqual(o ? [o.fill, countedAt(o)] : [null, 0], want[i], `after event ${e.seq}`);
  });
});

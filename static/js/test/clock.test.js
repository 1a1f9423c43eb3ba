// Table tests of the playback clock: no DOM, no real clock.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Clock, AROUND, SUMMARY_FROM, SUMMARY_MS, FLOOR_MS, BASE_MS, firstAfter, lastBefore, where } from '../clock.js';

test('a watched event gets the base beat with nothing behind it, never less than the floor', () => {
  const c = new Clock();
  assert.equal(c.beat(0), BASE_MS);
  assert.equal(c.beat(10000), FLOOR_MS);
  c.speed = 10;
  assert.equal(c.beat(0), BASE_MS / 10);
  c.speed = 0.1;
  assert.equal(c.beat(10000), FLOOR_MS * 10);
});

test('zone: detail near the start, a moment and the end; summary between', () => {
  const tape = { known: 10000, moments: [5000], end: 10000 };
  const cases = [
    { at: 0, mode: 'detail' },
    { at: AROUND - 1, mode: 'detail' },
    { at: 100, mode: 'summary', until: 5000 - AROUND - 1 },
    { at: 5000 - AROUND - 1, mode: 'detail' },
    { at: 5000, mode: 'detail' },
    { at: 5000 + AROUND, mode: 'summary', until: 10000 - AROUND - 1 },
    { at: 10000 - AROUND - 1, mode: 'detail' },
    { at: 10000, mode: 'idle' },
  ];
  for (const k of cases) {
    const z = new Clock().zone(k.at, tape);
    assert.equal(z.mode, k.mode, `at ${k.at}`);
    if (k.until) assert.equal(z.until, k.until, `until at ${k.at}`);
  }
});

test('zone: a short run with no moment is shown beat by beat (UDP: 225 events)', () => {
  const tape = { known: 225, moments: [], end: 225 };
  const c = new Clock();
  for (let at = 0; at < 225; at++) assert.equal(c.zone(at, tape).mode, 'detail', `at ${at}`);
});

test('zone: a stretch shorter than SUMMARY_FROM is not summarized', () => {
  const tape = { known: AROUND + SUMMARY_FROM - 1, moments: [], end: 0 };
  assert.equal(new Clock().zone(AROUND, tape).mode, 'detail');
  tape.known += 2;
  assert.equal(new Clock().zone(AROUND, tape).mode, 'summary');
});

test('take: a summary crosses its stretch in SUMMARY_MS / speed, every event counted once', () => {
  for (const speed of [0.5, 1, 4]) {
    const c = new Clock();
    c.speed = speed;
    const tape = { known: 100000, moments: [], end: 0 };
    let at = 1000;
    let now = 0;
    let frames = 0;
    while (at < 100000 && frames < 100000) {
      const z = c.zone(at, tape);
      assert.equal(z.mode, 'summary');
      at += c.take(now, at, z.until);
      now += 16;
      frames++;
    }
    assert.equal(at, 100000);
    const ms = frames * 16;
    const want = SUMMARY_MS / speed;
    assert.ok(ms >= want * 0.9 && ms <= want * 1.1, `speed ${speed}: ${ms} ms, want about ${want}`);
  }
});

test('take: a stretch that grows while summarized speeds the summary up', () => {
  const c = new Clock();
  assert.equal(c.take(0, 0, 4000), 0);
  const slow = c.take(16, 0, 4000);
  const fast = c.take(32, slow, 40000);
  assert.ok(fast > slow * 5, `${slow} then ${fast}`);
});

test('firstAfter and lastBefore find moments around a seq', () => {
  const m = [10, 20, 30];
  assert.deepEqual([firstAfter(m, 0), firstAfter(m, 10), firstAfter(m, 11), firstAfter(m, 31)], [10, 10, 20, 0]);
  assert.deepEqual([lastBefore(m, 9), lastBefore(m, 10), lastBefore(m, 29), lastBefore(m, 99)], [0, 10, 20, 30]);
});

test('where says honestly where the page is', () => {
  const cases = [
    [{ at: 5, known: 5, ended: false }, 'live', false],
    [{ at: 5, known: 17, ended: false }, '12 events behind the processes', true],
    [{ at: 16, known: 17, ended: false }, '1 event behind the processes', true],
    [{ at: 5, known: 5, ended: false, held: true }, 'held · live', false],
    [{ at: 50, known: 225, ended: true, endT: 60e6 }, 'the processes finished at 0.06 s; playing back what happened', false],
    [{ at: 50, known: 4000, ended: true, endT: 2.5e9, summary: true, held: false }, 'the processes finished at 2.50 s; summarizing', false],
    [{ at: 225, known: 225, ended: true, endT: 60e6 }, '', false],
    [{ at: 225, known: 225, ended: true, endT: 60e6, recorded: true }, 'a recording: the processes finished at 0.06 s', false],
  ];
  for (const [args, text, jump] of cases) assert.deepEqual(where(args), { text, jump }, JSON.stringify(args));
});

test('simpleName gives the name the code uses', async () => {
  const { simpleName } = await import('../names.js');
  const cases = [
    ['mq:/ipcpg.14603.f7b415f08f8b.queue', 'mq:/demo'],
    ['shm:/ipcpg.1013.ab12.counter', 'shm:/counter'],
    ['shm:/ipcpg.1.s1.ring', 'shm:/ring'],
    ['unix:/tmp/ipcpg-1/demo.sock', 'unix:demo.sock'],
    ['pipe:1', 'pipe:1'],
    ['msg:0x0000abcd', 'msg:0x0000abcd'],
    ['udp:127.0.0.1:51008', 'udp:127.0.0.1:51008'],
    ['', ''],
  ];
  for (const [label, want] of cases) assert.equal(simpleName(label), want, label);
});

test('instant: no beat and no summary, idle only with nothing left', () => {
  const c = new Clock();
  c.instant = true;
  assert.equal(c.beat(0), 0);
  assert.equal(c.beat(10000), 0);
  const tape = { known: 10000, moments: [5000], end: 10000 };
  for (const at of [0, 100, 5000 + AROUND, 9999]) assert.equal(c.zone(at, tape).mode, 'detail', `at ${at}`);
  assert.equal(c.zone(10000, tape).mode, 'idle');
});

// The page's replay of a pipe's page slots against the server's model:
// both take the same writes and reads and must agree at every step.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newPages, write, read, unread, fits, held, logWrite, logRead } from '../pipepages.js';

const file = new URL('../../../internal/pipefill/testdata/replay.json', import.meta.url);
const replay = JSON.parse(readFileSync(file, 'utf8'));

test('the page slots replay as the server models them', () => {
  let waits = 0;
  for (const pipe of replay.pipes) {
    const p = newPages(pipe.cap, replay.page);
    pipe.steps.forEach((st, i) => {
      const moved = st.n > 0 ? write(p, st.n) : read(p, -st.n);
      const at = `pipe of ${pipe.cap} bytes, step ${i + 1} (${st.n})`;
      assert.equal(moved, st.moved, at);
      assert.equal(unread(p), st.unread, at);
      assert.equal(p.bufs.length, st.used, at);
      assert.equal(fits(p, 512), st.fits_512, at);
      assert.deepEqual(p.bufs.map((b) => [b.off, b.len]), st.pages, at);
      assert.equal(held(p), st.pages.reduce((n, [off]) => n + off, 0), at);
      if (st.n > 0 && !st.moved) waits++;
    });
  }
  assert.ok(waits > 0, 'no write in the replay had to wait');
});

test('a one-page pipe keeps its writer waiting until the page is empty', () => {
  const p = newPages(4096, 4096);
  for (let i = 0; i < 8; i++) assert.equal(write(p, 512), 512);
  for (let i = 0; i < 7; i++) {
    assert.equal(read(p, 512), 512);
    assert.equal(fits(p, 512), false, `after ${i + 1} reads`);
  }
  assert.equal(held(p), 3584);
  assert.equal(read(p, 512), 512);
  assert.equal(fits(p, 512), true);
  assert.equal(p.bufs.length, 0);
});

test('a write logged before the read that made room for it waits for that read', () => {
  const cases = [
    { name: 'one page: the ninth write goes in once the page is read to its end', cap: 4096,
      steps: [...Array(8).fill(['w', 512]), ['w', 512], ...Array(8).fill(['r', 512])],
      pending: [1, 1, 1, 1, 1, 1, 1, 1, 0], slots: [[0, 512]] },
    { name: 'sixteen pages of 3,000 bytes: the seventeenth write takes the slot the first read frees', cap: 65536,
      steps: [...Array(16).fill(['w', 3000]), ['w', 3000], ['r', 3000]],
      pending: [1, 0], slots: Array(16).fill([0, 3000]) },
    { name: 'a read of bytes whose write is pending puts the write in first', cap: 4096,
      steps: [['w', 4096], ['w', 100], ['r', 4096], ['r', 100]], pending: [1, 0, 0], slots: [] },
  ];
  for (const c of cases) {
    const p = newPages(c.cap, 4096);
    const pend = [];
    for (const [op, n] of c.steps) {
      assert.ok(op === 'w' ? logWrite(p, n) : logRead(p, n), `${c.name}: ${op} ${n}`);
      if (pend.length || p.pending.length) pend.push(p.pending.length);
    }
    assert.deepEqual(pend, c.pending, c.name);
    assert.deepEqual(p.bufs.map((b) => [b.off, b.len]), c.slots, c.name);
  }
});

test('a replay that cannot follow gives up', () => {
  const p = newPages(4096, 4096);
  assert.equal(logRead(p, 1), false, 'a read of a byte never written');
  // The kernel puts a write of more than a page in by parts, between
  // reads the log shows only after the whole write.
  assert.equal(logWrite(newPages(8192, 4096), 6000), false, 'a write of more than a page');
  const q = newPages(4096, 4096);
  let ok = true;
  for (let i = 0; i < 70; i++) ok = logWrite(q, 4096);
  assert.equal(ok, false, 'seventy whole pages pending in a one-page pipe');
});

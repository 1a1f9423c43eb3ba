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

// One sentence per event, for the line under the stage and the log.

import { num, bytes, ms } from './dom.js';
import { simpleName } from './names.js';
import { signals } from './kernel.js';
import { isValue, kindOf } from './model.js';

const level = (e) => (e.fill !== undefined ? (e.cap ? `; now ${num(e.fill)} of ${num(e.cap)}` : `; now ${num(e.fill)}`) : '');
const msg = (e) => (e.msg ? `message ${e.msg}` : 'data');
const extra = (e) => [e.prio !== undefined ? `priority ${e.prio}` : '', e.type !== undefined ? `type ${e.type}` : '']
  .filter(Boolean).join(', ');
const paren = (t) => (t ? ` (${t})` : '');
// What a socket sender's own side holds after a send (SIOCOUTQ): on TCP
// bytes not yet acknowledged, on a Unix socket the kernel memory its
// unread messages take, which is what SO_SNDBUF limits.
const outq = (e) => {
  const a = e.attrs || {};
  if (a.outq === undefined) return '';
  if ((e.obj_kind || kindOf(e.obj)) === 'tcp') return `; ${num(a.outq)} bytes sent are not yet acknowledged`;
  return `; its send buffer holds ${num(a.outq)}${a.sndbuf ? ` of ${num(a.sndbuf)}` : ''} bytes of kernel memory, bookkeeping included`;
};

const SAY = {
  session: (e) => {
    switch (e.state) {
      case 'starting': return 'the server sets up the session';
      case 'running': return 'the session runs';
      case 'finished': return 'the session finished';
      case 'failed': return `the session failed${e.result && e.result.error ? ': ' + e.result.error : ''}`;
      case 'stopped': return `the session was stopped${e.result && e.result.stopped ? ': ' + e.result.stopped : ''}`;
    }
    return `session ${e.state}`;
  },
  spawn: (e) => `${e.peer || 'the server'} started ${e.proc} (pid ${e.pid})`,
  exit: (e) => (e.sig ? `${e.proc} (pid ${e.pid}) was killed by ${e.sig}`
    : e.code !== undefined ? `${e.proc} (pid ${e.pid}) exited with code ${e.code}` : `${e.proc} (pid ${e.pid}) ended; how is not known`),
  open: (e) => e.call === 'inherited'
    ? `${e.proc} holds the ${(e.attrs && e.attrs.end) || ''} end of ${e.obj}: inherited across fork and exec, no call needed`
    : `${e.proc} opened ${e.obj} with ${e.call}()${e.cap ? `, capacity ${bytesOrCount(e)}` : ''}`,
  close: (e) => `${e.proc} closed ${e.attrs && e.attrs.end ? `its ${e.attrs.end} end of ` : ''}${e.obj}`,
  unlink: (e) => (e.proc ? `${e.proc} removed ${e.obj}` : `the server removed ${e.obj}`),
  write: (e) => {
    if (isValue(e) && e.attrs && e.attrs.op) return `${e.proc} added to the counter with ${e.attrs.op}: now ${num(e.value)}`;
    if (isValue(e)) return `${e.proc} stored ${num(e.value)} to the counter (${num(e.bytes)} bytes at offset ${e.offset} of ${e.obj})${overwrote(e)}`;
    return e.offset !== undefined
      ? `${e.proc} wrote ${num(e.bytes)} bytes at offset ${e.offset} of ${e.obj}`
      : `${e.proc} wrote ${msg(e)} (${num(e.bytes)} bytes) into ${e.obj}${level(e)}`;
  },
  read: (e) => {
    if (!e.bytes && e.text) return `${e.proc}: ${e.text}`;
    if (isValue(e)) return `${e.proc} loaded the counter: ${num(e.value)} (${num(e.bytes)} bytes at offset ${e.offset} of ${e.obj})`;
    if (e.offset !== undefined) return `${e.proc} read ${num(e.bytes)} bytes at offset ${e.offset} of ${e.obj}`;
    return `${e.proc} read ${msg(e)} (${num(e.bytes)} bytes) from ${e.obj}${level(e)}`;
  },
  send: (e) => `${e.proc} sent ${msg(e)}${paren(extra(e))} into ${e.obj}${level(e)}${outq(e)}`,
  recv: (e) => `${e.proc} received ${msg(e)}${paren(extra(e))} from ${e.obj}${level(e)}`,
  block: (e) => (e.attrs?.purpose === 'start_line'
    ? `${e.proc} waits at the start line (${e.call}()${on(e)}) until every worker has arrived: then all start at once`
    : `${e.proc} is blocked in ${e.call}()${on(e)}: the kernel makes it wait`),
  unblock: (e) => `${e.proc} returned from ${e.call}()${e.attrs && e.attrs.waited_ns ? ` after waiting ${ms(e.attrs.waited_ns)} ms` : ''}`,
  ready: (e) => `${e.proc} waits for a step before ${e.call}()${on(e)}`,
  sleep: (e) => `${e.proc} sleeps${e.attrs && e.attrs.ns ? ` ${ms(e.attrs.ns)} ms` : ''} for the slow pace${e.call ? `, then calls ${e.call}()` : ''}`,
  wait: (e) => `${e.proc} passed wait (P) on ${e.obj}: value ${e.value ?? '?'}`,
  post: (e) => `${e.proc} posted (V) ${e.obj}: value ${e.value ?? '?'}${e.waiters !== undefined ? `, ${e.waiters} waiting` : ''}`,
  signal: (e) => `${e.proc} sent ${sig(e)} to ${e.peer}`,
  deliver: (e) => `${e.proc}'s handler for ${sig(e)} ran`,
  connect: (e) => `${e.proc} connected to ${e.peer || e.obj}`,
  accept: (e) => `${e.proc} accepted a connection${e.peer ? ' from ' + e.peer : ''} on ${e.obj}`,
  lost: (e) => `${msg(e)} sent on ${e.obj} never arrived`,
  error: (e) => `${e.proc || 'a process'}: ${e.call}() failed: ${e.error}${paren(e.errno)}`,
  deadlock: (e) => e.text || 'deadlock: the processes wait for each other in a cycle',
  sample: (e) => (e.attrs && e.attrs.sig_pending && !e.obj
    ? `the kernel reports the signals pending for ${e.proc}: ${e.attrs.sig_pending.length ? signals(e.attrs.sig_pending) : 'none'}`
    : `the kernel reports ${e.obj}: ${[e.fill !== undefined ? `fill ${e.fill}` : '', e.value !== undefined ? `value ${e.value}` : '', e.waiters !== undefined ? `${e.waiters} waiting` : ''].filter(Boolean).join(', ')}`),
  note: (e) => e.text,
  pace: (e) => {
    const a = e.attrs || {};
    if (a.action === 'speed') return `the presenter set the speed to ${a.speed}×`;
    return a.paused ? 'the presenter paused the processes' : 'the presenter resumed the processes';
  },
};

// overwrote says what a store replaced, when another process had stored
// in between its load and its store.
function overwrote(e) {
  const a = e.attrs || {};
  if (a.overwrote === undefined || a.loaded === undefined) return '';
  const lost = a.overwrote - a.loaded;
  if (lost > 0) return `, over ${num(a.overwrote)}: it had loaded ${num(a.loaded)}, so ${lost === 1 ? 'an addition is' : `${num(lost)} additions are`} lost`;
  return `, setting it back from ${num(a.overwrote)}`;
}

// on names the object of a call, if it has one: a signal receiver's
// read() is on no object of the session.
const on = (e) => (e.obj ? ` on ${e.obj}` : '');

function bytesOrCount(e) {
  return /^(pipe|fifo|unix|tcp|udp|shm)/.test(e.obj || '') ? bytes(e.cap) : `${num(e.cap)}`;
}

function sig(e) {
  const a = e.attrs || {};
  return a.name || (a.signo ? `signal ${a.signo}` : 'a signal');
}

// sentence describes an event in words a student understands.
export function sentence(e) {
  const f = SAY[e.kind];
  // Objects are called by the names the code uses.
  if (f && e.obj) { const obj = simpleName(e.obj); if (obj !== e.obj) e = { ...e, obj }; }
  return f ? f(e) : e.text || e.kind;
}

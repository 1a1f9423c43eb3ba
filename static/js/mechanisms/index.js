// One descriptor per mechanism: the drawing that shows it (each module
// draws one family of objects and gives the kernel panel its rows) and the
// code snippet beside it (static/js/snippets/NAME.js). GET /api/scenarios
// names a scenario's mechanism. Adding a mechanism is its drawing module,
// its snippet and one line here.

import pipe from './pipe.js';
import queue from './queue.js';
import shm from './shm.js';
import sem from './sem.js';
import deadlock from './deadlock.js';
import socket from './socket.js';
import signal from './signal.js';
import compare from './compare.js';
import generic from './generic.js';

// snippet may be a function of the session's parameters.
const MECHANISMS = {
  pipe: { draw: pipe, snippet: 'pipe' },
  fifo: { draw: pipe, snippet: 'fifo' },
  'mq-posix': { draw: queue, snippet: 'mq-posix' },
  'mq-sysv': { draw: queue, snippet: 'mq-sysv' },
  'shm-posix': { draw: shm, snippet: 'shm' },
  'shm-sysv': { draw: shm, snippet: 'shm' },
  race: { draw: shm, snippet: 'race' },
  semaphore: { draw: sem, snippet: 'sem' },
  deadlock: { draw: deadlock, snippet: 'deadlock' },
  'socket-unix': { draw: socket, snippet: (p) => (p.mode === 'datagram' ? 'unix-dgram' : 'unix-stream') },
  'socket-tcp': { draw: socket, snippet: 'socket' },
  'socket-udp': { draw: socket, snippet: 'udp' },
  signal: { draw: signal, snippet: 'signal' },
  compare: { draw: compare, snippet: '' },
};

// mechanism returns the drawing for a mechanism name; an unknown one gets
// the generic drawing (objects as labelled boxes with their numbers).
export const mechanism = (name) => (MECHANISMS[name] || { draw: generic }).draw;

// snippetOf names the snippet file of a mechanism, for a session's
// parameters; '' if it has none.
export function snippetOf(name, params = {}) {
  const m = MECHANISMS[name];
  if (!m || !m.snippet) return '';
  return typeof m.snippet === 'function' ? m.snippet(params) : m.snippet;
}

// KERNEL is the kernel panel's sections, in the order it lists them, from
// the drawings: a session may hold objects of several families (a race's
// segment and lock).
export const KERNEL = [pipe, queue, shm, sem, socket].flatMap((m) => m.kernel);

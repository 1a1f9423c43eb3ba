// Which drawing each mechanism gets. GET /api/scenarios names a
// scenario's mechanism; each module below draws one family of objects.

import pipe from './pipe.js';
import queue from './queue.js';
import shm from './shm.js';
import sem from './sem.js';
import deadlock from './deadlock.js';
import socket from './socket.js';
import signal from './signal.js';
import compare from './compare.js';
import generic from './generic.js';

const BY_NAME = {
  pipe, fifo: pipe,
  'mq-posix': queue, 'mq-sysv': queue,
  'shm-posix': shm, 'shm-sysv': shm, race: shm,
  semaphore: sem,
  deadlock,
  'socket-unix': socket, 'socket-tcp': socket, 'socket-udp': socket,
  signal,
  compare,
};

// mechanism returns the drawing for a mechanism name; an unknown one gets
// the generic drawing (objects as labelled boxes with their numbers).
export const mechanism = (name) => BY_NAME[name] || generic;

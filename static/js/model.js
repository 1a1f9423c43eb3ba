// The model: what the events have said so far, and nothing else. Every
// number the page shows is read from here, and every field here was set by
// an event (pid, fill, cap, value, waiters, code, signal).

import { newPages, logWrite, logRead } from './pipepages.js';

export const TERMINAL = ['finished', 'failed', 'stopped'];

// kindOf names an object's family from its label ("mq:/x" -> "mq"), for a
// recording made before events carried obj_kind.
export const kindOf = (label) => (label || '').split(':')[0];

export class Model {
  constructor() { this.reset(); }

  reset() {
    this.session = { id: '', scenario: '', params: {}, pace: '', state: 'idle', result: null, paused: false, speed: 1 };
    this.procs = new Map();
    this.objs = new Map();
    this.count = { events: 0, sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, lost: 0, blocks: 0, errors: 0 };
    this.seq = 0;
    this.t = 0;
    this.deadlock = null;
    this.note = null;
    this.last = null;
    // moments: the instants the server marked, as they were shown.
    this.moments = [];
    // The compare scenarios' figures: each finished cell's attrs, and the
    // cell running now.
    this.measures = [];
    this.progress = null;
  }

  // snapshot copies everything the events have said so far; restore puts
  // such a copy back. Stepping back in a session restores one and applies
  // the events after it.
  snapshot() {
    const { session, procs, objs, count, seq, t, deadlock, note, last, moments, measures, progress } = this;
    return structuredClone({ session, procs, objs, count, seq, t, deadlock, note, last, moments, measures, progress });
  }

  restore(snap) { Object.assign(this, structuredClone(snap)); }

  get ended() { return TERMINAL.includes(this.session.state); }

  proc(name) {
    let p = this.procs.get(name);
    if (!p) {
      p = { name, index: this.procs.size, role: '', pid: 0, state: 'starting', call: '', obj: '', code: null, sig: '',
        startedBy: '', since: 0, bell: null, handler: null, error: null, ops: 0, holds: new Map() };
      this.procs.set(name, p);
    }
    return p;
  }

  // obj is the object a label names, made at its first mention; kind is
  // the event's obj_kind.
  obj(label, kind) {
    let o = this.objs.get(label);
    if (!o) {
      o = { label, kind: kind || kindOf(label), cap: null, fill: null, value: null, waiters: null, gone: false, eof: false,
        items: [], cells: new Map(), ends: new Map(), blocked: new Set(), conns: [], lost: [], lostCount: 0, writes: 0,
        opener: '', attrs: {}, last: null, pages: null, fillAt: 0 };
      this.objs.set(label, o);
    }
    return o;
  }

  // apply folds one event into the model. Events arrive in seq order.
  apply(e) {
    // The stream promises every seq once, in order; say so loudly if not.
    if (e.seq !== this.seq + 1) console.error(`event ${e.seq} came after ${this.seq}: the stream skipped or repeated events`);
    this.seq = e.seq;
    this.t = Math.max(this.t, e.t || 0);
    this.count.events++;
    this.last = e;
    // A moment names what just happened; it changes nothing itself.
    if (e.kind === 'moment') { handlers.moment.call(this, e); return; }
    const p = e.proc ? this.proc(e.proc) : null;
    if (p) {
      if (e.pid) p.pid = e.pid;
      // Any call a process reports means it is running again: it was
      // stepped, or its pause ended. A sample is the server's reading of
      // an object the process holds, not a call of the process: a process
      // ready for its step stays ready.
      if (e.kind !== 'sample' && (p.state === 'ready' || p.state === 'sleeping' || p.state === 'starting')) p.state = 'running';
      // A process waiting for its child makes no call until the child has
      // ended; should it report one, it is running again. Its readings of
      // the objects it holds, and notes, say nothing of that.
      if (p.state === 'waiting' && e.kind !== 'sample' && e.kind !== 'note') stopWaiting(p);
      p.ops++;
    }
    const o = e.obj ? this.obj(e.obj, e.obj_kind) : null;
    if (o) {
      if (e.cap) o.cap = e.cap;
      // fillAt is the seq of the kernel's last count: a busy pipe's calls
      // carry one only now and then (docs/API.md, fill).
      if (e.fill !== undefined) { o.fill = e.fill; o.fillAt = e.seq; }
      if (e.value !== undefined) o.value = e.value;
      if (e.waiters !== undefined) { o.waiters = e.waiters; o.waitersAt = e.seq; }
      // A port's drop count, as the kernel keeps it (SO_RXQ_OVFL with a
      // receive, sock_diag in a reading): datagrams dropped for want of
      // room, seen as they happen.
      if (e.attrs && typeof e.attrs.drops === 'number') o.drops = e.attrs.drops;
      if (e.kind !== 'sample') o.last = e;
    }
    const fn = handlers[e.kind];
    if (fn) fn.call(this, e, p, o);
  }
}

// One handler per event kind; each reads only its event.
const handlers = {
  session(e) {
    const s = this.session;
    if (e.state) s.state = e.state;
    const a = e.attrs || {};
    if (e.state === 'starting') {
      s.id = a.id || s.id;
      s.scenario = a.scenario || s.scenario;
      s.params = a.params || {};
      s.pace = a.pace || '';
      s.pageSize = a.page_size || 0;
      for (const pr of a.procs || []) {
        const p = this.proc(pr.name);
        p.role = pr.role || '';
        p.startedBy = pr.started_by || '';
      }
      for (const ob of a.objects || []) this.obj(ob.label).attrs.kind = ob.kind;
    }
    if (e.result) s.result = e.result;
    if (TERMINAL.includes(e.state)) {
      for (const p of this.procs.values()) if (p.state === 'ready' || p.state === 'sleeping') p.state = 'running';
    }
  },
  spawn(e, p) { p.state = 'running'; p.since = e.t; if (e.peer) p.startedBy = e.peer; },
  exit(e, p) {
    // Whoever waited for this process to end is running again; a parent
    // waiting for another child has one fewer left.
    for (const q of this.procs.values()) {
      if (q.state !== 'waiting') continue;
      if (q.waitsFor === p.name) stopWaiting(q);
      else if (p.startedBy === q.name && q.waitMore > 0) q.waitMore--;
    }
    // The first of a reported cycle the server kills is its victim: the
    // kill broke the cycle (the others' events wait behind its exit).
    const d = this.deadlock;
    if (d && !d.brokenBy && e.attrs?.ended_by === 'server' && d.cycle.some((c) => c.proc === p.name)) d.brokenBy = p.name;
    p.state = 'exited';
    p.code = e.code ?? null;
    p.sig = e.sig || '';
    // The server killed it to end the session (a stop, the time limit,
    // or another process's loss), not someone from outside.
    p.byServer = Boolean(e.attrs && e.attrs.ended_by === 'server');
    p.call = '';
    // A process that ends holds nothing: semaphore undo gives its
    // permits back.
    p.holds.clear();
    // The kernel closes every descriptor of a process that ends; an
    // anonymous pipe whose last descriptor closes is freed.
    for (const o of this.objs.values()) {
      o.blocked.delete(p.name);
      if (o.ends.delete(p.name) && o.kind === 'pipe' && o.ends.size === 0) o.gone = true;
    }
  },
  open(e, p, o) {
    o.gone = false;
    // A pipe is made by pipe2, a FIFO opened by open: from then on its
    // writes and reads are replayed on the kernel's page slots.
    // A FIFO nobody holds open has no pipe behind it: the next open
    // starts an empty one.
    if (o.kind === 'fifo' && o.ends.size === 0 && o.pages) o.pages = null;
    if ((o.kind === 'pipe' || o.kind === 'fifo') && o.pages === null && e.cap > 0 && this.session.pageSize &&
      (e.call === 'pipe2' || e.call === 'open')) o.pages = newPages(e.cap, this.session.pageSize);
    if (!o.opener) o.opener = e.proc || '';
    if (e.attrs) Object.assign(o.attrs, e.attrs);
    const ends = endsOf(o, e);
    if (p && ends.length) {
      if (!o.ends.has(p.name)) o.ends.set(p.name, new Set());
      for (const end of ends) o.ends.get(p.name).add(end);
    }
  },
  // A sample of shared memory carries the segment's first bytes: the
  // cells take them, keeping who wrote them last. A sample of a process
  // carries the signals the kernel holds pending for it.
  sample(e, p, o) {
    if (p && !o && e.attrs && e.attrs.sig_pending) {
      p.sigPending = e.attrs.sig_pending;
      p.sigBlocked = e.attrs.sig_blocked || [];
      return;
    }
    // A TCP port's reading, split by connection: each cable's queues.
    if (o && e.attrs && Array.isArray(e.attrs.conns)) {
      for (const c of o.conns) {
        const q = e.attrs.conns.find((x) => x.client_port === c.port);
        c.queued = q ? { unread: q.unread || 0, unacked: q.unacked || 0, fin: !!q.fin_unread, seq: e.seq } : null;
      }
      return;
    }
    if (!o || o.kind !== 'shm' || !e.data) return;
    for (let i = 0; i * 2 < e.data.length && i < 4096; i++) {
      const prev = o.cells.get(i) || {};
      o.cells.set(i, { ...prev, byte: e.data.slice(i * 2, i * 2 + 2) });
    }
  },
  close(e, p, o) {
    if (!p || !o) return;
    // A socket's connection closed at one end: its cable says which.
    const c = e.peer && o.conns && o.conns.find((c) => (c.from === p.name && c.to === e.peer) || (c.to === p.name && c.from === e.peer));
    if (c && !(c.closedBy || []).includes(p.name)) c.closedBy = [...(c.closedBy || []), p.name];
    const end = e.attrs && e.attrs.end;
    const held = o.ends.get(p.name);
    if (end && held) held.delete(end);
    if (!end || (held && held.size === 0)) o.ends.delete(p.name);
    if (o.kind === 'pipe' && o.ends.size === 0) o.gone = true;
  },
  unlink(e, p, o) { if (o) o.gone = true; },
  write(e, p, o) { dataIn.call(this, e, p, o); },
  send(e, p, o) { dataIn.call(this, e, p, o); },
  read(e, p, o) { dataOut.call(this, e, p, o); },
  recv(e, p, o) {
    dataOut.call(this, e, p, o);
    // The bytes received left that connection's queue at the reader's
    // end; a receive of none took the FIN. The next reading says the rest.
    const c = o && e.peer && o.conns.find((x) => x.from === e.peer && x.to === e.proc);
    if (c && c.queued) {
      if (e.bytes) c.queued = { ...c.queued, unread: Math.max(0, c.queued.unread - e.bytes) };
      else if (c.queued.unread === 0) c.queued = { ...c.queued, fin: false };
    }
  },
  block(e, p, o) {
    p.state = 'blocked';
    p.call = e.call || '';
    p.callBytes = e.bytes || 0;
    // A System V receiver waits for a message of its own type.
    p.callType = e.type ?? null;
    p.obj = e.obj || '';
    p.since = e.t;
    if (o) o.blocked.add(p.name);
    // The race's start line is no lock of the lesson: its wait is not
    // counted with the blocks.
    if (e.attrs?.purpose !== 'start_line') this.count.blocks++;
  },
  unblock(e, p, o) {
    p.state = 'running';
    p.call = '';
    if (o) o.blocked.delete(p.name);
  },
  ready(e, p) { p.state = 'ready'; p.call = e.call || ''; p.obj = e.obj || ''; p.since = e.t; },
  // A "sleep" event (a process pausing for the session's pace) is drawn
  // as sleeping until its next call.
  sleep(e, p) { p.state = 'sleeping'; p.call = e.call || ''; p.obj = e.obj || ''; p.why = e.attrs?.reason || ''; },
  wait(e, p, o) { hold(p, o, +1); if (o) o.blocked.delete(p.name); },
  post(e, p, o) { hold(p, o, -1); },
  signal(e, p) {
    const target = e.peer ? this.proc(e.peer) : null;
    if (!target) return;
    // Sent, not yet handled: what may wait in the kernel for the target.
    const a = e.attrs || {};
    if (a.signo !== undefined) {
      target.sigSent = [...(target.sigSent || []), { signo: a.signo, name: sigName(e), value: a.value ?? null, marker: isMarker(e), seq: e.seq }];
      if (target.sigSent.length > 200) target.sigSent = target.sigSent.slice(-200);
    }
    // An end marker is counted apart from the signals it closes, and
    // leaves the bell and the handler badge showing the lesson's signal.
    if (isMarker(e)) { bump(target, 'markersFrom', e.proc); return; }
    target.bell = { seq: e.seq, name: sigName(e), from: e.proc };
    bump(target, 'signalsFrom', e.proc);
  },
  deliver(e, p) {
    const from = (e.attrs && e.attrs.from) || '';
    handled(p, e.attrs || {});
    if (isMarker(e)) { bump(p, 'markersHandledFrom', from); return; }
    p.handler = { seq: e.seq, name: sigName(e), from };
    bump(p, 'handledFrom', from);
  },
  connect(e, p, o) {
    if (!o) return;
    let c = o.conns.find((c) => c.from === e.proc && c.to === (e.peer || ''));
    if (c) c.connected = true;
    else { c = { from: e.proc, to: e.peer || '', seq: e.seq, connected: true }; o.conns.push(c); }
    // The client's port names its connection in the server's readings.
    if (e.attrs && e.attrs.local_port) c.port = e.attrs.local_port;
  },
  accept(e, p, o) {
    if (!o) return;
    const c = o.conns.find((c) => c.to === e.proc || c.from === e.peer);
    if (c) c.accepted = true;
    else o.conns.push({ from: e.peer || '', to: e.proc, seq: e.seq, accepted: true });
  },
  lost(e, p, o) {
    this.count.lost++;
    if (!o) return;
    takeItem(o, e.msg);
    // The list keeps the last few; the count keeps them all.
    o.lostCount++;
    o.lost.push({ msg: e.msg, seq: e.seq });
    if (o.lost.length > 20) o.lost.shift();
  },
  error(e, p) { this.count.errors++; if (p) p.error = { call: e.call, obj: e.obj, error: e.error, errno: e.errno, seq: e.seq }; },
  // A moment the lesson turns on: its name and its sentence, in order.
  moment(e) { this.moments.push({ seq: e.seq, t: e.t, name: e.name || '', text: e.text || '' }); },
  deadlock(e) { this.deadlock = { cycle: e.cycle || [], text: e.text || '', seq: e.seq }; },
  note(e, p) {
    this.note = { text: e.text, seq: e.seq };
    // Progress notes ("added 1 20 times of 200") carry the count done.
    const a = e.attrs || {};
    if (p && a.done !== undefined) { p.done = a.done; p.of = a.of; }
    // A parent that waits for a child to end sleeps until the child's exit.
    if (p && a.waits_for && p.state !== 'exited') startWaiting.call(this, p, a.waits_for, e.t);
  },
  measure(e) { this.measures.push(e.attrs || {}); this.progress = null; },
  progress(e) { this.progress = e.attrs || {}; },
  pace(e) {
    const a = e.attrs || {};
    if (a.paused !== undefined) this.session.paused = a.paused;
    if (a.speed !== undefined) { this.session.speed = a.speed; this.session.speedAt = e.seq; }
  },
};

// startWaiting puts p to sleep until its child called child ends. If other
// children of p still run, it will most likely wait for them in turn: the
// box says it waits for its children.
function startWaiting(p, child, t) {
  const c = this.procs.get(child);
  if (c && c.state === 'exited') return;
  p.state = 'waiting';
  p.waitsFor = child;
  p.call = '';
  p.since = t;
  p.waitMore = [...this.procs.values()].filter((q) => q.startedBy === p.name && q.name !== child &&
    q.state !== 'exited' && q.state !== 'starting').length;
}

function stopWaiting(p) {
  p.state = 'running';
  p.waitsFor = '';
  p.waitMore = 0;
}

// endsOf says which ends of an object an open gives its process: the one
// it names (a FIFO opened for writing, a pipe end inherited), both ends of
// a new pipe, or just "open".
function endsOf(o, e) {
  const a = e.attrs || {};
  if (a.end) return [a.end];
  if (o.kind === 'pipe') return ['read', 'write'];
  if (o.kind === 'fifo') return [];
  return ['open'];
}

// A write into shared memory counts as a message sent only when it
// carries one (a ring's slot), not when it is a counter's update.
const isMessage = (e) => e.offset === undefined || !!e.msg;

// isValue says whether a shared-memory access is a load or store of a
// shared variable: a value, no message.
export const isValue = (e) => e.offset !== undefined && e.value !== undefined && !e.msg;

function dataIn(e, p, o) {
  // A socket's send buffer, as the kernel counts it for this sender:
  // memory, bookkeeping included, against SO_SNDBUF.
  if (p && e.attrs && e.attrs.outq !== undefined) p.sndq = { used: e.attrs.outq, size: e.attrs.sndbuf || 0, obj: e.obj };
  if (isMessage(e)) {
    this.count.sent++;
    this.count.bytesSent += e.bytes || 0;
  }
  if (!o) return;
  o.writes++;
  if (p) addEnd(o, p.name, 'write');
  if (e.offset !== undefined) {
    // A store of a shared variable (the race's counter): the process's
    // own view of it, beside the load it made before.
    if (p && isValue(e)) {
      const a = e.attrs || {};
      p.reg = { loaded: a.loaded ?? p.reg?.loaded ?? null, stored: e.value, over: a.overwrote ?? null, atomic: Boolean(a.op), seq: e.seq };
    }
    mark(o, e, 'write');
    return;
  }
  // A replay that can no longer follow the kernel is dropped, and the
  // stage draws bytes only.
  if (o.pages && e.bytes > 0 && !logWrite(o.pages, e.bytes)) o.pages = false;
  o.items.push({ msg: e.msg, bytes: e.bytes || 0, prio: e.prio, type: e.type, proc: e.proc, seq: e.seq });
  if (o.items.length > 4096) o.items.splice(0, o.items.length - 4096);
}

function dataOut(e, p, o) {
  if (!o) return;
  if (p) addEnd(o, p.name, 'read');
  if (!e.bytes && e.text && e.offset === undefined) { o.eof = true; return; }
  if (isMessage(e)) {
    this.count.received++;
    this.count.bytesReceived += e.bytes || 0;
  }
  if (e.offset !== undefined) {
    if (p && isValue(e)) p.reg = { loaded: e.value, stored: null, over: null, atomic: false, seq: e.seq };
    mark(o, e, 'read');
    return;
  }
  if (o.pages && e.bytes > 0 && !logRead(o.pages, e.bytes)) o.pages = false;
  takeItem(o, e.msg);
}

function addEnd(o, name, end) {
  if (o.kind !== 'pipe' && o.kind !== 'fifo') return;
  if (!o.ends.has(name)) o.ends.set(name, new Set());
  o.ends.get(name).add(end);
}

// takeItem removes the message a receive got; without an id, the oldest.
function takeItem(o, msg) {
  const i = msg ? o.items.findIndex((it) => it.msg === msg) : 0;
  if (i >= 0 && o.items.length) o.items.splice(i, 1);
}

// mark records a shared-memory access in the cells it touched. data is a
// hex prefix of the bytes, so only those cells get a value.
function mark(o, e, op) {
  const hex = e.data || '';
  const n = Math.max(e.bytes || 0, hex.length / 2);
  for (let i = 0; i < n && i < 4096; i++) {
    const at = e.offset + i;
    const prev = o.cells.get(at) || {};
    const byte = i * 2 < hex.length ? hex.slice(i * 2, i * 2 + 2) : prev.byte;
    o.cells.set(at, { byte, writer: op === 'write' ? e.proc : prev.writer, op, seq: e.seq, proc: e.proc });
  }
  // A ring's slot holds a message from the write of it to its read; the
  // bytes stay in memory after, but the slot is free.
  const size = o.attrs && o.attrs.slot_bytes;
  if (size > 0 && e.msg) {
    const k = Math.floor(e.offset / size);
    if (!o.slotMsgs) o.slotMsgs = {};
    if (op === 'write') o.slotMsgs[k] = e.msg; else if (o.slotMsgs[k] === e.msg) delete o.slotMsgs[k];
  }
}

function hold(p, o, d) {
  if (!p || !o) return;
  const n = (p.holds.get(o.label) || 0) + d;
  if (n > 0) p.holds.set(o.label, n); else p.holds.delete(o.label);
}

// bump counts one more signal in a process's map by sender.
function bump(p, field, from) {
  if (!p[field]) p[field] = new Map();
  p[field].set(from, (p[field].get(from) || 0) + 1);
}

// handled takes a delivered signal off what its receiver was sent. A
// standard signal (below 32) has one pending slot: those of its number
// sent before the one handled, and not handled, merged into a pending one
// and are gone; so are all still waiting once the end marker, the highest
// number and so the last handed out, is handled.
function handled(p, a) {
  const sent = p.sigSent || [];
  const i = sent.findIndex((x) => x.signo === a.signo && x.value === (a.value ?? null));
  if (i < 0) return;
  const gone = sent.filter((x, j) => !x.marker && x.signo < 32 && (a.marker || (j < i && x.signo === a.signo)));
  p.sigSent = sent.filter((x, j) => j !== i && !gone.includes(x));
  if (gone.length) {
    p.sigMerged = [...(p.sigMerged || []), ...gone].slice(-50);
    p.sigMergedCount = (p.sigMergedCount || 0) + gone.length;
  }
}

// isMarker says whether a signal is a scenario's end marker rather than
// one of the signals it counts.
const isMarker = (e) => !!(e.attrs && e.attrs.marker);

function sigName(e) {
  const a = e.attrs || {};
  return a.name || (a.signo ? `signal ${a.signo}` : 'signal');
}

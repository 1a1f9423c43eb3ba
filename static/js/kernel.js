// The kernel panel: the session's live objects and processes the way the
// usual tools list them (ps, ipcs, ls /dev/shm and /dev/mqueue, ss), with
// the numbers the events carried.

import { num } from './dom.js';
import { KERNEL } from './mechanisms/index.js';

const STAT = { running: 'R', blocked: 'S', waiting: 'S', ready: 'S', sleeping: 'S', starting: '-' };

export class KernelPanel {
  constructor(pre) {
    this.pre = pre;
    this.last = 0;
    this.seq = -1;
    this.text = '';
  }

  // render redraws when the model has moved on, at most every 100 ms
  // while events stream in, and at once when the page is at rest, so the
  // panel and the stage show the same event (its number heads the panel).
  render(model, now, rest) {
    if (model.seq === this.seq || (!rest && now - this.last < 100)) return;
    this.last = now;
    this.seq = model.seq;
    const text = this.format(model);
    if (text !== this.text) { this.pre.textContent = text; this.text = text; }
  }

  format(model) {
    const out = [`# at event ${num(model.seq)}, as the stage shows it`, '$ ps -o pid,stat,wchan,comm   # the session\'s processes'];
    const rows = [['PID', 'STAT', 'WAITING IN', 'NAME']];
    for (const p of model.procs.values()) {
      if (p.state === 'exited') continue;
      const wait = p.state === 'blocked' ? `${p.call}() ${p.obj}` : p.state === 'waiting' ? `end of ${p.waitsFor}`
        : p.state === 'ready' ? 'step' : p.state === 'sleeping' ? (p.why || 'pace') : '-';
      rows.push([p.pid || '-', STAT[p.state] || '?', wait, p.name]);
    }
    out.push(...table(rows), rows.length === 1 ? '(none running)' : '', '');
    // Signals are no object: what waits for a process is in its status.
    const sig = [...model.procs.values()].filter((p) => p.sigPending && p.state !== 'exited');
    if (sig.length) {
      out.push('$ grep -E \'SigPnd|ShdPnd|SigBlk\' /proc/PID/status   # pending, blocked signals',
        ...table([['PID', 'PENDING', 'BLOCKED', 'NAME'], ...sig.map((p) => [p.pid || '-', signals(p.sigPending), signals(p.sigBlocked), p.name])]), '');
    }
    let any = sig.length > 0;
    for (const sec of KERNEL) {
      // Once the session has ended nothing of it is left: the server
      // removes what the processes did not, and a socket goes with the
      // last process that held it.
      if (model.ended) break;
      const objs = [...model.objs.values()].filter((o) => sec.kinds.includes(o.kind) && !o.gone);
      if (!objs.length) continue;
      any = true;
      out.push(sec.cmd, ...table([sec.cols.map((c) => c.toUpperCase()), ...objs.map((o) => sec.row(o, model))]), '');
    }
    if (!any) {
      out.push(model.objs.size ? 'every IPC object of this session is gone'
        : model.ended ? '(this session made no IPC object)' : 'no IPC object yet');
    }
    return out.join('\n');
  }
}

// signals lists signal numbers by name, as kill -l does (glibc's
// SIGRTMIN is 34).
export function signals(list) {
  if (!list || !list.length) return '-';
  return list.map((n) => signalName(n).replace(/^SIG/, '')).join(',');
}

const STD_SIGNALS = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 13: 'SIGPIPE',
  14: 'SIGALRM', 15: 'SIGTERM', 17: 'SIGCHLD' };

// signalName names a signal number as Linux with glibc does.
export function signalName(n) {
  if (STD_SIGNALS[n]) return STD_SIGNALS[n];
  if (n === 64) return 'SIGRTMAX';
  if (n >= 34) return `SIGRTMIN+${n - 34}`;
  return String(n);
}

// table aligns rows in columns, like the tools do.
function table(rows) {
  const w = [];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] || 0, String(c).length); });
  return rows.map((r) => r.map((c, i) => String(c).padEnd(i === r.length - 1 ? 0 : w[i] + 2)).join(''));
}

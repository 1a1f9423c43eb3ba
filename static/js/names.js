// Names of kernel objects as a class reads them. The server names each
// object uniquely ("mq:/ipcpg.14603.f7b415f08f8b.queue") so that sessions
// never meet; the code panel calls it what a program would ("/demo").
// The stage and the sentences use that simple name; the kernel panel and
// the recording keep the real one, and the stage shows it on demand.

// CODE_NAME maps the server's suffix to the code's name where they differ.
const CODE_NAME = { queue: 'demo' };

// simpleName is the name the code panel uses for an object the server
// named uniquely: "mq:/ipcpg.14603.f7b415f08f8b.queue" is the code's
// "mq:/demo", "shm:/ipcpg.1.s1.counter" its "shm:/counter", a socket's
// file its base name. Other labels are already simple.
export function simpleName(label) {
  const m = /^([a-z-]+):\/ipcpg\.[^.]+\.[^.]+\.(.+)$/.exec(label || '');
  if (m) return `${m[1]}:/${CODE_NAME[m[2]] || m[2]}`;
  const u = /^unix:(?:.*\/)?([^/]+)$/.exec(label || '');
  if (u) return `unix:${u[1]}`;
  return label;
}

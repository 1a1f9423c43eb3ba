// How the kernel fills a pipe, replayed from its writes and reads, so the
// stage can draw the page slots a writer needs: the same rules as the
// server's internal/pipefill (fs/pipe.c). A pipe is a ring of page slots. A
// write adds to the last page in use only after the data there ends and
// only if what it adds fits there whole; otherwise it takes free slots, a
// page at a time. A read takes bytes from the oldest page and frees the
// slot only once that page is empty. The state is plain data, so the tape
// can clone it.

// newPages returns an empty pipe of cap bytes (F_GETPIPE_SZ, whole pages)
// with pages of page bytes. Each slot in use is { off, len }: the page
// holds unread bytes from off to off+len; the bytes before off were read.
export function newPages(cap, page) {
  return { page, slots: Math.max(1, Math.floor(cap / page)), bufs: [], pending: [] };
}

// write puts in up to n bytes as a write that may not wait would and
// returns how many went in: a write of at most a page goes in whole or
// not at all.
export function write(p, n) {
  if (n <= 0) return 0;
  let done = 0;
  const part = n % p.page;
  const last = p.bufs[p.bufs.length - 1];
  if (part > 0 && last && last.off + last.len + part <= p.page) {
    last.len += part;
    done = part;
  }
  while (done < n && p.bufs.length < p.slots) {
    const c = Math.min(p.page, n - done);
    p.bufs.push({ off: 0, len: c });
    done += c;
  }
  return done;
}

// read takes up to n bytes, oldest first, and returns how many it took.
export function read(p, n) {
  let got = 0;
  while (got < n && p.bufs.length) {
    const b = p.bufs[0];
    const c = Math.min(b.len, n - got);
    b.off += c;
    b.len -= c;
    got += c;
    if (b.len === 0) p.bufs.shift();
  }
  return got;
}

// unread is the bytes waiting (FIONREAD).
export const unread = (p) => p.bufs.reduce((n, b) => n + b.len, 0);

// fits says whether a write of n bytes, at most a page, goes in now.
export function fits(p, n) {
  if (p.bufs.length < p.slots) return true;
  const part = n % p.page;
  const last = p.bufs[p.bufs.length - 1];
  return part > 0 && last.off + last.len + part <= p.page;
}

// held is the bytes that were read but whose page is not freed yet: room
// the writer cannot use.
export const held = (p) => p.bufs.reduce((n, b) => n + b.off, 0);

// The log is causal for messages, not for room: a blocked writer's write
// can be logged before the read that made room for it, which the reader
// reported a moment later. So a write that does not fit whole waits in
// pending until reads have made room, as it did in the kernel. A replay
// that still cannot follow (a read of more than was written, too much
// pending) is given up: these return false, and the stage draws bytes.

const MOST_PENDING = 64;

// logWrite replays a logged write of n bytes. A write of more than a page
// goes in by parts as room appears, interleaved with reads in a way the log
// does not show: the replay gives up on it.
export function logWrite(p, n) {
  if (n <= 0) return true;
  if (n > p.page) return false;
  if (!p.pending.length && writeWhole(p, n)) return true;
  p.pending.push(n);
  return p.pending.length <= MOST_PENDING;
}

// logRead replays a logged read of n bytes.
export function logRead(p, n) {
  let got = read(p, n);
  // The read took bytes whose write is still pending: the write went
  // in first, so it goes in now, even into the read's own room.
  while (got < n && p.pending.length) {
    const w = p.pending.shift();
    if (write(p, w) !== w) return false;
    got += read(p, n - got);
  }
  while (p.pending.length && writeWhole(p, p.pending[0])) p.pending.shift();
  return got === n;
}

// writeWhole writes n bytes if they all go in, and says whether they did.
function writeWhole(p, n) {
  const saved = p.bufs.map((b) => ({ ...b }));
  if (write(p, n) === n) return true;
  p.bufs = saved;
  return false;
}

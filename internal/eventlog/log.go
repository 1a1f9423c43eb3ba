// Package eventlog records a session's events on disk: one file of JSON
// lines per session, appended by the session's owner, read by any number of
// viewers at their own offsets. Each event is encoded once, on its way in;
// every viewer, events.jsonl and a replay after a restart get those same
// bytes. A running session keeps only a bounded window of its newest events
// in memory, a finished one none, and a sparse index of offsets makes
// reading from seq N a seek rather than a scan.
package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Files of one recording, in its own directory.
const (
	eventsFile = "events.jsonl"
	indexFile  = "events.idx"
	metaFile   = "meta.json"
)

// indexEvery is how many events one index entry covers: reading from seq N
// seeks to the entry before it and skips at most this many lines.
const indexEvery = 64

// DefaultWindow is how many bytes of its newest events a running session
// keeps in memory for its live viewers.
const DefaultWindow = 1 << 20

// Log is one session's events. One goroutine, the session's owner, appends
// and commits; any goroutine reads.
type Log struct {
	dir string
	w   *os.File // the events file while the owner appends; nil once finished
	idx *os.File // the index file, appended by the owner; nil once closed

	// The owner's, touched by no other goroutine.
	pend     []byte  // encoded events not yet written
	pendOffs []int64 // offset of each pending event
	wsize    int64   // bytes written, committed or not
	wn       uint64  // events appended, committed or not
	window   int

	// mu guards the fields below. No I/O is done while it is held.
	mu       sync.Mutex
	n        uint64  // events committed: readable
	size     int64   // bytes committed
	sparse   []int64 // offset of event k*indexEvery+1
	win      []byte  // the newest committed events, from winStart
	winStart int64   // file offset of win[0]
	winOffs  []int64 // offset of each event in win, first is winFirst
	winFirst uint64  // seq of the first event in win
	done     bool    // the last event is committed; nothing follows
	users    int     // readers using w
	closing  bool    // w is to be closed when its last reader is done
	notify   chan struct{}
	meta     Meta
}

// create makes a new, empty log in dir.
func create(dir string, meta Meta, window int) (*Log, error) {
	f, err := os.OpenFile(filepath.Join(dir, eventsFile), os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	idx, err := os.OpenFile(filepath.Join(dir, indexFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("create recording index: %w", err)
	}
	if window <= 0 {
		window = DefaultWindow
	}
	return &Log{dir: dir, w: f, idx: idx, window: window, notify: make(chan struct{}), meta: meta}, nil
}

// Append adds one encoded event (a JSON object, no newline) after the
// others. It is read by nobody until Commit. Only the owner calls it.
func (l *Log) Append(encoded []byte) {
	l.pendOffs = append(l.pendOffs, l.wsize)
	l.pend = append(l.pend, encoded...)
	l.pend = append(l.pend, '\n')
	l.wsize += int64(len(encoded) + 1)
	l.wn++
}

// Pending is how many bytes were appended since the last commit.
func (l *Log) Pending() int { return len(l.pend) }

// Appended is how many events were appended so far, committed or not.
func (l *Log) Appended() uint64 { return l.wn }

// Commit writes what was appended since the last commit and makes it
// readable, waking every reader waiting for more. last says the final event
// is among them: the log is complete. Only the owner calls it.
func (l *Log) Commit(last bool) error {
	if len(l.pend) == 0 && !last {
		return nil
	}
	var werr error
	if len(l.pend) > 0 {
		if _, err := l.w.Write(l.pend); err != nil {
			werr = fmt.Errorf("write recording: %w", err)
		}
	}
	// The index entries for the events committed now, written outside mu.
	l.mu.Lock()
	first := l.n + 1
	l.mu.Unlock()
	var entries []byte
	for i, off := range l.pendOffs {
		if (first+uint64(i)-1)%indexEvery == 0 {
			entries = appendOffset(entries, off)
		}
	}
	if len(entries) > 0 && l.idx != nil {
		if _, err := l.idx.Write(entries); err != nil && werr == nil {
			werr = fmt.Errorf("write recording index: %w", err)
		}
	}

	l.mu.Lock()
	for i, off := range l.pendOffs {
		if (l.n+uint64(i))%indexEvery == 0 {
			l.sparse = append(l.sparse, off)
		}
	}
	if l.window > 0 {
		if len(l.win) == 0 {
			l.winStart, l.winFirst = l.size, l.n+1
		}
		l.win = append(l.growWindow(len(l.pend)), l.pend...)
		l.winOffs = append(l.winOffs, l.pendOffs...)
		l.trimWindowLocked()
	}
	l.n += uint64(len(l.pendOffs))
	l.size = l.wsize
	if last {
		l.done = true
		l.win, l.winOffs = nil, nil
	}
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()

	l.pend = l.pend[:0]
	l.pendOffs = l.pendOffs[:0]
	if last {
		l.pend, l.pendOffs = nil, nil
	}
	return werr
}

// growWindow returns the window with room for n more bytes. Its room is
// doubled as it fills, and once past a quarter of the window's size it
// takes at once the most it holds between trims: twice its size, and a
// commit. (append's own growth, a quarter at a time for large slices,
// would copy the window many times over on its way there.)
func (l *Log) growWindow(n int) []byte {
	if cap(l.win)-len(l.win) >= n {
		return l.win
	}
	room := max(2*cap(l.win), 64<<10)
	if room > l.window/4 {
		room = 2*l.window + n
	}
	room = max(room, len(l.win)+n)
	w := make([]byte, len(l.win), room)
	copy(w, l.win)
	return w
}

// trimWindowLocked drops the oldest events from the window once it holds
// twice its size, keeping about its size: the copy is paid once per window
// of events, not once per event.
func (l *Log) trimWindowLocked() {
	if len(l.win) <= 2*l.window {
		return
	}
	cut := 0
	for cut < len(l.winOffs) && l.winStart+int64(len(l.win))-l.winOffs[cut] > int64(l.window) {
		cut++
	}
	if cut >= len(l.winOffs) {
		cut = len(l.winOffs) - 1
	}
	drop := l.winOffs[cut] - l.winStart
	// In place: readers copy out of the window under mu, so none holds
	// a slice of it, and the memory is kept for the events to come.
	l.win = l.win[:copy(l.win, l.win[drop:])]
	l.winOffs = l.winOffs[:copy(l.winOffs, l.winOffs[cut:])]
	l.winStart += drop
	l.winFirst += uint64(cut)
}

// Batch is a run of encoded events read from a log.
type Batch struct {
	Lines  []byte // the events, each a JSON object ending in a newline
	Count  int    // how many events Lines holds
	Next   uint64 // the seq to read from next
	Done   bool   // nothing will ever follow Next-1
	Notify <-chan struct{}
	// At is where Next starts, for ReadAt: a reader that goes on from
	// where it stopped seeks straight there.
	At Cursor
}

// Cursor is a place in a log: a seq and, when known, the offset where
// that event starts.
type Cursor struct {
	Seq uint64
	off int64 // 0: not known
}

// From is the cursor of seq from, offset unknown.
func From(seq uint64) Cursor { return Cursor{Seq: seq} }

// Read returns up to most events from seq from on (1-based), at most about
// maxBytes of them (always at least one when one is there). Notify is closed
// when more events are committed, Done is true when the last event of the
// log is among those read or before them.
func (l *Log) Read(from uint64, most, maxBytes int) (Batch, error) {
	return l.ReadAt(From(from), most, maxBytes)
}

// ReadAt is Read from a cursor: one a Batch gave (At) saves the seek.
func (l *Log) ReadAt(c Cursor, most, maxBytes int) (Batch, error) {
	return l.AppendAt(nil, c, most, maxBytes)
}

// AppendAt is ReadAt appending the events to dst: the batch's Lines is dst
// with them after it, so a reader that reads again and again can reuse one
// buffer.
func (l *Log) AppendAt(dst []byte, c Cursor, most, maxBytes int) (Batch, error) {
	from := max(c.Seq, 1)
	l.mu.Lock()
	n, size, done, notify := l.n, l.size, l.done, l.notify
	b := Batch{Lines: dst, Next: from, Notify: notify}
	if from > n {
		b.Done = done
		l.mu.Unlock()
		return b, nil
	}
	if len(l.winOffs) > 0 && from >= l.winFirst {
		i := int(from - l.winFirst)
		j := min(len(l.winOffs), i+most)
		end := l.winStart + int64(len(l.win))
		for k := i + 1; k < j; k++ {
			if l.winOffs[k]-l.winOffs[i] > int64(maxBytes) {
				j = k
				break
			}
		}
		if j < len(l.winOffs) {
			end = l.winOffs[j]
		}
		b.Lines = append(dst, l.win[l.winOffs[i]-l.winStart:end-l.winStart]...)
		b.Count = j - i
		l.mu.Unlock()
		b.Next = from + uint64(b.Count)
		b.At = Cursor{Seq: b.Next, off: end}
		b.Done = done && b.Next > n
		return b, nil
	}
	var (
		start int64
		skip  int
	)
	if c.off > 0 && c.Seq == from {
		start = c.off
	} else {
		k := (from - 1) / indexEvery
		start = l.sparse[k]
		skip = int(from - 1 - k*indexEvery)
	}
	l.mu.Unlock()

	f, release, err := l.file()
	if err != nil {
		return b, err
	}
	var lines []byte
	var count int
	if skip == 0 {
		lines, count, err = readRun(f, start, size, most, maxBytes)
	} else {
		lines, count, err = readLines(f, start, size, skip, most, maxBytes)
	}
	release()
	if err != nil {
		return b, err
	}
	b.Count = count
	b.Next = from + uint64(count)
	if skip == 0 {
		b.At = Cursor{Seq: b.Next, off: start + int64(len(lines))}
	} else {
		b.At = From(b.Next)
	}
	if dst != nil {
		lines = append(dst, lines...)
	}
	b.Lines = lines
	b.Done = done && b.Next > n
	return b, nil
}

// readRun reads whole lines from off, where one starts: about maxBytes of
// them and at most most, in one read into the buffer it returns.
func readRun(r io.ReaderAt, off, limit int64, most, maxBytes int) ([]byte, int, error) {
	want := int64(maxBytes)
	for {
		want = min(want, limit-off)
		buf := make([]byte, want)
		m, err := r.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("read recording: %w", err)
		}
		buf = buf[:m]
		count, end := 0, 0
		for end < len(buf) && count < most {
			nl := bytes.IndexByte(buf[end:], '\n')
			if nl < 0 {
				break
			}
			end += nl + 1
			count++
		}
		if count > 0 || int64(m) >= limit-off {
			return buf[:end], count, nil
		}
		want *= 2 // one line longer than maxBytes: read it whole
	}
}

// readLines reads from off, skips skip lines, then returns up to max whole
// lines and about maxBytes of them, reading no further than limit.
func readLines(r io.ReaderAt, off, limit int64, skip, most, maxBytes int) ([]byte, int, error) {
	chunk := 64 << 10
	buf := make([]byte, 0, chunk)
	var out []byte
	count := 0
	for off < limit && count < most {
		want := int64(chunk)
		if off+want > limit {
			want = limit - off
		}
		if int64(cap(buf)) < want {
			buf = make([]byte, 0, want)
		}
		buf = buf[:want]
		m, err := r.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("read recording: %w", err)
		}
		buf = buf[:m]
		used := 0
		for used < len(buf) && count < most {
			nl := bytes.IndexByte(buf[used:], '\n')
			if nl < 0 {
				break
			}
			line := buf[used : used+nl+1]
			used += nl + 1
			if skip > 0 {
				skip--
				continue
			}
			if count > 0 && len(out)+len(line) > maxBytes {
				return out, count, nil
			}
			out = append(out, line...)
			count++
		}
		if used == 0 {
			if m == 0 {
				break
			}
			chunk *= 2 // a line longer than the buffer
			buf = make([]byte, 0, chunk)
			continue
		}
		off += int64(used)
	}
	return out, count, nil
}

// Len is how many events are committed.
func (l *Log) Len() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Size is how many bytes are committed.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Done reports whether the log is complete.
func (l *Log) Done() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// Meta returns what the log's recording says of its session.
func (l *Log) Meta() Meta {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.meta
	m.Events, m.Bytes = l.n, l.size
	return m
}

// WriteTo copies every committed event, as JSON lines, to w: the very bytes
// that were recorded.
func (l *Log) WriteTo(w io.Writer) (int64, error) {
	size := l.Size()
	f, release, err := l.file()
	if err != nil {
		return 0, err
	}
	defer release()
	return io.Copy(w, io.NewSectionReader(f, 0, size))
}

// Finish commits the last events, writes the recording's final description
// and closes the files the owner wrote. Readers keep reading from the file.
func (l *Log) Finish(meta Meta) error {
	err := l.Commit(true)
	if l.idx != nil {
		if cerr := l.idx.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	l.mu.Lock()
	l.idx = nil
	meta.Events, meta.Bytes = l.n, l.size
	l.meta = meta
	l.mu.Unlock()
	if merr := writeMeta(l.dir, meta); merr != nil && err == nil {
		err = merr
	}
	l.close()
	return err
}

// file gives a reader the events file, and the func that gives it back.
// While the session runs, that is the owner's own descriptor, kept open
// until its last reader is done with it; once it has ended, each reader
// opens the file for itself, so an ended recording holds no descriptor
// between reads however many there are.
func (l *Log) file() (*os.File, func(), error) {
	l.mu.Lock()
	if l.w != nil {
		f := l.w
		l.users++
		l.mu.Unlock()
		return f, func() {
			l.mu.Lock()
			l.users--
			last := l.users == 0 && l.closing
			l.mu.Unlock()
			if last {
				f.Close()
			}
		}, nil
	}
	l.mu.Unlock()
	f, err := os.Open(filepath.Join(l.dir, eventsFile))
	if err != nil {
		return nil, nil, fmt.Errorf("open recording: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// close releases the owner's descriptor of the events file, once no
// reader uses it.
func (l *Log) close() {
	l.mu.Lock()
	f := l.w
	l.w = nil
	l.closing = f != nil && l.users > 0
	l.mu.Unlock()
	if f != nil && !l.closing {
		f.Close()
	}
}

func appendOffset(dst []byte, off int64) []byte {
	u := uint64(off)
	return append(dst, byte(u), byte(u>>8), byte(u>>16), byte(u>>24), byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
}

func readOffsets(b []byte) []int64 {
	out := make([]int64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		u := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		out = append(out, int64(u))
	}
	return out
}

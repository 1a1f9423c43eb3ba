package eventlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// Meta is what a recording says of its session, beside its events.
type Meta struct {
	ID       string          `json:"id"`
	Scenario string          `json:"scenario"`
	Pace     string          `json:"pace,omitempty"`
	Code     string          `json:"code,omitempty"` // the join code students type
	Params   json.RawMessage `json:"params,omitempty"`
	Created  time.Time       `json:"created"`
	Ended    time.Time       `json:"ended,omitzero"`
	State    string          `json:"state"`
	Events   uint64          `json:"events"`
	Bytes    int64           `json:"bytes"`
	// Snapshot is the session resource as it stood at the end, so that a
	// recording read after a restart answers GET /api/sessions/{id} whole.
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
}

// Running reports whether the recording's session had not ended when its
// description was last written.
func (m Meta) Running() bool {
	switch m.State {
	case event.StateFinished, event.StateFailed, event.StateStopped:
		return false
	}
	return true
}

// Limits bound what the recordings may take; zero means no bound.
type Limits struct {
	MaxCount int
	MaxBytes int64
	MaxAge   time.Duration
}

// Store is the data directory: every recording, running or ended.
type Store struct {
	dir    string
	log    *slog.Logger
	lock   *os.File // held for the store's life: one server per directory
	window int

	closeOnce sync.Once
	closeErr  error

	// mu guards recs. No I/O is done while it is held.
	mu   sync.Mutex
	recs map[string]*entry
}

type entry struct {
	meta Meta
	log  *Log // open while running, or once read; nil until then
}

// validID reports whether id has the shape of a session id, 8 to 64
// lowercase hex digits; a directory of another name is not a recording.
// (A loop, not a regexp: the binary's every worker process would compile
// the regexp at its start, and this one, its 64 repeats unrolled, takes
// about a sixth of a millisecond.)
func validID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ErrLocked says another server uses the data directory.
var ErrLocked = errors.New("another server is using this data directory")

// Open opens the data directory dir, making it if need be. Recordings a
// server left running when it died are closed as they are: cut after their
// last whole event, with a last event saying the server stopped.
func Open(dir string, logger *slog.Logger, window int) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make data directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open data directory lock: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	st := &Store{dir: dir, log: logger, lock: lock, window: window, recs: map[string]*entry{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("read data directory: %w", err)
	}
	for _, de := range ents {
		if !de.IsDir() || !validID(de.Name()) {
			continue
		}
		m, err := loadRecording(filepath.Join(dir, de.Name()))
		if err != nil {
			logger.Warn("recording left out", "id", de.Name(), "err", err)
			continue
		}
		st.recs[m.ID] = &entry{meta: m}
	}
	return st, nil
}

// Close releases the data directory and every open recording.
func (st *Store) Close() error {
	st.mu.Lock()
	var logs []*Log
	for _, e := range st.recs {
		if e.log != nil {
			logs = append(logs, e.log)
		}
	}
	st.mu.Unlock()
	for _, l := range logs {
		l.close()
	}
	st.closeOnce.Do(func() { st.closeErr = st.lock.Close() })
	return st.closeErr
}

// Dir is the data directory.
func (st *Store) Dir() string { return st.dir }

// Create starts the recording of a new session.
func (st *Store) Create(meta Meta) (*Log, error) {
	if !validID(meta.ID) {
		return nil, fmt.Errorf("session id %q is not a recording name", meta.ID)
	}
	dir := filepath.Join(st.dir, meta.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make recording directory: %w", err)
	}
	meta.State = event.StateRunning
	if err := writeMeta(dir, meta); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	l, err := create(dir, meta, st.window)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	st.mu.Lock()
	st.recs[meta.ID] = &entry{meta: meta, log: l}
	st.mu.Unlock()
	return l, nil
}

// Ended notes that a recording is complete, with its final description.
func (st *Store) Ended(meta Meta) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e, ok := st.recs[meta.ID]; ok {
		e.meta = meta
	}
}

// Get returns the recording id, opening an ended one for reading.
func (st *Store) Get(id string) (*Log, Meta, bool) {
	st.mu.Lock()
	e, ok := st.recs[id]
	if !ok {
		st.mu.Unlock()
		return nil, Meta{}, false
	}
	if e.log != nil {
		l, m := e.log, e.meta
		st.mu.Unlock()
		return l, m, true
	}
	meta := e.meta
	st.mu.Unlock()

	l, err := openEnded(filepath.Join(st.dir, id), meta)
	if err != nil {
		st.log.Warn("open recording", "id", id, "err", err)
		return nil, Meta{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if e, ok := st.recs[id]; ok && e.log == nil {
		e.log = l
		return l, e.meta, true
	} else if ok {
		l.close()
		return e.log, e.meta, true
	}
	l.close()
	return nil, Meta{}, false
}

// List returns the recordings, newest first, from offset on, at most
// limit of them, and how many there are in all.
func (st *Store) List(offset, limit int) ([]Meta, int) {
	st.mu.Lock()
	all := make([]Meta, 0, len(st.recs))
	for _, e := range st.recs {
		m := e.meta
		if e.log != nil {
			lm := e.log.Meta()
			m.Events, m.Bytes = lm.Events, lm.Bytes
		}
		m.Snapshot = nil
		all = append(all, m)
	}
	st.mu.Unlock()
	slices.SortFunc(all, func(a, b Meta) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return bytes.Compare([]byte(b.ID), []byte(a.ID))
	})
	total := len(all)
	if offset >= total {
		return nil, total
	}
	return all[offset:min(total, offset+limit)], total
}

// FindCode returns the id of the recording whose join code is code.
func (st *Store) FindCode(code string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, e := range st.recs {
		if e.meta.Code == code {
			return id, true
		}
	}
	return "", false
}

// Bytes is how much the recordings take on disk, about.
func (st *Store) Bytes() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	var n int64
	for _, e := range st.recs {
		if e.log != nil {
			n += e.log.Size()
		} else {
			n += e.meta.Bytes
		}
	}
	return n
}

// Prune removes ended recordings, oldest first, while there are more than
// lim.MaxCount, they take more than lim.MaxBytes, or they are older than
// lim.MaxAge. Running sessions are never removed. It returns the ids
// removed.
func (st *Store) Prune(now time.Time, lim Limits) []string {
	st.mu.Lock()
	var ended []Meta
	count, total := 0, int64(0)
	for _, e := range st.recs {
		m := e.meta
		if e.log != nil {
			m.Bytes = e.log.Size()
		}
		count++
		total += m.Bytes
		if !m.Running() {
			ended = append(ended, m)
		}
	}
	slices.SortFunc(ended, func(a, b Meta) int { return a.Created.Compare(b.Created) })
	var drop []string
	for _, m := range ended {
		over := (lim.MaxCount > 0 && count > lim.MaxCount) || (lim.MaxBytes > 0 && total > lim.MaxBytes) ||
			(lim.MaxAge > 0 && now.Sub(m.Created) > lim.MaxAge)
		if !over {
			continue
		}
		drop = append(drop, m.ID)
		count--
		total -= m.Bytes
	}
	var closing []*Log
	for _, id := range drop {
		if e := st.recs[id]; e.log != nil {
			closing = append(closing, e.log)
		}
		delete(st.recs, id)
	}
	st.mu.Unlock()
	for _, l := range closing {
		l.close()
	}
	for _, id := range drop {
		if err := os.RemoveAll(filepath.Join(st.dir, id)); err != nil {
			st.log.Warn("remove recording", "id", id, "err", err)
		}
	}
	return drop
}

// Remove deletes the recording id, running or not: only for a session
// that never started.
func (st *Store) Remove(id string) error {
	st.mu.Lock()
	e, ok := st.recs[id]
	delete(st.recs, id)
	st.mu.Unlock()
	if !ok {
		return nil
	}
	if e.log != nil {
		if e.log.idx != nil {
			e.log.idx.Close()
		}
		e.log.close()
	}
	return os.RemoveAll(filepath.Join(st.dir, id))
}

func writeMeta(dir string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode recording description: %w", err)
	}
	tmp := filepath.Join(dir, metaFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write recording description: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, metaFile)); err != nil {
		return fmt.Errorf("write recording description: %w", err)
	}
	return nil
}

func readMeta(dir string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return m, fmt.Errorf("read recording description: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("recording description: %w", err)
	}
	if m.ID != filepath.Base(dir) {
		return m, fmt.Errorf("recording description names %q", m.ID)
	}
	return m, nil
}

// loadRecording reads a recording's description, and closes one its server
// left running (see recoverCut).
func loadRecording(dir string) (Meta, error) {
	m, err := readMeta(dir)
	if err != nil {
		return m, err
	}
	if m.Running() {
		return recoverCut(dir, m)
	}
	return m, nil
}

// StoppedText is the reason a recording cut by a crash gives.
const StoppedText = "the server stopped while this session ran (it was killed or crashed); the recording ends at its last whole event"

// recoverCut closes a recording whose server died while the session ran:
// it keeps the events up to the last whole line, adds the last event (the
// session stopped, and why), and rebuilds the index.
func recoverCut(dir string, m Meta) (Meta, error) {
	path := filepath.Join(dir, eventsFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return m, fmt.Errorf("open cut recording: %w", err)
	}
	defer f.Close()
	offs, end, last, err := scanWhole(f)
	if err != nil {
		return m, err
	}
	if err := f.Truncate(end); err != nil {
		return m, fmt.Errorf("cut recording: %w", err)
	}
	res, _ := json.Marshal(map[string]string{"stopped": StoppedText})
	term := event.Event{Seq: uint64(len(offs)) + 1, T: last.T, Kind: event.KindSession, State: event.StateStopped,
		Result: res}
	if last.Terminal() {
		term = last // it had ended; only its description was not written
	} else {
		line := append(event.AppendJSON(nil, &term), '\n')
		if _, err := f.WriteAt(line, end); err != nil {
			return m, fmt.Errorf("end cut recording: %w", err)
		}
		offs = append(offs, end)
		end += int64(len(line))
	}
	var idx []byte
	for i, off := range offs {
		if i%indexEvery == 0 {
			idx = appendOffset(idx, off)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, indexFile), idx, 0o600); err != nil {
		return m, fmt.Errorf("rebuild recording index: %w", err)
	}
	m.State, m.Events, m.Bytes = term.State, uint64(len(offs)), end
	if m.Ended.IsZero() {
		m.Ended = m.Created.Add(time.Duration(term.T))
	}
	if err := writeMeta(dir, m); err != nil {
		return m, err
	}
	return m, nil
}

// scanWhole finds the offset of every whole event in a recording, where the
// whole ones end, and the last one.
func scanWhole(f *os.File) (offs []int64, end int64, last event.Event, err error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, last, fmt.Errorf("read cut recording: %w", err)
	}
	var lastLine []byte
	for off := 0; off < len(b); {
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			break
		}
		line := b[off : off+nl]
		var e event.Event
		if json.Unmarshal(line, &e) != nil || e.Seq != uint64(len(offs))+1 {
			break
		}
		offs = append(offs, int64(off))
		lastLine = line
		off += nl + 1
		end = int64(off)
	}
	if lastLine != nil {
		_ = json.Unmarshal(lastLine, &last)
	}
	return offs, end, last, nil
}

// openEnded opens an ended recording for reading.
func openEnded(dir string, m Meta) (*Log, error) {
	f, err := os.Open(filepath.Join(dir, eventsFile))
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open recording: %w", err)
	}
	idx, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open recording index: %w", err)
	}
	sparse := readOffsets(idx)
	n := m.Events
	if want := int((n + indexEvery - 1) / indexEvery); len(sparse) < want || fi.Size() < m.Bytes {
		f.Close()
		return nil, fmt.Errorf("recording index or events shorter than its description says")
	}
	f.Close()
	l := &Log{dir: dir, n: n, size: m.Bytes, sparse: sparse, done: true, notify: make(chan struct{}), meta: m}
	close(l.notify)
	l.notify = make(chan struct{})
	return l, nil
}

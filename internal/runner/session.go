package runner

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// A session's state has one owner: the goroutine that runs its loop (see
// loop.go). Worker records, process exits, controls, kernel samples and
// timers reach it as messages on one channel; it never waits on a reader.
// What others may read is published: the events through the log, which
// any goroutine reads at its own offset, and the rest as a snapshot swapped
// in atomically after each turn of the loop.

// Session is one run of a scenario, or the recording of one.
type Session struct {
	ID       string
	Token    string
	Code     string // the join code students type
	Scenario string
	Pace     string
	Params   scenario.Values
	Created  time.Time

	log  *eventlog.Log
	snap atomic.Pointer[Snapshot]
	done chan struct{} // closed after the last event is committed

	// Set before the loop starts, read-only afterwards.
	plan   scenario.Plan
	start  int64  // CLOCK_MONOTONIC ns
	dir    string // the session's private directory
	runner *Runner
	cmds   map[string]*exec.Cmd
	// lastRec is closed, per process, once its last record (the done
	// record its worker writes after its role) has been read.
	lastRec map[string]chan struct{}

	in      chan any      // everything that changes the session, to its owner
	stopReq chan string   // asks the session to stop, with the reason
	ending  chan struct{} // closed once the session has begun to end
	endOnce sync.Once
	// busy is set while the event reader holds records it has not handed
	// to the owner yet, so an exit is not taken before them.
	busy   atomic.Bool
	chunks chan records       // chunks of records the owner has taken, for the reader to fill again
	events chan struct{}      // closed when the event pipe hits end of file
	evR    *os.File           // the event pipe's read end
	cancel context.CancelFunc // kills every process of the session

	stopSampling context.CancelFunc
	sampling     chan struct{}                 // closed when the sampler has returned
	inetList     atomic.Pointer[[]inetObj]     // ports the sampler reads, published by the owner
	watchList    atomic.Pointer[[]watchedProc] // processes whose pending signals the sampler reads, published by the owner

	// viewers counts the open streams; lastSeen is when a viewer or the
	// presenter was last heard from (unix ns), for abandoned sessions.
	viewers  atomic.Int64
	lastSeen atomic.Int64

	own owned // the owner's alone
}

// Snapshot is the session resource of GET /api/sessions/{id}.
type Snapshot struct {
	ID        string          `json:"id"`
	Scenario  string          `json:"scenario"`
	State     string          `json:"state"`
	Pace      string          `json:"pace"`
	Paused    bool            `json:"paused"`
	Speed     float64         `json:"speed"`
	Params    scenario.Values `json:"params"`
	Processes []ProcInfo      `json:"processes"`
	Events    int             `json:"events"`
	Result    map[string]any  `json:"result"`
	Created   time.Time       `json:"created"`
	Ended     *time.Time      `json:"ended,omitempty"`
	JoinCode  string          `json:"join_code,omitempty"`
	Viewers   int             `json:"viewers"`
}

// Snapshot returns the session's state as of the owner's last turn.
func (s *Session) Snapshot() Snapshot {
	snap := *s.snap.Load()
	snap.Events = int(s.log.Len())
	snap.Viewers = int(s.viewers.Load())
	return snap
}

// State returns the session's state.
func (s *Session) State() string { return s.snap.Load().State }

// Done is closed once the session has ended and cleaned up.
func (s *Session) Done() <-chan struct{} { return s.done }

// Log is the session's event log: every viewer reads it at its own offset.
func (s *Session) Log() *eventlog.Log { return s.log }

// Events returns the events from seq from on (1-based), decoded, a channel
// closed when more arrive, and whether the log is complete. The stream
// serves the log's bytes; this is for the server's own readers and tests.
func (s *Session) Events(from uint64) ([]event.Event, <-chan struct{}, bool) {
	var out []event.Event
	for {
		b, err := s.log.Read(from, 4096, 8<<20)
		if err != nil {
			return out, b.Notify, false
		}
		out = appendDecoded(out, b.Lines)
		if b.Count == 0 || b.Done {
			return out, b.Notify, b.Done
		}
		from = b.Next
	}
}

// appendDecoded decodes JSON lines into events.
func appendDecoded(out []event.Event, lines []byte) []event.Event {
	for len(lines) > 0 {
		i := 0
		for i < len(lines) && lines[i] != '\n' {
			i++
		}
		var e event.Event
		if json.Unmarshal(lines[:i], &e) == nil {
			out = append(out, e)
		}
		if i < len(lines) {
			i++
		}
		lines = lines[i:]
	}
	return out
}

// Viewing notes a viewer's stream opened; the func it returns notes it
// closed.
func (s *Session) Viewing() func() {
	s.viewers.Add(1)
	s.seen()
	return func() {
		s.viewers.Add(-1)
		s.seen()
	}
}

// seen notes that someone looked at or drove the session just now.
func (s *Session) seen() { s.lastSeen.Store(time.Now().UnixNano()) }

// Stop asks the session to end now: its processes are killed and its
// objects removed. It returns at once; Done tells when it is over.
func (s *Session) Stop(why string) {
	select {
	case s.stopReq <- why:
	default:
	}
}

// recorded makes the session of a recording read back from disk: its log
// and its last snapshot, nothing running.
func recorded(l *eventlog.Log, m eventlog.Meta) *Session {
	s := &Session{ID: m.ID, Code: m.Code, Scenario: m.Scenario, Pace: m.Pace, Created: m.Created, log: l, done: make(chan struct{})}
	var snap Snapshot
	if len(m.Snapshot) == 0 || json.Unmarshal(m.Snapshot, &snap) != nil {
		snap = Snapshot{ID: m.ID, Scenario: m.Scenario, Pace: m.Pace, Created: m.Created, Processes: []ProcInfo{}}
	}
	snap.State = m.State
	if snap.Result == nil {
		snap.Result = map[string]any{}
	}
	if !m.Ended.IsZero() {
		ended := m.Ended
		snap.Ended = &ended
	}
	_ = json.Unmarshal(m.Params, &s.Params)
	snap.Params = s.Params
	s.snap.Store(&snap)
	close(s.done)
	return s
}

// publish swaps in the snapshot of the owner's state. Only the owner calls
// it.
func (s *Session) publish() {
	o := &s.own
	res := o.result
	if res == nil {
		res = map[string]any{}
	}
	snap := &Snapshot{ID: s.ID, Scenario: s.Scenario, State: o.state, Pace: s.Pace, Paused: o.paused, Speed: o.speed,
		Params: s.Params, Processes: o.procs.copy(), Result: maps.Clone(res), Created: s.Created, JoinCode: s.Code}
	if !o.finished.IsZero() {
		ended := o.finished
		snap.Ended = &ended
	}
	s.snap.Store(snap)
}

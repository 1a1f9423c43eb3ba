package runner

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// Process states, as the session resource and the page show them.
const (
	ProcStarting = "starting"
	ProcRunning  = "running"
	ProcBlocked  = "blocked"
	ProcReady    = "ready"    // step mode: waiting for the presenter
	ProcSleeping = "sleeping" // slow pace: pausing before its next call
	ProcExited   = "exited"
)

// ProcInfo is one process of a session as the server knows it.
type ProcInfo struct {
	Name     string `json:"name"`
	PID      int    `json:"pid"`
	State    string `json:"state"`
	ExitCode *int   `json:"exit_code"`
	Signal   string `json:"signal,omitempty"`
	Call     string `json:"call,omitempty"` // the call it is blocked in or ready for
	Obj      string `json:"obj,omitempty"`  // the object of that call
	Parent   string `json:"parent,omitempty"`

	// last is the arrival number of the latest event that set State. An
	// event logged late (a receive that waited for its send) may not undo
	// what a newer one said.
	last uint64
}

// Session is one run of a scenario: its processes, their events, and the
// subscribers watching them.
type Session struct {
	ID       string
	Token    string
	Scenario string
	Pace     string
	Params   scenario.Values
	Created  time.Time

	plan   scenario.Plan
	start  int64  // CLOCK_MONOTONIC ns
	dir    string // the session's private directory
	runner *Runner
	cancel context.CancelFunc // kills every process of the session
	events chan struct{}      // closed when the event pipe hits end of file
	evR    *os.File           // the event pipe's read end

	stopSampling context.CancelFunc
	sampling     chan struct{} // closed when the sampler has returned

	mu       sync.Mutex
	log      []event.Event
	notify   chan struct{} // closed and replaced on every append
	state    string
	procs    []*ProcInfo
	result   map[string]any
	ctl      map[string]*os.File // server's end of each control pipe
	cmds     map[string]*exec.Cmd
	sent     map[int64]bool      // message ids whose send was logged
	opened   map[string]bool     // process and object, NUL between, whose open() was logged
	held     map[string][]heldEv // per process: events waiting behind a receive whose send is missing
	arrivals uint64              // events taken so far, in the order they came
	pgid     int
	stopWhy  string // why the server ended it early, if it did
	speed    float64
	paused   bool
	finished time.Time
	done     chan struct{} // closed after the last event
	stop     chan string   // asks the session to stop, with the reason
	detector *deadlockDetector
	tolerate map[string]bool          // processes the server killed on purpose
	broke    string                   // the process killed to break a deadlock
	inet     []inetObj                // TCP and UDP ports seen in events, for the sampler
	lastRec  map[string]chan struct{} // per process: closed when its last record is read

	// Ends of processes, and what the server made of them (see peers.go).
	endings   map[string]ending // how each process ended, as the server learned it
	loss      *ending           // the first process that ended before its part was done
	lost      chan struct{}     // signalled when that loss leaves the others waiting
	endWhy    string            // why the server itself killed what still ran: the loss, the time limit
	exitTaken map[string]bool   // processes whose exit event was taken, logged or held
}

// Events returns the events from seq from on (1-based), a channel closed
// when more arrive, and whether the log is complete.
func (s *Session) Events(from uint64) ([]event.Event, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from < 1 {
		from = 1
	}
	var evs []event.Event
	if int(from-1) < len(s.log) {
		evs = s.log[from-1:]
	}
	return evs, s.notify, s.isDone()
}

// isDone reports whether the terminal event is logged. Callers hold mu.
func (s *Session) isDone() bool {
	return len(s.log) > 0 && s.log[len(s.log)-1].Terminal()
}

// Done is closed once the session has ended and cleaned up.
func (s *Session) Done() <-chan struct{} { return s.done }

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
}

// Snapshot returns the session's current state.
func (s *Session) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	procs := make([]ProcInfo, len(s.procs))
	for i, p := range s.procs {
		procs[i] = *p
	}
	res := s.result
	if res == nil {
		res = map[string]any{}
	}
	return Snapshot{ID: s.ID, Scenario: s.Scenario, State: s.state, Pace: s.Pace, Paused: s.paused, Speed: s.speed,
		Params: s.Params, Processes: procs, Events: len(s.log), Result: maps.Clone(res), Created: s.Created}
}

// State returns the session's state.
func (s *Session) State() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// proc returns the process called name, adding it if it is new. Callers
// hold mu.
func (s *Session) proc(name string) *ProcInfo {
	for _, p := range s.procs {
		if p.Name == name {
			return p
		}
	}
	p := &ProcInfo{Name: name, State: ProcStarting}
	s.procs = append(s.procs, p)
	return p
}

// fromWorker takes one record a worker wrote. Results are folded into the
// session's result; a receive whose send is not logged yet waits for it, so
// the log stays causal even when the receiver reports first.
func (s *Session) fromWorker(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Kind == kindDone {
		s.saidDoneLocked(e.Proc)
		return
	}
	if e.Kind == kindEnded {
		s.endedLocked(endingOf(e), false)
		return
	}
	if e.Kind == scenario.KindResult {
		var part map[string]any
		if json.Unmarshal(e.Result, &part) == nil {
			if s.result == nil {
				s.result = map[string]any{}
			}
			maps.Copy(s.result, part)
		}
		return
	}
	s.arrivals++
	s.admitLocked(e, s.arrivals)
}

// heldEv is an event waiting to be logged, with the order it came in.
type heldEv struct {
	e       event.Event
	arrival uint64
}

func isSend(kind string) bool    { return kind == event.KindWrite || kind == event.KindSend }
func isReceive(kind string) bool { return kind == event.KindRead || kind == event.KindRecv }

// waitsForSend reports whether e must wait for another process's event
// that caused it and is not logged yet: a receive for its send, or the end
// of a wait in open() on a FIFO for the other side's open. (Opening a FIFO
// is a meeting: a writer's open returns when a reader opens, and the other
// way round. Both processes report at once, and the one that was waiting
// may reach the server first.)
func (s *Session) waitsForSend(e *event.Event) bool {
	if e.Kind == event.KindUnblock && e.Call == "open" && e.Peer != "" && e.Obj != "" {
		return !s.opened[e.Peer+"\x00"+e.Obj]
	}
	return isReceive(e.Kind) && e.Msg != 0 && !s.sent[e.Msg]
}

// admitLocked logs e, unless it must wait: a receive waits for its send,
// and every later event of the same process waits behind it, so each
// process's events stay in the order it made them. Callers hold mu.
func (s *Session) admitLocked(e event.Event, arrival uint64) {
	if e.Kind == event.KindExit {
		s.exitTaken[e.Proc] = true
		s.markServerKillLocked(&e)
	}
	if e.Proc != "" && (len(s.held[e.Proc]) > 0 || s.waitsForSend(&e)) {
		s.held[e.Proc] = append(s.held[e.Proc], heldEv{e, arrival})
		return
	}
	s.logLocked(e, arrival)
}

// logLocked appends e and, if it is a send or an open, lets the events
// that waited for it go. Callers hold mu.
func (s *Session) logLocked(e event.Event, arrival uint64) {
	s.appendLocked(e, arrival)
	switch {
	case isSend(e.Kind) && e.Msg != 0:
		s.sent[e.Msg] = true
		s.releaseLocked()
	case e.Kind == event.KindOpen && e.Call == "open" && e.Obj != "":
		s.opened[e.Proc+"\x00"+e.Obj] = true
		s.releaseLocked()
	}
}

// releaseLocked logs, for each process, the waiting events from the front
// of its queue up to the next one whose cause is still missing.
func (s *Session) releaseLocked() {
	for proc, q := range s.held {
		for len(q) > 0 && !s.waitsForSend(&q[0].e) {
			h := q[0]
			q = q[1:]
			s.held[proc] = q // logLocked may come back here
			s.logLocked(h.e, h.arrival)
			q = s.held[proc]
		}
		if len(q) == 0 {
			delete(s.held, proc)
		}
	}
}

// flushHeld logs every waiting event, in each process's order: their sends
// will never come (a sender died between its call and its report). Callers
// hold mu.
func (s *Session) flushHeld() {
	for len(s.held) > 0 {
		for proc, q := range s.held {
			delete(s.held, proc)
			for _, h := range q {
				s.appendLocked(h.e, h.arrival)
			}
		}
	}
}

// emit logs an event the server itself makes.
func (s *Session) emit(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.T = monotonicNow() - s.start
	s.arrivals++
	s.admitLocked(e, s.arrivals)
}

// appendLocked numbers e, logs it, updates the process table and wakes the
// subscribers. Callers hold mu. Times never go backwards along seq: a record
// that reached the server after a later one takes that one's time.
func (s *Session) appendLocked(e event.Event, arrival uint64) {
	if s.isDone() {
		return
	}
	e.Seq = uint64(len(s.log) + 1)
	if n := len(s.log); n > 0 && e.T < s.log[n-1].T {
		e.T = s.log[n-1].T
	}
	s.log = append(s.log, e)
	s.track(&e, arrival)
	close(s.notify)
	s.notify = make(chan struct{})
}

// track updates the process table from an event. Callers hold mu.
func (s *Session) track(e *event.Event, arrival uint64) {
	if e.Proc == "" || e.Kind == event.KindSession {
		return
	}
	p := s.proc(e.Proc)
	if e.PID != 0 {
		p.PID = e.PID
	}
	if e.Obj != "" {
		s.noteObjectLocked(e)
	}
	if arrival < p.last || e.Kind == event.KindSample {
		// A late receive, or a holder's reading of its object, says
		// nothing new about what the process is doing.
		return
	}
	p.last = arrival
	switch e.Kind {
	case event.KindSpawn:
		p.State, p.Parent = ProcRunning, e.Peer
		if f, ok := s.ctl[e.Proc]; ok && e.Peer != "" {
			// A child a worker started waits for this go (see Spawn).
			writeControl(f, control{Op: "go"})
		}
	case event.KindExit:
		p.State, p.ExitCode, p.Signal, p.Call, p.Obj = ProcExited, e.Code, e.Sig, "", ""
	case event.KindBlock:
		p.State, p.Call, p.Obj = ProcBlocked, e.Call, e.Obj
	case event.KindReady:
		p.State, p.Call, p.Obj = ProcReady, e.Call, e.Obj
	case event.KindSleep:
		p.State, p.Call, p.Obj = ProcSleeping, e.Call, e.Obj
	default:
		if p.State != ProcExited {
			p.State, p.Call, p.Obj = ProcRunning, "", ""
		}
	}
	if s.detector.observe(e) {
		s.checkDeadlockLocked()
	}
}

// lastRecord returns a channel closed once the process's last record (the
// done record its worker writes after its role) has been read.
func (s *Session) lastRecord(name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRecordLocked(name)
}

func (s *Session) lastRecordLocked(name string) chan struct{} {
	if s.lastRec == nil {
		s.lastRec = map[string]chan struct{}{}
	}
	ch, ok := s.lastRec[name]
	if !ok {
		ch = make(chan struct{})
		s.lastRec[name] = ch
	}
	return ch
}

// saidDoneLocked notes that the process's last record was read. Callers
// hold mu.
func (s *Session) saidDoneLocked(name string) {
	ch := s.lastRecordLocked(name)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

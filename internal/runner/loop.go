package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/moment"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// owned is the session's state that only its owner touches: the goroutine
// that launched it, then the one that runs its loop.
type owned struct {
	state    string
	procs    procTable
	result   map[string]any
	ord      *orderer
	judge    *endJudge
	det      *deadlockDetector
	ctl      map[string]*controlPipe // server's end of each control pipe
	arrivals uint64                  // events taken so far, in the order they came
	lastSeq  uint64
	lastT    int64
	ended    bool // the last event is logged
	paused   bool
	speed    float64
	pgid     int
	finished time.Time
	buf      []byte          // encoding buffer
	dec      wire.Decoder    // decodes worker records
	rec      event.Event     // the record being taken, decoded
	doneRec  map[string]bool // processes whose last record was read
	ready    []heldEv        // the orderer's output, reused
	batching bool            // a chunk of records is being taken: ready gathers its output
	order    []int           // the order to log ready in, reused
	merge    timeMerge       // puts a batch in time order (inTimeOrder)
	moments  *moment.Detector
	inet     []inetObj     // TCP and UDP ports seen in events, for the sampler
	watched  []watchedProc // processes signals were sent to, for the sampler

	remaining int                  // processes the runner started, still running
	grace     <-chan time.Time     // runs from the first untimely end (see peers.go)
	confirm   <-chan time.Time     // a wait-for cycle is to be confirmed
	breakAt   <-chan time.Time     // the reported deadlock is to be broken
	victim    string               // who the server kills to break it
	broke     string               // who it killed
	limit     budget               // the session's time limit, which stops while paused
	limitC    <-chan time.Time     // fires at the limit's warning or its end
	limitT    *time.Timer          // the timer behind limitC
	warned    bool                 // the session was told its limit is near
	tick      *time.Ticker         // housekeeping: abandoned sessions
	commitT   *time.Timer          // commits what was logged, commitAfter after the first of it
	commitC   <-chan time.Time     // commitT's channel while it runs
	stopped   map[string]time.Time // processes seen stopped (SIGSTOP), since when
}

// Messages the owner takes on its channel.
type (
	// records is worker records, whole, in the order they were read.
	records []byte
	// samples is a batch of the sampler's readings.
	samples []event.Event
	// exitNote is a process the runner started, ended.
	exitNote struct {
		name  string
		state *os.ProcessState
	}
	// ctlReq is a presenter's control, answered on reply.
	ctlReq struct {
		action string
		value  json.RawMessage
		reply  chan error
	}
)

// loop is the session's owner from the moment every process has started
// until the last event: it takes each message, and after each turn commits
// what was logged and publishes the snapshot.
func (s *Session) loop() {
	o := &s.own
	s.armLimit()
	o.tick = time.NewTicker(tickEvery)
	defer o.tick.Stop()
	o.commitT = time.NewTimer(time.Hour)
	o.commitT.Stop()
	defer o.commitT.Stop()
	for o.remaining > 0 {
		onlyRecords := false
		select {
		case m := <-s.in:
			_, onlyRecords = m.(records)
			s.handle(m)
			// Take what else is waiting before committing, up to a bound,
			// so a burst is written and published in a few commits, each
			// soon enough for viewers to be sent it while the owner goes
			// on with the next.
			for i := 0; i < 64 && len(s.in) > 0 && s.log.Pending() < commitBytes; i++ {
				m := <-s.in
				_, isRecords := m.(records)
				onlyRecords = onlyRecords && isRecords
				s.handle(m)
			}
		case <-o.commitC:
			o.commitC = nil
		case <-o.grace:
			o.grace = s.afterGrace()
		case why := <-s.stopReq:
			o.judge.stop(why)
			s.killGroup()
		case <-o.limitC:
			s.limitReached()
		case <-o.confirm:
			o.confirm = nil
			s.confirmDeadlock()
		case <-o.breakAt:
			o.breakAt = nil
			s.breakDeadlock()
		case <-o.tick.C:
			s.housekeep(time.Now())
		}
		if onlyRecords && s.commitLater() {
			continue
		}
		s.commit()
	}
	s.finish()
}

// commitAfter is the longest a worker's events wait to be committed, so
// that a steady stream of small writes is committed (written, published,
// its viewers woken) about once a millisecond rather than once per write.
// A viewer's stream gathers for longer than this anyway (web's gather).
const commitAfter = time.Millisecond

// commitLater reports whether the owner may leave what it logged from
// workers' records uncommitted for now: less than commitBytes, logged for
// less than commitAfter. It arms the commit's timer the first time.
func (s *Session) commitLater() bool {
	o := &s.own
	if n := s.log.Pending(); n == 0 || n >= commitBytes {
		return false
	}
	if o.commitC == nil {
		o.commitT.Reset(commitAfter)
		o.commitC = o.commitT.C
	}
	return true
}

// commitBytes is about the most a turn of the loop logs before it commits.
const commitBytes = 64 << 10

// tickEvery is how often the owner looks after what no message tells it.
const tickEvery = 250 * time.Millisecond

// handle applies one message.
func (s *Session) handle(m any) {
	switch m := m.(type) {
	case records:
		o := &s.own
		// What the chunk makes loggable is logged once it is all read, in
		// the order the calls happened (inTimeOrder).
		o.batching = true
		o.ord.newBatch()
		for rest := []byte(m); len(rest) > 0; {
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i+1], rest[i+1:]
			} else {
				rest = nil
			}
			if err := o.dec.Decode(line, &o.rec); err != nil {
				s.runner.log.Warn("bad event record", "session", s.ID, "err", err)
				continue
			}
			s.fromWorker(&o.rec)
		}
		o.batching = false
		o.order = o.merge.order(o.ready, o.order)
		for _, i := range o.order {
			s.append(&o.ready[i])
		}
		o.ready = o.ready[:0]
		s.reuseChunk(m)
	case samples:
		for _, e := range m {
			s.emit(e)
		}
	case ctlReq:
		m.reply <- s.control(m.action, m.value)
	case exitNote:
		s.noteExit(m)
	}
}

// commit writes what was logged since the last commit and publishes the
// snapshot. Only the owner calls it.
func (s *Session) commit() {
	o := &s.own
	if o.commitC != nil {
		o.commitT.Stop()
		o.commitC = nil
	}
	if err := s.log.Commit(false); err != nil {
		s.runner.log.Error("record events", "session", s.ID, "err", err)
	}
	s.publish()
}

// fromWorker takes one record a worker wrote. Results are folded into the
// session's result; a receive whose send is not logged yet waits for it.
func (s *Session) fromWorker(e *event.Event) {
	o := &s.own
	switch e.Kind {
	case kindDone:
		s.saidDone(e.Proc)
		return
	case kindEnded:
		en := endingOf(*e)
		s.ended(en, false)
		if en.name == o.ord.victim && !o.judge.exitTaken[en.name] {
			// The deadlock's victim is dead. Its parent reports its exit
			// only when its own wait for it returns, which may be after
			// the survivors' waits, and their events wait for this exit:
			// the server logs it now, and the parent's report, when it
			// comes, is not logged twice.
			x := event.Event{Kind: event.KindExit, Proc: en.name, PID: en.pid, Sig: en.sig,
				Text: "the server killed it to break the deadlock", Attrs: map[string]any{event.AttrEndedBy: "server"}}
			if en.sig == "" {
				x.Code = event.Int(en.code)
			}
			s.emit(x)
		}
		return
	case scenario.KindResult:
		var part map[string]any
		if json.Unmarshal(e.Result, &part) == nil {
			if o.result == nil {
				o.result = map[string]any{}
			}
			for k, v := range part {
				o.result[k] = v
			}
		}
		return
	}
	o.arrivals++
	s.admit(e, o.arrivals)
}

// emit logs an event the server itself makes, timed now.
func (s *Session) emit(e event.Event) {
	o := &s.own
	e.T = monotonicNow() - s.start
	o.arrivals++
	s.admit(&e, o.arrivals)
}

// admit passes e through the orderer and logs whatever may be logged now.
// The orderer copies e if it keeps it.
func (s *Session) admit(e *event.Event, arrival uint64) {
	o := &s.own
	if e.Kind == event.KindExit {
		if o.judge.exitTaken[e.Proc] {
			return // logged already (see fromWorker)
		}
		o.judge.markServerKill(e)
	}
	if o.batching {
		o.ready = o.ord.admit(e, arrival, o.ready)
		return
	}
	o.ready = o.ord.admit(e, arrival, o.ready[:0])
	for i := range o.ready {
		s.append(&o.ready[i])
	}
	o.ready = o.ready[:0]
}

// append numbers an event, encodes it once into the log and updates what
// the owner knows from it. Times never go backwards along seq: a record
// that reached the server after a later one takes that one's time.
func (s *Session) append(h *heldEv) {
	o := &s.own
	if o.ended {
		return
	}
	e := &h.e
	o.lastSeq++
	e.Seq = o.lastSeq
	if e.T < o.lastT {
		e.T = o.lastT
	}
	o.lastT = e.T
	if e.Obj != "" && e.ObjKind == "" {
		e.ObjKind = event.KindOf(e.Obj)
	}
	o.buf = event.AppendJSON(o.buf[:0], e)
	s.log.Append(o.buf)
	if e.Terminal() {
		o.ended = true
	}
	if e.Obj != "" {
		s.noteObject(e)
	}
	o.procs.observe(e, h.arrival)
	switch {
	case e.Kind == event.KindSignal && e.Peer != "":
		s.noteSignalTarget(e)
	case e.Kind == event.KindExit && len(o.watched) > 0:
		s.forgetSignalTarget(e.Proc)
	}
	if e.Kind == event.KindSpawn && e.Peer != "" {
		// A child a worker started waits for this go (see Spawn), so that
		// none of its events comes before the event of its birth.
		s.tell(e.Proc, control{Op: "go"})
	}
	if o.det.observe(e) && o.confirm == nil && !o.det.found {
		o.confirm = time.After(deadlockConfirm)
	}
	for _, m := range o.moments.Observe(e) {
		s.append(&heldEv{m, h.arrival, -1})
	}
	if max := s.runner.cfg.MaxEvents; max > 0 && o.lastSeq == uint64(max) {
		o.judge.endAll(fmt.Sprintf("the session reached its limit of %d events", max))
		o.judge.fail(fmt.Sprintf("the session made more than %d events, the most one session may record, and was ended", max))
		s.killGroup()
	}
}

// saidDone notes that a process's last record was read.
func (s *Session) saidDone(name string) {
	o := &s.own
	if o.doneRec[name] {
		return
	}
	o.doneRec[name] = true
	if ch, ok := s.lastRec[name]; ok {
		close(ch)
	}
}

// housekeep ends a session nobody watches or drives any more, and looks
// for processes stopped by a signal.
func (s *Session) housekeep(now time.Time) {
	s.checkStopped(now, ProcStopped)
	o := &s.own
	after := s.runner.cfg.AbandonAfter
	if after > 0 && s.viewers.Load() == 0 && now.Sub(time.Unix(0, s.lastSeen.Load())) > after &&
		o.judge.stopWhy == "" {
		why := fmt.Sprintf("nobody watched or drove this session for %v, so the server ended it", after)
		s.emit(event.Event{Kind: event.KindNote, Text: why, Attrs: map[string]any{event.AttrAbandoned: true}})
		o.judge.stop(why)
		s.killGroup()
	}
}

// stoppedGrace is how long a process may stay stopped (SIGSTOP, a
// debugger) before the server gives up on the session: the others wait
// for it meanwhile, and a stopped process may be continued (SIGCONT).
const stoppedGrace = 10 * time.Second

// checkStopped notes each process that a signal has stopped, and one that
// was continued; one still stopped stoppedGrace after it was seen fails
// the session, named as the cause. stopped asks the kernel about a pid.
func (s *Session) checkStopped(now time.Time, stopped func(pid int) bool) {
	o := &s.own
	if o.judge.stopWhy != "" || o.judge.endWhy != "" {
		return
	}
	for _, p := range o.procs.procs {
		if p.PID <= 0 || p.State == ProcExited {
			continue
		}
		since, seen := o.stopped[p.Name]
		switch isStopped := stopped(p.PID); {
		case isStopped && !seen:
			o.stopped[p.Name] = now
			s.emit(event.Event{Kind: event.KindNote, Proc: p.Name, PID: p.PID, Attrs: map[string]any{event.AttrStopped: true},
				Text: fmt.Sprintf("%s (pid %d) is stopped: a signal (SIGSTOP, or a debugger) holds it, and it runs no more until it gets SIGCONT. "+
					"The others may wait for it.", p.Name, p.PID)})
		case !isStopped && seen:
			delete(o.stopped, p.Name)
			s.emit(event.Event{Kind: event.KindNote, Proc: p.Name, PID: p.PID, Attrs: map[string]any{event.AttrStopped: false},
				Text: fmt.Sprintf("%s (pid %d) was continued and runs again.", p.Name, p.PID)})
		case isStopped && now.Sub(since) > stoppedGrace:
			why := fmt.Sprintf("%s (pid %d) was stopped by a signal and not continued within %v", p.Name, p.PID, stoppedGrace)
			s.emit(event.Event{Kind: event.KindNote, Text: why + ", so the server ends the session.",
				Attrs: map[string]any{event.AttrEndedEarly: p.Name, event.AttrPID: p.PID}})
			o.judge.fail(why)
			o.judge.endAll(why)
			s.killGroup()
			return
		}
	}
}

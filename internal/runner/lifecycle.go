package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// launch starts every process the runner starts itself, in one new process
// group, then lets them all go at once. On error nothing is left running.
// It runs in the caller's goroutine, which owns the session until the loop
// takes over.
func (s *Session) launch(cancel context.CancelFunc, ctx context.Context) error {
	o := &s.own
	evR, evW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("make event pipe: %w", err)
	}
	// A roomy event pipe lets a burst of events pass without making the
	// children wait for the server to read.
	_, _ = ipc.SetPipeSize(int(evW.Fd()), 1<<20)
	ctlR := map[string]*os.File{}
	closeAll := func() {
		evW.Close()
		for _, f := range ctlR {
			f.Close()
		}
	}
	for _, p := range s.plan.Procs {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			evR.Close()
			s.closeControl()
			return fmt.Errorf("make control pipe: %w", err)
		}
		ctlR[p.Name], o.ctl[p.Name] = r, newControlPipe(w)
	}
	s.emit(event.Event{Kind: event.KindSession, State: event.StateStarting, Attrs: s.describe()})
	if err := s.spawnAll(ctx, evW, ctlR); err != nil {
		closeAll()
		cancel()
		s.waitAll()
		evR.Close()
		s.closeControl()
		return err
	}
	closeAll()
	s.events = make(chan struct{})
	s.evR = evR
	go s.readEvents(evR)
	sctx, stopSampling := context.WithCancel(context.Background())
	s.sampling = make(chan struct{})
	s.stopSampling = stopSampling
	go func() {
		defer close(s.sampling)
		s.sample(sctx)
	}()
	for name, cmd := range s.cmds {
		go s.await(name, cmd)
	}
	o.remaining = len(s.cmds)
	o.state = event.StateRunning
	s.emit(event.Event{Kind: event.KindSession, State: event.StateRunning})
	s.tellAll(control{Op: "go"})
	s.commit()
	return nil
}

// pageSize is the size of the pages a pipe's slots hold.
var pageSize = os.Getpagesize()

// describe tells viewers what the session is about to run.
func (s *Session) describe() map[string]any {
	procs := make([]map[string]string, len(s.plan.Procs))
	for i, p := range s.plan.Procs {
		procs[i] = map[string]string{"name": p.Name, "role": p.Role, "started_by": p.StartedBy}
	}
	objs := make([]map[string]any, len(s.plan.Objects))
	for i, o := range s.plan.Objects {
		objs[i] = map[string]any{"kind": o.Kind, "title": objKinds[o.Kind].title, "label": o.Label, "name": o.Name, "key": o.Key,
			"key_hex": fmt.Sprintf("0x%08x", o.Key)}
	}
	// clock_start is the shared clock's reading at t = 0, so a tool on the
	// same machine can tell how long an event took to reach it; page_size
	// is the size of a pipe's page slots, so the page can draw them.
	return map[string]any{event.AttrID: s.ID, event.AttrScenario: s.Scenario, event.AttrParams: s.Params, event.AttrPace: s.Pace,
		event.AttrProcs: procs, event.AttrObjects: objs, event.AttrClockStart: s.start, event.AttrPageSize: pageSize}
}

// spawnAll starts the processes the runner starts. The first leads a new
// process group and the others join it, so one kill reaches them all.
func (s *Session) spawnAll(ctx context.Context, evW *os.File, ctlR map[string]*os.File) error {
	pgid := 0
	for _, p := range s.plan.Procs {
		if p.StartedBy != "" {
			continue
		}
		args, err := json.Marshal(p.Args)
		if err != nil {
			return fmt.Errorf("encode arguments of %s: %w", p.Name, err)
		}
		spec := workerSpec{Session: s.ID, Proc: p.Name, Role: p.Role, Args: args, Start: s.start,
			Pace: s.Pace, Speed: 1, WaitGo: true, Signals: p.Signals}
		var files []*os.File
		for _, c := range s.plan.Procs {
			if c.StartedBy == p.Name {
				cargs, err := json.Marshal(c.Args)
				if err != nil {
					return fmt.Errorf("encode arguments of %s: %w", c.Name, err)
				}
				spec.Children = append(spec.Children, childSpec{Name: c.Name, Role: c.Role, Args: cargs, Signals: c.Signals})
				files = append(files, ctlR[c.Name])
			}
		}
		cmd, err := startWorker(ctx, launch{exe: s.runner.cfg.Exe, spec: spec, events: evW,
			control: ctlR[p.Name], files: files, pgid: pgid})
		if err != nil {
			return err
		}
		if pgid == 0 {
			pgid = cmd.Process.Pid
			s.own.pgid = pgid
		}
		s.cmds[p.Name] = cmd
		s.emit(event.Event{Kind: event.KindSpawn, Proc: p.Name, PID: cmd.Process.Pid, Call: "fork+exec",
			Text: fmt.Sprintf("the server started %s", p.Name)})
	}
	return nil
}

// chunkSize is the room of a chunk of records the reader hands the owner;
// it hands one over once less than a record's most is left.
const chunkSize = 32 << 10

// freeChunk returns an empty chunk for the reader to fill: one the owner
// gave back (see reuseChunk), or a new one.
func (s *Session) freeChunk() records {
	select {
	case c := <-s.chunks:
		return c
	default:
		return make(records, 0, chunkSize)
	}
}

// reuseChunk gives a chunk the owner has decoded back to the reader, so
// that a session's records pass through the same few chunks over and over.
func (s *Session) reuseChunk(c records) {
	select {
	case s.chunks <- c[:0]:
	default:
	}
}

// readEvents reads worker records until every writer is gone, and hands
// them to the owner, which decodes them, in chunks of whole records: as
// many as are already buffered, so a burst costs the owner one message.
func (s *Session) readEvents(f *os.File) {
	defer close(s.events)
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var chunk records
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && err == nil {
			s.busy.Store(true)
			if chunk == nil {
				chunk = s.freeChunk()
			}
			chunk = append(chunk, line...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			s.runner.log.Warn("event record too long", "session", s.ID)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n') // skip the rest of it
			}
			continue
		}
		if len(chunk) > 0 && (err != nil || br.Buffered() == 0 || len(chunk) > chunkSize-wire.MaxRecord) {
			s.in <- chunk
			chunk = nil
		}
		if br.Buffered() == 0 {
			s.busy.Store(false)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.runner.log.Warn("read events", "session", s.ID, "err", err)
			}
			return
		}
	}
}

// await waits for a process the runner started, then for its last
// records, and tells the owner it ended.
func (s *Session) await(name string, cmd *exec.Cmd) {
	_ = cmd.Wait()
	s.awaitLastRecords(name, cmd.ProcessState)
	s.in <- exitNote{name, cmd.ProcessState}
}

// awaitLastRecords waits, briefly, until the server has read what a process
// wrote before it exited, so its exit is logged after its last events. A
// process that finished its role wrote a done record last; one killed by a
// signal did not, nor did one that exited from elsewhere than the end of
// its role, and for those the server waits until its event pipe is drained
// and every record read is handed over.
func (s *Session) awaitLastRecords(name string, ps *os.ProcessState) {
	if code, sig := exitStatus(ps); sig == "" {
		wait := 2 * time.Second
		if code != exitOK {
			wait = 250 * time.Millisecond
		}
		select {
		case <-s.lastRec[name]:
			return
		case <-time.After(wait):
		}
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for (pendingBytes(s.evR) > 0 || s.busy.Load()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// pendingBytes is how much waits unread in the event pipe.
func pendingBytes(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) { n, _ = ipc.Pending(int(fd)) })
	return n
}

// noteExit logs the end of a process the runner started.
func (s *Session) noteExit(x exitNote) {
	s.own.remaining--
	code, sig := exitStatus(x.state)
	e := event.Event{Kind: event.KindExit, Proc: x.name, PID: x.state.Pid(), Sig: sig}
	if sig == "" {
		e.Code = event.Int(code)
	}
	s.emit(e)
	s.ended(ending{name: x.name, pid: x.state.Pid(), code: code, sig: sig}, true)
}

// beginEnding refuses controls from now on.
func (s *Session) beginEnding() { s.endOnce.Do(func() { close(s.ending) }) }

// finish ends the session once every process the runner started is gone:
// the group killed, the event pipe drained, the kernel objects removed, the
// last event logged and the recording closed.
func (s *Session) finish() {
	o := &s.own
	s.beginEnding()
	// Children the workers started themselves may still be alive.
	s.killGroup()
	s.cancel()
	lost := s.reapOrphans()
	s.reapGroupLeft()
	s.drainUntil(s.events, 3*time.Second, "event pipe still open after the session's processes ended")
	s.logUnreportedEnds()
	s.logUnknownEnds(lost)
	s.stopSampling()
	s.drainUntil(s.sampling, 3*time.Second, "sampler still running after the session ended")
	s.drainQueued()
	for _, label := range removeObjects(s.plan.Objects) {
		s.emit(event.Event{Kind: event.KindUnlink, Obj: label,
			Text: "the server removed this object, which the session's processes left behind"})
	}
	os.RemoveAll(s.dir)
	s.closeControl()

	left := o.ord.flush(nil)
	for i := range left {
		s.append(&left[i])
	}
	state, failed := o.judge.verdict()
	res := map[string]any{}
	for k, v := range o.result {
		res[k] = v
	}
	s.deadlockResult(res)
	if failed != "" {
		res["error"] = failed
	}
	if o.judge.stopWhy != "" {
		res["stopped"] = o.judge.stopWhy
	}
	o.result = res
	o.state = state
	o.finished = time.Now()
	b, _ := json.Marshal(res)
	s.emit(event.Event{Kind: event.KindSession, State: state, Result: b})
	s.publish()
	s.closeLog()
	// An ended session may be kept a while for its snapshot: it keeps
	// nothing else (the orderer's message ids, the detectors' state).
	o.ord, o.det, o.moments, o.buf, o.ready, o.inet, o.watched = nil, nil, nil, nil, nil, nil, nil
	s.runner.log.Info("session ended", "session", s.ID, "scenario", s.Scenario, "state", state, "reason", failed,
		"duration", o.finished.Sub(s.Created).Round(time.Millisecond), "events", o.lastSeq)
	close(s.done)
}

// closeLog writes the last events and the recording's description.
func (s *Session) closeLog() {
	snap, _ := json.Marshal(s.Snapshot())
	params, _ := json.Marshal(s.Params)
	meta := eventlog.Meta{ID: s.ID, Scenario: s.Scenario, Pace: s.Pace, Code: s.Code, Params: params, Created: s.Created,
		Ended: s.own.finished, State: s.own.state, Snapshot: snap}
	if err := s.log.Finish(meta); err != nil {
		s.runner.log.Error("close recording", "session", s.ID, "err", err)
	}
	s.runner.store.Ended(s.log.Meta())
}

// drainUntil handles messages until done is closed or d has passed, so the
// goroutines that feed the owner are never left blocked while it waits.
func (s *Session) drainUntil(done <-chan struct{}, d time.Duration, warn string) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case m := <-s.in:
			s.handle(m)
		case <-t.C:
			if warn != "" {
				s.runner.log.Warn(warn, "session", s.ID)
			}
			return
		}
	}
}

// drainQueued handles whatever is still queued for the owner.
func (s *Session) drainQueued() {
	for {
		select {
		case m := <-s.in:
			s.handle(m)
		default:
			return
		}
	}
}

// reapOrphans collects the processes workers started whose parents died
// before them: the server, as subreaper, inherited them. Their parents
// could not report their exit, so the server does. It returns those that
// were gone already, collected by a parent that may have been killed
// before it could say how they ended (see logUnknownEnds).
func (s *Session) reapOrphans() []ProcInfo {
	o := &s.own
	var orphans []ProcInfo
	for _, p := range o.procs.procs {
		_, collected := o.judge.endings[p.Name] // by its parent, which may not have said so
		if p.Parent != "" && p.PID > 0 && !o.judge.exitTaken[p.Name] && !collected {
			orphans = append(orphans, *p)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	var lost []ProcInfo
	for _, p := range orphans {
		for {
			gone, reaped, ws, err := ipc.Reap(p.PID)
			if gone && !reaped {
				lost = append(lost, p)
			}
			if reaped {
				e := event.Event{Kind: event.KindExit, Proc: p.Name, PID: p.PID,
					Text: "its parent had died; the server collected it"}
				if ws.Signaled() {
					e.Sig = unix.SignalName(ws.Signal())
				} else {
					e.Code = event.Int(ws.ExitStatus())
				}
				s.emit(e)
			}
			if gone || err != nil || time.Now().After(deadline) {
				break
			}
			s.drainUntil(nil, 5*time.Millisecond, "")
		}
	}
	return lost
}

// waitAll reaps the processes already started, after a failed launch.
func (s *Session) waitAll() {
	for _, cmd := range s.cmds {
		_ = cmd.Wait()
	}
}

// killGroup kills every process of the session's group.
func (s *Session) killGroup() {
	if s.own.pgid > 0 {
		_ = syscall.Kill(-s.own.pgid, syscall.SIGKILL)
	}
}

func (s *Session) closeControl() {
	for name, f := range s.own.ctl {
		f.Close()
		delete(s.own.ctl, name)
	}
}

// logUnreportedEnds logs the exit of every process whose parent collected
// it but was itself ended before it could say so. It runs once the event
// pipe is drained, so a report still on its way is never doubled.
func (s *Session) logUnreportedEnds() {
	o := &s.own
	for _, en := range o.judge.unreported(&o.procs) {
		p := o.procs.find(en.name)
		e := event.Event{Kind: event.KindExit, Proc: en.name, PID: en.pid, Sig: en.sig,
			Text: fmt.Sprintf("%s collected it, then ended before it could say so", p.Parent)}
		if en.sig == "" {
			e.Code = event.Int(en.code)
		}
		s.emit(e)
	}
}

// logUnknownEnds logs an exit for each of lost that still has none once
// the event pipe is drained: its parent collected it, but was killed
// before its record of how the process ended reached the server, so how
// it ended is not known, and the event says so rather than guess.
func (s *Session) logUnknownEnds(lost []ProcInfo) {
	for _, p := range lost {
		if !s.own.judge.exitTaken[p.Name] {
			s.emit(event.Event{Kind: event.KindExit, Proc: p.Name, PID: p.PID,
				Text: p.Parent + " collected it, but was ended before it could say how it ended"})
		}
	}
}

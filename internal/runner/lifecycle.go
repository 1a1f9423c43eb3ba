package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// launch starts every process the runner starts itself, in one new process
// group, then lets them all go at once. On error nothing is left running.
func (s *Session) launch() error {
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
		ctlR[p.Name], s.ctl[p.Name] = r, w
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
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
	s.mu.Lock()
	s.state = event.StateRunning
	s.mu.Unlock()
	s.emit(event.Event{Kind: event.KindSession, State: event.StateRunning})
	s.broadcast(control{Op: "go"})
	return nil
}

// describe tells viewers what the session is about to run.
func (s *Session) describe() map[string]any {
	procs := make([]map[string]string, len(s.plan.Procs))
	for i, p := range s.plan.Procs {
		procs[i] = map[string]string{"name": p.Name, "role": p.Role, "started_by": p.StartedBy}
	}
	objs := make([]map[string]any, len(s.plan.Objects))
	for i, o := range s.plan.Objects {
		objs[i] = map[string]any{"kind": o.Kind, "label": o.Label, "name": o.Name, "key": o.Key,
			"key_hex": fmt.Sprintf("0x%08x", o.Key)}
	}
	return map[string]any{"id": s.ID, "scenario": s.Scenario, "params": s.Params, "pace": s.Pace,
		"procs": procs, "objects": objs}
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
			s.pgid = pgid
		}
		s.cmds[p.Name] = cmd
		s.emit(event.Event{Kind: event.KindSpawn, Proc: p.Name, PID: cmd.Process.Pid, Call: "fork+exec",
			Text: fmt.Sprintf("the server started %s", p.Name)})
	}
	return nil
}

// readEvents reads worker records until every writer is gone.
func (s *Session) readEvents(f *os.File) {
	defer close(s.events)
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && err == nil {
			var e event.Event
			if jerr := json.Unmarshal(line, &e); jerr != nil {
				s.runner.log.Warn("bad event record", "session", s.ID, "err", jerr)
			} else {
				s.fromWorker(e)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			s.runner.log.Warn("event record too long", "session", s.ID)
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.runner.log.Warn("read events", "session", s.ID, "err", err)
			}
			return
		}
	}
}

// exitNote is a process the runner started, ended.
type exitNote struct {
	name  string
	state *os.ProcessState
}

// supervise waits for the session's processes, or for a stop, the time
// limit, or one process's untimely end that leaves the others waiting, then
// ends the session: the whole group killed, the kernel objects removed, the
// last event logged.
func (s *Session) supervise() {
	exited := make(chan exitNote, len(s.cmds))
	for name, cmd := range s.cmds {
		go func() {
			_ = cmd.Wait()
			s.awaitLastRecords(name, cmd.ProcessState)
			exited <- exitNote{name, cmd.ProcessState}
		}()
	}
	limit := s.runner.cfg.MaxDuration
	if s.Pace == "step" {
		limit = s.runner.cfg.MaxStepDuration
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	failed := ""
	var grace <-chan time.Time // runs from the first untimely end (see peers.go)
	for remaining := len(s.cmds); remaining > 0; {
		select {
		case x := <-exited:
			remaining--
			if why := s.noteExit(x); why != "" && failed == "" {
				failed = why
			}
		case <-s.lost:
			grace = time.After(s.grace())
		case <-grace:
			grace = s.afterGrace()
		case why := <-s.stop:
			s.setStopWhy(why)
			s.killGroup()
		case <-timer.C:
			failed = fmt.Sprintf("the session ran longer than its limit of %v and was ended", limit)
			s.killAll(fmt.Sprintf("the session ran longer than its limit of %v", limit))
		}
	}
	s.finish(failed)
}

// awaitLastRecords waits, briefly, until the server has read what a process
// wrote before it exited, so its exit is logged after its last events. A
// process that finished its role wrote a done record last; one killed by a
// signal did not, nor did one that exited from elsewhere than the end of
// its role (a role that gives up at once when a child fails), and for
// those the server waits until its event pipe is drained.
func (s *Session) awaitLastRecords(name string, ps *os.ProcessState) {
	if code, sig := exitStatus(ps); sig == "" {
		wait := 2 * time.Second
		if code != exitOK {
			wait = 250 * time.Millisecond
		}
		select {
		case <-s.lastRecord(name):
			return
		case <-time.After(wait):
		}
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for pendingBytes(s.evR) > 0 && time.Now().Before(deadline) {
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

// noteExit logs a process's end and says why it fails the session, if it
// does.
func (s *Session) noteExit(x exitNote) string {
	code, sig := exitStatus(x.state)
	e := event.Event{Kind: event.KindExit, Proc: x.name, PID: x.state.Pid(), Sig: sig}
	if sig == "" {
		e.Code = event.Int(code)
	}
	s.emit(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endedLocked(ending{name: x.name, pid: x.state.Pid(), code: code, sig: sig}, true)
}

// finish ends the session once every process the runner started is gone.
func (s *Session) finish(failed string) {
	if why := s.lossWhy(); why != "" {
		failed = why // what the others did next followed from it
	}
	// Children the workers started themselves may still be alive.
	s.killGroup()
	s.cancel()
	lost := s.reapOrphans()
	s.reapGroupLeft()
	select {
	case <-s.events:
	case <-time.After(3 * time.Second):
		s.runner.log.Warn("event pipe still open after the session's processes ended", "session", s.ID)
	}
	s.logUnreportedEnds()
	s.logUnknownEnds(lost)
	s.stopSampling()
	<-s.sampling
	for _, label := range removeObjects(s.plan.Objects) {
		s.emit(event.Event{Kind: event.KindUnlink, Obj: label,
			Text: "the server removed this object, which the session's processes left behind"})
	}
	os.RemoveAll(s.dir)
	s.closeControl()

	s.mu.Lock()
	s.flushHeld()
	state := event.StateFinished
	switch {
	case s.stopWhy != "":
		state = event.StateStopped
	case failed != "":
		state = event.StateFailed
	}
	res := map[string]any{}
	for k, v := range s.result {
		res[k] = v
	}
	s.deadlockResultLocked(res)
	if failed != "" {
		res["error"] = failed
	}
	if s.stopWhy != "" {
		res["stopped"] = s.stopWhy
	}
	s.result = res
	s.state = state
	s.finished = time.Now()
	b, _ := json.Marshal(res)
	s.mu.Unlock()
	s.emit(event.Event{Kind: event.KindSession, State: state, Result: b})
	close(s.done)
}

// reapOrphans collects the processes workers started whose parents died
// before them: the server, as subreaper, inherited them. Their parents
// could not report their exit, so the server does. It returns those that
// were gone already, collected by a parent that may have been killed
// before it could say how they ended (see logUnknownEnds).
func (s *Session) reapOrphans() []ProcInfo {
	s.mu.Lock()
	var orphans []ProcInfo
	for _, p := range s.procs {
		_, collected := s.endings[p.Name] // by its parent, which may not have said so
		if p.Parent != "" && p.PID > 0 && !s.exitTaken[p.Name] && !collected {
			orphans = append(orphans, *p)
		}
	}
	s.mu.Unlock()
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
			time.Sleep(5 * time.Millisecond)
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
	if s.pgid > 0 {
		_ = syscall.Kill(-s.pgid, syscall.SIGKILL)
	}
}

func (s *Session) closeControl() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, f := range s.ctl {
		f.Close()
		delete(s.ctl, name)
	}
}

func (s *Session) setStopWhy(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopWhy == "" {
		s.stopWhy = why
	}
}

// toleratedLocked reports whether name may end by a signal without
// failing the session: the plan says so, or the server killed it to end a
// deadlock. Callers hold mu.
func (s *Session) toleratedLocked(name string) bool {
	return s.tolerate[name] || slices.Contains(s.plan.Tolerate, name)
}

// Stop asks the session to end now: its processes are killed and its
// objects removed. It returns at once; Done tells when it is over.
func (s *Session) Stop(why string) {
	select {
	case s.stop <- why:
	default:
	}
}

// broadcast sends a control message to every process still listening.
func (s *Session) broadcast(c control) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendAllLocked(c)
}

// writeControl sends one control line. A process that has exited no longer
// reads, and the write fails with EPIPE: that is fine.
func writeControl(f *os.File, c control) {
	b, _ := json.Marshal(c)
	_, _ = f.Write(append(b, '\n'))
}

// logUnknownEnds logs an exit for each of lost that still has none once
// the event pipe is drained: its parent collected it, but was killed
// before its record of how the process ended reached the server, so how
// it ended is not known, and the event says so rather than guess.
func (s *Session) logUnknownEnds(lost []ProcInfo) {
	for _, p := range lost {
		s.mu.Lock()
		taken := s.exitTaken[p.Name]
		s.mu.Unlock()
		if !taken {
			s.emit(event.Event{Kind: event.KindExit, Proc: p.Name, PID: p.PID,
				Text: p.Parent + " collected it, but was ended before it could say how it ended"})
		}
	}
}

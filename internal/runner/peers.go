package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// The processes of a session usually depend on one another. When one ends
// before its part is done (a student kills it, or its role fails), the
// others cannot finish: a server waits in accept for a client that will
// never connect, a receiver reads a signalfd that no signal will reach.
// Left alone they would wait until the session's time limit. So the server
// learns of every process's end at once: of those it started from their
// exit status, of those a worker started from the record the worker writes
// when it collects them. After the first untimely end it gives the others
// a moment to see it and say so (an end of file, a broken pipe, an error),
// then ends the session itself and says why.

// peerGrace is how long the others may take to end on their own after a
// process ended before its part was done: long enough for them to see it
// and report it, short enough that nobody watches processes waiting for
// ever. In slow pace they get time for two more calls on top.
const peerGrace = time.Second

// grace is how long the others get, at the session's pace and speed.
func (s *Session) grace() time.Duration {
	if s.Pace != "slow" {
		return peerGrace
	}
	return peerGrace + time.Duration(2*float64(slowDelay)/s.own.speed)
}

// ended notes the end of a process that the server started (direct) or
// that a worker started. The first end that leaves the others waiting
// starts the grace they get to end on their own.
func (s *Session) ended(en ending, direct bool) {
	if _, loss := s.own.judge.ended(en, direct); loss && s.own.grace == nil {
		s.own.grace = time.After(s.grace())
	}
}

// afterGrace runs peerGrace after the loss, while processes the server
// started still run. In step mode a process waiting for the presenter may
// yet show what the loss does to it, so the server looks again later;
// otherwise it explains and ends the others. It returns the timer of the
// next look, or nil.
func (s *Session) afterGrace() <-chan time.Time {
	o := &s.own
	j := o.judge
	if j.stopWhy != "" || j.endWhy != "" || j.loss == nil {
		return nil
	}
	if s.Pace == "step" && s.anyReady() {
		return time.After(peerGrace)
	}
	s.emit(event.Event{Kind: event.KindNote, Text: s.lossText(),
		Attrs: map[string]any{event.AttrEndedEarly: j.loss.name, event.AttrPID: j.loss.pid}})
	j.endAll(lossEndWhy(j.loss.name))
	s.killGroup()
	return nil
}

// anyReady reports whether a process still alive waits for the
// presenter's step.
func (s *Session) anyReady() bool {
	for _, p := range s.own.procs.procs {
		if _, ended := s.own.judge.endings[p.Name]; !ended && p.State == ProcReady {
			return true
		}
	}
	return false
}

// lossText tells the student why the server ends the session: who ended,
// and where the others are stuck.
func (s *Session) lossText() string {
	o := &s.own
	loss := o.judge.loss
	var b strings.Builder
	fmt.Fprintf(&b, "%s (pid %d) %s before its part was done, so nobody is left to do it.",
		loss.name, loss.pid, loss.how())
	for _, p := range o.procs.procs {
		if _, ended := o.judge.endings[p.Name]; ended || p.State != ProcBlocked {
			continue
		}
		fmt.Fprintf(&b, " %s is still blocked in %s", p.Name, p.Call)
		if p.Obj != "" {
			fmt.Fprintf(&b, " on %s", p.Obj)
		}
		b.WriteString(".")
	}
	b.WriteString(" The others depend on it and would wait for it until the session's time limit, " +
		"so the server ends the session now: it kills the processes still running and removes the kernel objects.")
	return b.String()
}

package runner

import (
	"cmp"
	"fmt"
	"maps"
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Pace != "slow" {
		return peerGrace
	}
	return peerGrace + time.Duration(2*float64(slowDelay)/s.speed)
}

// ending is how one process of the session ended.
type ending struct {
	name string
	pid  int
	code int
	sig  string
}

// endingOf reads a worker's record of a process it collected.
func endingOf(e event.Event) ending {
	en := ending{name: e.Proc, pid: e.PID, sig: e.Sig}
	if e.Code != nil {
		en.code = *e.Code
	}
	return en
}

// how says in words how the process ended.
func (en ending) how() string {
	if en.sig != "" {
		return "was killed by " + en.sig
	}
	return fmt.Sprintf("exited with code %d", en.code)
}

// failed reports whether the process ended any way but by finishing its
// role.
func (en ending) failed() bool { return en.sig != "" || en.code != 0 }

// endedLocked notes the end of a process that the server started (direct)
// or that a worker started. It returns why this end fails the session, or
// "" if it does not. The first such end is the session's loss: unless the
// plan says the processes are independent, the supervisor hears of it and
// gives the others peerGrace to end on their own. Callers hold mu.
func (s *Session) endedLocked(en ending, direct bool) string {
	s.endings[en.name] = en
	switch {
	case !en.failed(), s.stopWhy != "", s.endWhy != "":
		return ""
	case s.toleratedLocked(en.name):
		return "" // the server killed it on purpose
	case !direct && s.plan.Independent:
		return "" // the others go on; its parent judges its end
	}
	if s.loss == nil {
		s.loss = &en
		if !s.plan.Independent {
			select {
			case s.lost <- struct{}{}:
			default:
			}
		}
	}
	return en.name + " " + en.how()
}

// lossWhy says why the session failed, if a process ended before its part
// was done: that first end is the cause of what followed.
func (s *Session) lossWhy() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loss == nil {
		return ""
	}
	why := s.loss.name + " " + s.loss.how()
	if s.endWhy == lossEndWhy(s.loss.name) {
		why += " before its part was done; the others were left waiting for it, so the server ended them"
	}
	return why
}

// lossEndWhy is why the server ends what still runs after name's loss.
func lossEndWhy(name string) string { return "the session could not go on without " + name }

// afterGrace runs peerGrace after the loss, while processes the server
// started still run. In step mode a process waiting for the presenter may
// yet show what the loss does to it, so the server looks again later;
// otherwise it explains and ends the others. It returns the timer of the
// next look, or nil.
func (s *Session) afterGrace() <-chan time.Time {
	s.mu.Lock()
	if s.stopWhy != "" || s.endWhy != "" || s.loss == nil {
		s.mu.Unlock()
		return nil
	}
	if s.Pace == "step" && s.anyReadyLocked() {
		s.mu.Unlock()
		return time.After(peerGrace)
	}
	e := event.Event{Kind: event.KindNote, Text: s.lossTextLocked(),
		Attrs: map[string]any{"ended_early": s.loss.name, "pid": s.loss.pid}}
	why := lossEndWhy(s.loss.name)
	s.mu.Unlock()
	s.emit(e)
	s.killAll(why)
	return nil
}

// killAll kills every process still running, for why: the server ends the
// session itself. Their ends are its doing, not failures of their own.
func (s *Session) killAll(why string) {
	s.mu.Lock()
	if s.endWhy == "" {
		s.endWhy = why
	}
	s.mu.Unlock()
	s.killGroup()
}

// anyReadyLocked reports whether a process still alive waits for the
// presenter's step. Callers hold mu.
func (s *Session) anyReadyLocked() bool {
	for _, p := range s.procs {
		if _, ended := s.endings[p.Name]; !ended && p.State == ProcReady {
			return true
		}
	}
	return false
}

// lossTextLocked tells the student why the server ends the session: who
// ended, and where the others are stuck. Callers hold mu.
func (s *Session) lossTextLocked() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (pid %d) %s before its part was done, so nobody is left to do it.",
		s.loss.name, s.loss.pid, s.loss.how())
	for _, p := range s.procs {
		if _, ended := s.endings[p.Name]; ended || p.State != ProcBlocked {
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

// markServerKillLocked marks the exit of a process the server killed to
// end the session itself (a stop, the time limit, or a loss that left it
// waiting): attrs.ended_by is "server", and unless the exit says more
// already, its text says why. So the page can tell it from a process that
// was killed from outside or failed on its own. The process whose loss
// ended the session, and a deadlock's victim, keep their own account.
// Callers hold mu.
func (s *Session) markServerKillLocked(e *event.Event) {
	why := cmp.Or(s.endWhy, s.stopWhy)
	if e.Kind != event.KindExit || e.Sig != "SIGKILL" || why == "" || s.toleratedLocked(e.Proc) ||
		(s.loss != nil && s.loss.name == e.Proc) {
		return
	}
	attrs := maps.Clone(e.Attrs)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs["ended_by"] = "server"
	e.Attrs = attrs
	if e.Text == "" {
		e.Text = "the server ended it: " + why
	}
}

// logUnreportedEnds logs the exit of every process whose parent collected
// it but was itself ended before it could say so. It runs once the event
// pipe is drained, so a report still on its way is never doubled.
func (s *Session) logUnreportedEnds() {
	s.mu.Lock()
	var evs []event.Event
	for _, p := range s.procs {
		en, ok := s.endings[p.Name]
		if !ok || s.exitTaken[p.Name] {
			continue
		}
		e := event.Event{Kind: event.KindExit, Proc: en.name, PID: en.pid, Sig: en.sig,
			Text: fmt.Sprintf("%s collected it, then ended before it could say so", p.Parent)}
		if en.sig == "" {
			e.Code = event.Int(en.code)
		}
		evs = append(evs, e)
	}
	s.mu.Unlock()
	for _, e := range evs {
		s.emit(e)
	}
}

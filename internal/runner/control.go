package runner

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// ControlError is a refused control request: the HTTP status it deserves,
// the field to blame and a sentence for the presenter.
type ControlError struct {
	Status  int
	Field   string
	Message string
}

func (e *ControlError) Error() string { return e.Message }

func controlErr(status int, field, format string, args ...any) *ControlError {
	return &ControlError{Status: status, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Speeds the presenter may choose: multiples of the slow pace's rhythm.
const (
	MinSpeed = 0.1
	MaxSpeed = 10.0
)

// Control applies a presenter's action: pause, resume, step (value: the
// process to move, or null for whichever has waited longest) or speed
// (value: a number from MinSpeed to MaxSpeed).
func (s *Session) Control(action string, value json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isDone() || s.stopWhy != "" {
		return controlErr(http.StatusConflict, "action", "the session has already ended")
	}
	switch action {
	case "pause":
		s.paused = true
		s.sendAllLocked(control{Op: "pause"})
	case "resume":
		s.paused = false
		s.sendAllLocked(control{Op: "resume"})
	case "speed":
		var v float64
		if err := json.Unmarshal(value, &v); err != nil || v < MinSpeed || v > MaxSpeed {
			return controlErr(http.StatusBadRequest, "value", "speed takes a number from %g to %g", MinSpeed, MaxSpeed)
		}
		s.speed = v
		s.sendAllLocked(control{Op: "speed", Value: v})
	case "step":
		return s.stepLocked(value)
	default:
		return controlErr(http.StatusBadRequest, "action", "action must be one of \"pause\", \"resume\", \"step\", \"speed\"")
	}
	e := event.Event{Kind: event.KindPace, T: monotonicNow() - s.start,
		Attrs: map[string]any{"action": action, "paused": s.paused, "speed": s.speed}}
	s.arrivals++
	s.appendLocked(e, s.arrivals)
	return nil
}

// stepLocked releases the next IPC call of one process. Callers hold mu.
func (s *Session) stepLocked(value json.RawMessage) error {
	if s.Pace != "step" {
		return controlErr(http.StatusConflict, "action", "step works only in a session started with pace \"step\"")
	}
	var name string
	if len(value) > 0 && string(value) != "null" {
		if err := json.Unmarshal(value, &name); err != nil {
			return controlErr(http.StatusBadRequest, "value", "step takes the name of a process, or null for whichever is next")
		}
	}
	target := s.pickReadyLocked(name)
	if target == nil {
		if name == "" {
			return controlErr(http.StatusConflict, "value", "no process is waiting for a step right now: they are blocked in the kernel, busy or finished")
		}
		return s.notReadyLocked(name)
	}
	f, ok := s.ctl[target.Name]
	if !ok {
		return controlErr(http.StatusConflict, "value", "%s no longer listens for steps", target.Name)
	}
	writeControl(f, control{Op: "step"})
	return nil
}

// pickReadyLocked returns the named process if it is ready, or with no name
// the ready process that has waited longest.
func (s *Session) pickReadyLocked(name string) *ProcInfo {
	var best *ProcInfo
	bestSeq := uint64(0)
	for _, p := range s.procs {
		if p.State != ProcReady || (name != "" && p.Name != name) {
			continue
		}
		seq := s.readySince(p.Name)
		if best == nil || seq < bestSeq {
			best, bestSeq = p, seq
		}
	}
	return best
}

// readySince finds the seq of the ready event p is waiting on.
func (s *Session) readySince(name string) uint64 {
	for i := len(s.log) - 1; i >= 0; i-- {
		if e := &s.log[i]; e.Proc == name && e.Kind == event.KindReady {
			return e.Seq
		}
	}
	return 0
}

// notReadyLocked explains why the named process cannot take a step.
func (s *Session) notReadyLocked(name string) error {
	for _, p := range s.procs {
		if p.Name != name {
			continue
		}
		switch p.State {
		case ProcBlocked:
			return controlErr(http.StatusConflict, "value", "%s is blocked in %s on %s: only the kernel can wake it", name, p.Call, p.Obj)
		case ProcExited:
			return controlErr(http.StatusConflict, "value", "%s has exited", name)
		}
		return controlErr(http.StatusConflict, "value", "%s is not waiting for a step yet", name)
	}
	return controlErr(http.StatusBadRequest, "value", "this session has no process %q", name)
}

func (s *Session) sendAllLocked(c control) {
	for _, f := range s.ctl {
		writeControl(f, c)
	}
}

package runner

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

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

// controlWait bounds how long a control waits for the session's owner to
// take it. The owner never blocks, so this is reached only if the server is
// overloaded; the presenter is told to try again rather than kept waiting.
const controlWait = 2 * time.Second

var errEnded = controlErr(http.StatusConflict, "action", "the session has already ended")

// Control applies a presenter's action: pause, resume, step (value: the
// process to move, or null for whichever has waited longest) or speed
// (value: a number from MinSpeed to MaxSpeed). Values are checked here; the
// owner applies the action and answers.
func (s *Session) Control(action string, value json.RawMessage) error {
	if err := checkControl(action, value); err != nil {
		return err
	}
	if s.in == nil {
		return errEnded // a recording
	}
	if s.isEnding() {
		return errEnded
	}
	s.seen()
	req := ctlReq{action: action, value: value, reply: make(chan error, 1)}
	t := time.NewTimer(controlWait)
	defer t.Stop()
	select {
	case s.in <- req:
	case <-s.ending:
		return errEnded
	case <-t.C:
		return controlErr(http.StatusServiceUnavailable, "", "the server is too busy to take this control now; try again in a moment")
	}
	select {
	case err := <-req.reply:
		return err
	case <-s.done:
		return errEnded
	case <-t.C:
		return controlErr(http.StatusServiceUnavailable, "", "the server is too busy to take this control now; try again in a moment")
	}
}

// isEnding reports whether the session has begun to end.
func (s *Session) isEnding() bool {
	select {
	case <-s.ending:
		return true
	default:
		return false
	}
}

// checkControl refuses an action or value that no session would take.
func checkControl(action string, value json.RawMessage) error {
	switch action {
	case "pause", "resume":
	case "speed":
		var v float64
		if err := json.Unmarshal(value, &v); err != nil || v < MinSpeed || v > MaxSpeed {
			return controlErr(http.StatusBadRequest, "value", "speed takes a number from %g to %g", MinSpeed, MaxSpeed)
		}
	case "step":
		if len(value) > 0 && string(value) != "null" {
			var name string
			if err := json.Unmarshal(value, &name); err != nil {
				return controlErr(http.StatusBadRequest, "value", "step takes the name of a process, or null for whichever is next")
			}
		}
	default:
		return controlErr(http.StatusBadRequest, "action", "action must be one of \"pause\", \"resume\", \"step\", \"speed\"")
	}
	return nil
}

// control applies a checked action. Only the owner calls it.
func (s *Session) control(action string, value json.RawMessage) error {
	o := &s.own
	if o.ended || o.judge.stopWhy != "" || s.isEnding() {
		return errEnded
	}
	now := time.Now()
	switch action {
	case "pause":
		o.paused = true
		o.limit.pause(now)
		s.tellAll(control{Op: "pause"})
	case "resume":
		o.paused = false
		o.limit.resume(now)
		s.tellAll(control{Op: "resume"})
	case "speed":
		var v float64
		_ = json.Unmarshal(value, &v)
		o.speed = v
		s.tellAll(control{Op: "speed", Value: v})
	case "step":
		return s.step(value)
	}
	s.armLimit()
	s.emit(event.Event{Kind: event.KindPace, Attrs: map[string]any{event.AttrAction: action, event.AttrPaused: o.paused, event.AttrSpeed: o.speed}})
	return nil
}

// step releases the next IPC call of one process.
func (s *Session) step(value json.RawMessage) error {
	if s.Pace != "step" {
		return controlErr(http.StatusConflict, "action", "step works only in a session started with pace \"step\"")
	}
	var name string
	if len(value) > 0 && string(value) != "null" {
		_ = json.Unmarshal(value, &name)
	}
	target := s.own.procs.nextReady(name)
	if target == nil {
		if name == "" {
			return controlErr(http.StatusConflict, "value", "no process is waiting for a step right now: they are blocked in the kernel, busy or finished")
		}
		return s.notReady(name)
	}
	if _, ok := s.own.ctl[target.Name]; !ok {
		return controlErr(http.StatusConflict, "value", "%s no longer listens for steps", target.Name)
	}
	s.tell(target.Name, control{Op: "step"})
	return nil
}

// notReady explains why the named process cannot take a step.
func (s *Session) notReady(name string) error {
	p := s.own.procs.find(name)
	if p == nil {
		return controlErr(http.StatusBadRequest, "value", "this session has no process %q", name)
	}
	switch p.State {
	case ProcBlocked:
		return controlErr(http.StatusConflict, "value", "%s is blocked in %s on %s: only the kernel can wake it", name, p.Call, p.Obj)
	case ProcExited:
		return controlErr(http.StatusConflict, "value", "%s has exited", name)
	}
	return controlErr(http.StatusConflict, "value", "%s is not waiting for a step yet", name)
}

// tell sends a control message to one process, if it still listens.
func (s *Session) tell(name string, c control) {
	if f, ok := s.own.ctl[name]; ok {
		writeControl(f, c)
	}
}

// tellAll sends a control message to every process still listening.
func (s *Session) tellAll(c control) {
	for _, f := range s.own.ctl {
		writeControl(f, c)
	}
}

// armLimit sets the time-limit timer for the budget's next word: none
// while paused.
func (s *Session) armLimit() {
	o := &s.own
	if o.limitT != nil {
		o.limitT.Stop()
	}
	o.limitC = nil
	if d, ok := o.limit.next(time.Now(), o.warned); ok {
		o.limitT = time.NewTimer(d)
		o.limitC = o.limitT.C
	}
}

// limitReached warns that the time limit is near, or ends the session at
// it.
func (s *Session) limitReached() {
	o := &s.own
	now := time.Now()
	if left := o.limit.left(now); left > 0 {
		o.warned = true
		s.emit(event.Event{Kind: event.KindNote, Attrs: map[string]any{event.AttrLimitNS: o.limit.limit.Nanoseconds(), event.AttrLeftNS: left.Nanoseconds()},
			Text: fmt.Sprintf("This session will be ended in %v: sessions may run for %v (time spent paused does not count).",
				left.Round(time.Second), o.limit.limit)})
		s.armLimit()
		return
	}
	o.limitC = nil
	o.judge.failed = fmt.Sprintf("the session ran longer than its limit of %v and was ended", o.limit.limit)
	o.judge.endAll(fmt.Sprintf("the session ran longer than its limit of %v", o.limit.limit))
	s.killGroup()
}

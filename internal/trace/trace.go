// Package trace exports a session's events for other tools: the Chrome
// trace event format, which Perfetto and chrome://tracing load, and an SVG
// timeline for handouts. Both are pure functions of the event log.
package trace

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// sessionPID is the trace's one process: the session. Its threads are the
// session's processes, each under its real pid.
const sessionPID = 1

// sliceUS is the width, in microseconds, of the short slice that marks a
// message sent or received. A flow arrow binds to a slice, not to an
// instant, so data events are slices; one is cut short where the same
// process's next event begins, so that slices never overlap.
const sliceUS = 1.0

// traceEvent is one record of the Chrome trace event format.
type traceEvent struct {
	Name string   `json:"name"`
	Cat  string   `json:"cat,omitempty"`
	Ph   string   `json:"ph"`
	TS   float64  `json:"ts"`
	Dur  *float64 `json:"dur,omitempty"`
	PID  int      `json:"pid"`
	TID  int      `json:"tid"`
	ID   int      `json:"id,omitempty"`
	BP   string   `json:"bp,omitempty"`
	S    string   `json:"s,omitempty"`
	Args any      `json:"args,omitempty"` // *traceArgs, or a metadata record's map
}

// stream writes the trace's records one at a time, so that a long log never
// becomes one large buffer: the server may export a session of many
// thousands of events.
type stream struct {
	w   *bufio.Writer
	n   int
	err error
}

func (s *stream) put(te traceEvent) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(te)
	if err != nil {
		s.err = err
		return
	}
	if s.n > 0 {
		s.w.WriteByte(',')
	}
	s.n++
	_, s.err = s.w.Write(b)
}

// Write writes evs, a session's log in seq order, as a Chrome trace: a track
// per process (thread_name naming it), a slice for each blocked call from
// block to unblock, short slices for data sent and received joined by flow
// arrows (ph "s" and "f", one id per message), and instants for signals,
// semaphore operations, moments and the rest. Events of the server itself
// go on a track of their own.
func Write(w io.Writer, evs []event.Event) error {
	l := layout(evs)
	s := &stream{w: bufio.NewWriter(w)}
	s.w.WriteString(`{"displayTimeUnit":"ms","traceEvents":[`)
	for _, m := range l.metadata(evs) {
		s.put(m)
	}
	open := map[string]event.Event{} // process → its pending block
	for i := range evs {
		e := &evs[i]
		tid := l.tid(owner(e))
		switch {
		case e.Kind == event.KindBlock && e.Proc != "":
			open[e.Proc] = *e
		case (e.Kind == event.KindUnblock || e.Kind == event.KindExit) && hasKey(open, e.Proc):
			s.put(blockSlice(open[e.Proc], e.T, tid, e.Kind == event.KindExit))
			delete(open, e.Proc)
			if e.Kind == event.KindExit {
				s.put(instant(e, tid))
			}
		case isData(e.Kind):
			for _, te := range l.dataSlice(i, e, tid) {
				s.put(te)
			}
		case shown(e.Kind):
			s.put(instant(e, tid))
		}
	}
	end := int64(0)
	if len(evs) > 0 {
		end = evs[len(evs)-1].T
	}
	for _, b := range sortedBlocks(open) {
		s.put(blockSlice(b, end, l.tid(b.Proc), false))
	}
	if s.err == nil {
		s.w.WriteString("]}\n")
		s.err = s.w.Flush()
	}
	if s.err != nil {
		return fmt.Errorf("write trace: %w", s.err)
	}
	return nil
}

func hasKey(m map[string]event.Event, k string) bool { _, ok := m[k]; return ok }

// isData reports whether a kind moves data that a flow may join.
func isData(kind string) bool {
	switch kind {
	case event.KindWrite, event.KindRead, event.KindSend, event.KindRecv:
		return true
	}
	return false
}

// shown reports whether an event of this kind becomes an instant. Samples,
// pacing and the session's own states are not things a process did.
func shown(kind string) bool {
	switch kind {
	case event.KindSample, event.KindPace, event.KindSession, event.KindReady, event.KindSleep, event.KindUnblock:
		return false
	}
	return true
}

func us(t int64) float64 { return float64(t) / 1000 }

// blockSlice is the time a call spent blocked, to its unblock, or to the
// process's death, or to the end of the log.
func blockSlice(b event.Event, end int64, tid int, killed bool) traceEvent {
	dur := us(end - b.T)
	name := "blocked in " + b.Call
	if killed {
		name += " (until the process ended)"
	}
	return traceEvent{Name: name, Cat: "block", Ph: "X", TS: us(b.T), Dur: &dur, PID: sessionPID, TID: tid, Args: args(&b)}
}

// instant marks one event on its process's track.
func instant(e *event.Event, tid int) traceEvent {
	name := e.Kind
	cat := e.Kind
	switch {
	case e.Kind == event.KindMoment:
		name = "moment: " + e.Name
		cat = "moment"
	case e.Call != "" && e.Kind != e.Call:
		name = e.Kind + " (" + e.Call + ")"
	}
	return traceEvent{Name: name, Cat: cat, Ph: "i", S: "t", TS: us(e.T), PID: sessionPID, TID: tid, Args: args(e)}
}

// traceArgs is what a reader of the trace needs to know of an event.
type traceArgs struct {
	Seq   uint64         `json:"seq"`
	Obj   string         `json:"obj,omitempty"`
	Call  string         `json:"call,omitempty"`
	Bytes int            `json:"bytes,omitempty"`
	Msg   int64          `json:"msg,omitempty"`
	Peer  string         `json:"peer,omitempty"`
	Prio  int            `json:"prio,omitempty"`
	Type  int64          `json:"type,omitempty"`
	Fill  *int64         `json:"fill,omitempty"`
	Cap   int64          `json:"cap,omitempty"`
	Value *int64         `json:"value,omitempty"`
	Sig   string         `json:"sig,omitempty"`
	Code  *int           `json:"code,omitempty"`
	Error string         `json:"error,omitempty"`
	Text  string         `json:"text,omitempty"`
	Name  string         `json:"name,omitempty"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

func args(e *event.Event) *traceArgs {
	return &traceArgs{Seq: e.Seq, Obj: e.Obj, Call: e.Call, Bytes: e.Bytes, Msg: e.Msg, Peer: e.Peer, Prio: e.Prio,
		Type: e.Type, Fill: e.Fill, Cap: e.Cap, Value: e.Value, Sig: e.Sig, Code: e.Code, Error: e.Error,
		Text: e.Text, Name: e.Name, Attrs: e.Attrs}
}

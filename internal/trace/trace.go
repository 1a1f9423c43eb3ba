// Package trace exports a session's events for other tools: the Chrome
// trace event format, which Perfetto and chrome://tracing load, and an SVG
// timeline for handouts. Both are pure functions of the event log.
package trace

import (
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
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	TS   float64        `json:"ts"`
	Dur  *float64       `json:"dur,omitempty"`
	PID  int            `json:"pid"`
	TID  int            `json:"tid"`
	ID   int            `json:"id,omitempty"`
	BP   string         `json:"bp,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// file is the whole trace.
type file struct {
	TraceEvents     []traceEvent `json:"traceEvents"`
	DisplayTimeUnit string       `json:"displayTimeUnit"`
}

// Write writes evs, a session's log in seq order, as a Chrome trace: a track
// per process (thread_name naming it), a slice for each blocked call from
// block to unblock, short slices for data sent and received joined by flow
// arrows (ph "s" and "f", one id per message), and instants for signals,
// semaphore operations, moments and the rest. Events of the server itself
// go on a track of their own.
func Write(w io.Writer, evs []event.Event) error {
	l := layout(evs)
	out := file{DisplayTimeUnit: "ms", TraceEvents: l.metadata(evs)}
	open := map[string]event.Event{} // process → its pending block
	for i := range evs {
		e := &evs[i]
		tid := l.tid(e.Proc)
		switch {
		case e.Kind == event.KindBlock && e.Proc != "":
			open[e.Proc] = *e
		case (e.Kind == event.KindUnblock || e.Kind == event.KindExit) && hasKey(open, e.Proc):
			out.TraceEvents = append(out.TraceEvents, blockSlice(open[e.Proc], e.T, tid, e.Kind == event.KindExit))
			delete(open, e.Proc)
			if e.Kind == event.KindExit {
				out.TraceEvents = append(out.TraceEvents, instant(e, tid))
			}
		case isData(e.Kind):
			out.TraceEvents = append(out.TraceEvents, l.dataSlice(i, e, tid)...)
		case shown(e.Kind):
			out.TraceEvents = append(out.TraceEvents, instant(e, tid))
		}
	}
	end := int64(0)
	if len(evs) > 0 {
		end = evs[len(evs)-1].T
	}
	for _, b := range sortedBlocks(open) {
		out.TraceEvents = append(out.TraceEvents, blockSlice(b, end, l.tid(b.Proc), false))
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write trace: %w", err)
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

// args keeps what a reader of the trace needs to know of an event.
func args(e *event.Event) map[string]any {
	a := map[string]any{"seq": e.Seq}
	put := func(k string, v any, ok bool) {
		if ok {
			a[k] = v
		}
	}
	put("obj", e.Obj, e.Obj != "")
	put("call", e.Call, e.Call != "")
	put("bytes", e.Bytes, e.Bytes != 0)
	put("msg", e.Msg, e.Msg != 0)
	put("peer", e.Peer, e.Peer != "")
	put("prio", e.Prio, e.Prio != 0)
	put("type", e.Type, e.Type != 0)
	put("fill", e.Fill, e.Fill != nil)
	put("cap", e.Cap, e.Cap != 0)
	put("value", e.Value, e.Value != nil)
	put("sig", e.Sig, e.Sig != "")
	put("code", e.Code, e.Code != nil)
	put("error", e.Error, e.Error != "")
	put("text", e.Text, e.Text != "")
	put("name", e.Name, e.Name != "")
	put("attrs", e.Attrs, len(e.Attrs) > 0)
	return a
}

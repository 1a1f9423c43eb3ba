// Package moment finds the instants a lesson turns on in a session's
// events: the first write that must wait for room, a lost update in the race,
// a deadlock formed, found and broken, a dropped datagram, a merged signal, a
// message that overtakes another. A Detector is fed the session's events in
// seq order and returns, after each, the moment events to log right after
// it. It reads nothing but the events: no clock, no processes, no kernel.
package moment

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/pipefill"
)

// Names of the moments, as the event's Name field carries them.
const (
	FirstBlock       = "first_block"       // a writer waits: no room in the buffer (once per object)
	EmptyReceive     = "empty_receive"     // a reader waits or fails: nothing to take (once per object)
	LostUpdate       = "lost_update"       // the race: the first store that wiped out others' additions
	DeadlockFormed   = "deadlock_formed"   // the block that closed a wait-for cycle
	DeadlockDetected = "deadlock_detected" // the server (not the kernel) found the cycle
	DeadlockBroken   = "deadlock_broken"   // the victim was killed and a survivor went on
	DatagramDropped  = "datagram_dropped"  // the kernel dropped a datagram: no room at the receiver
	SignalMerged     = "signal_merged"     // a standard signal sent while the same one was pending
	PriorityOvertake = "priority_overtake" // a message received before an older one of lower priority
)

// Attrs keys every moment may carry.
const (
	// AttrAbout is the seq of the event the moment is about.
	AttrAbout = event.AttrAboutSeq
	// AttrRelated is the seq of a second event it involves: the store
	// overwritten, the victim's exit, the signal that was pending, the
	// message overtaken.
	AttrRelated = event.AttrRelatedSeq
)

// Detector keeps what it has seen of one session. It is not safe for
// concurrent use: the session's owner feeds it.
type Detector struct {
	scenario string
	levels   map[string]*level // object → what the kernel last reported
	buffers  bufferState
	race     raceState
	deadlock deadlockState
	drops    dropState
	signals  signalState
	queues   queueState
	pipes    pipeState
}

// level is an object's fill and capacity, as the last event reported them.
type level struct {
	fill    int64
	hasFill bool
	cap     int64
}

// New returns a detector for a session of the named scenario.
func New(scenario string) *Detector {
	return &Detector{
		scenario: scenario,
		levels:   map[string]*level{},
		buffers:  bufferState{done: map[string]bool{}},
		race:     raceState{stores: map[int64]store{}},
		deadlock: deadlockState{blocked: map[string]uint64{}},
		drops:    dropState{counts: map[string]int64{}},
		signals:  signalState{sent: map[int64][]sentSignal{}},
		queues:   queueState{waiting: map[string][]queued{}, entered: map[msgKey]uint64{}},
		pipes:    pipeState{models: map[string]*pipefill.Pipe{}},
	}
}

// Observe takes the next logged event, numbered already (a moment's
// about_seq is an event's seq), and returns the moments it completes, in the
// order to log them right after it; the server numbers them. Moment events
// fed back are ignored.
func (d *Detector) Observe(e *event.Event) []event.Event {
	if e.Kind == event.KindMoment {
		return nil
	}
	var out []event.Event
	out = append(out, d.buffers.observe(d, e)...)
	out = append(out, d.race.observe(e)...)
	out = append(out, d.deadlock.observe(e)...)
	out = append(out, d.drops.observe(e)...)
	out = append(out, d.signals.observe(e)...)
	out = append(out, d.queues.observe(e)...)
	d.track(e)
	d.pipes.observe(e)
	return out
}

// track remembers the object's fill and capacity after e.
func (d *Detector) track(e *event.Event) {
	if e.Obj == "" || (e.Fill == nil && e.Cap == 0) {
		return
	}
	l := d.levels[e.Obj]
	if l == nil {
		l = &level{}
		d.levels[e.Obj] = l
	}
	if e.Fill != nil {
		l.fill, l.hasFill = *e.Fill, true
	}
	if e.Cap != 0 {
		l.cap = e.Cap
	}
}

// level is what the kernel last reported of an object, or nothing.
func (d *Detector) level(obj string) level {
	if l := d.levels[obj]; l != nil {
		return *l
	}
	return level{}
}

// newMoment makes a moment about e. Its t is the t of the event that
// completed it, passed separately, so that t never goes back along seq.
// The process it is about goes in attrs.proc, not in proc: an event's proc
// names the process that did it, and a moment is the server's mark.
func newMoment(name string, t int64, about *event.Event, text string) event.Event {
	attrs := map[string]any{AttrAbout: about.Seq}
	if about.Proc != "" {
		attrs[AttrProc] = about.Proc
	}
	return event.Event{T: t, Kind: event.KindMoment, Name: name, Obj: about.Obj, Text: text, Attrs: attrs}
}

// AttrProc is the attr naming the process a moment is about.
const AttrProc = event.AttrProc

// attrInt reads a numeric attr, whether the event was built in Go (int,
// int64) or decoded from JSON (float64, json.Number).
func attrInt(e *event.Event, key string) (int64, bool) {
	switch v := e.Attrs[key].(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		return int64(v), true
	case float64:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}

// attrString reads a string attr.
func attrString(e *event.Event, key string) string {
	s, _ := e.Attrs[key].(string)
	return s
}

// num writes n with thousands separators, as the page does: 4,096.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// plural says "1 addition" or "3 additions".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%s %s", num(n), many)
}

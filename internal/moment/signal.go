package moment

import (
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// signalState finds the first standard signal that merged into a pending
// one. A standard signal (below 32) has one pending slot per process: sent
// while the same signal is pending, it is dropped, and its value with it.
// A signal event is logged just before its sigqueue call, so which sends
// merged is only sure once the receiver has had what it will get: a later
// value of the same signal delivered, the scenario's end marker delivered
// (it comes after every pending signal), or the receiver's exit.
type signalState struct {
	sent map[int64][]sentSignal // signal number → sends, in order
	done bool
}

// sentSignal is one logged send.
type sentSignal struct {
	ev        event.Event
	value     int64
	delivered bool
}

// standardSignals are numbers below the first real-time signal.
const standardSignals = 32

func (s *signalState) observe(e *event.Event) []event.Event {
	if s.done {
		return nil
	}
	signo, ok := attrInt(e, event.AttrSigno)
	marker, _ := e.Attrs[event.AttrMarker].(bool)
	switch {
	case e.Kind == event.KindSignal && ok && !marker && signo < standardSignals:
		v, _ := attrInt(e, event.AttrValue)
		s.sent[signo] = append(s.sent[signo], sentSignal{ev: *e, value: v})
	case e.Kind == event.KindDeliver && ok && marker:
		return s.confirm(e, -1, -1)
	case e.Kind == event.KindDeliver && ok:
		v, _ := attrInt(e, event.AttrValue)
		return s.deliver(e, signo, v)
	case e.Kind == event.KindExit:
		return s.confirm(e, -1, -1)
	}
	return nil
}

// deliver marks the first undelivered send of that value as delivered;
// every earlier send still undelivered merged.
func (s *signalState) deliver(e *event.Event, signo, value int64) []event.Event {
	for i, x := range s.sent[signo] {
		if !x.delivered && x.value == value {
			s.sent[signo][i].delivered = true
			return s.confirm(e, signo, i)
		}
	}
	return nil
}

// confirm looks for a merged send of signo among the first upto sends
// (every signal and every send when signo is -1), and words the first.
// At the receiver's exit or end marker, only sends to that receiver count.
func (s *signalState) confirm(e *event.Event, signo int64, upto int) []event.Event {
	var first *sentSignal
	var pending *sentSignal
	for n, sends := range s.sent {
		if signo >= 0 && n != signo {
			continue
		}
		var lastDelivered *sentSignal
		for i := range sends {
			x := &sends[i]
			if upto >= 0 && i >= upto {
				break
			}
			if signo < 0 && x.ev.Peer != e.Proc {
				continue
			}
			if x.delivered {
				lastDelivered = x
				continue
			}
			if first == nil || x.ev.Seq < first.ev.Seq {
				first, pending = x, lastDelivered
			}
			break
		}
	}
	if first == nil {
		return nil
	}
	s.done = true
	return []event.Event{mergedMoment(e, first, pending)}
}

func mergedMoment(at *event.Event, m, pending *sentSignal) event.Event {
	name := attrString(&m.ev, "name")
	was := fmt.Sprintf("another %s", name)
	if pending != nil {
		was = fmt.Sprintf("the %s with value %d", name, pending.value)
	}
	text := fmt.Sprintf("%s sent %s with value %d to %s while %s was still pending. A standard signal has one "+
		"pending slot, so the two merged: value %d is never delivered, and %s gets fewer signals than were sent.",
		m.ev.Proc, name, m.value, m.ev.Peer, was, m.value, m.ev.Peer)
	mo := newMoment(SignalMerged, at.T, &m.ev, text)
	mo.Peer = m.ev.Peer
	signo, _ := attrInt(&m.ev, "signo")
	mo.Attrs[event.AttrSignal] = name
	mo.Attrs[event.AttrSigno] = signo
	mo.Attrs[event.AttrValue] = m.value
	if pending != nil {
		mo.Attrs[event.AttrPendingValue] = pending.value
		mo.Attrs[AttrRelated] = pending.ev.Seq
	}
	return mo
}

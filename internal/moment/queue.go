package moment

import (
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// queueState finds the first message received before an older one of lower
// priority that was waiting in the same queue: the kernel hands a POSIX
// queue's messages out highest priority first. A message counts as in the
// queue before another when its send was logged before the other's sender
// even began to wait (its block) or, if it did not wait, before its send.
type queueState struct {
	waiting map[string][]queued // object → messages sent and not yet received, in order
	entered map[msgKey]uint64   // a blocked send: the seq of its block
	done    bool
}

type msgKey struct {
	obj string
	msg int64
}

// queued is a message sent and not yet received.
type queued struct {
	msg   int64
	prio  int
	seq   uint64 // its send event
	after uint64 // the seq before which another message must have been sent to be older
	proc  string
}

func (s *queueState) observe(e *event.Event) []event.Event {
	if s.done || e.Obj == "" || e.Msg == 0 {
		return nil
	}
	k := msgKey{e.Obj, e.Msg}
	switch e.Kind {
	case event.KindBlock:
		if sendCalls[e.Call] {
			s.entered[k] = e.Seq
		}
	case event.KindSend:
		after := e.Seq
		if b, ok := s.entered[k]; ok {
			after = b
			delete(s.entered, k)
		}
		s.waiting[e.Obj] = append(s.waiting[e.Obj], queued{msg: e.Msg, prio: e.Prio, seq: e.Seq, after: after, proc: e.Proc})
	case event.KindRecv:
		return s.receive(e)
	}
	return nil
}

// receive takes the message out of the queue's list and reports whether it
// overtook an older one of lower priority.
func (s *queueState) receive(e *event.Event) []event.Event {
	list := s.waiting[e.Obj]
	at := -1
	for i, q := range list {
		if q.msg == e.Msg {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	m := list[at]
	s.waiting[e.Obj] = append(list[:at:at], list[at+1:]...)
	for _, k := range list[:at] {
		if k.prio < m.prio && k.seq < m.after {
			s.done = true
			return []event.Event{overtakeMoment(e, m, k)}
		}
	}
	return nil
}

func overtakeMoment(e *event.Event, m, k queued) event.Event {
	text := fmt.Sprintf("%s received message %d (priority %d) before message %d (priority %d), which %s sent "+
		"earlier and which still waits in the queue: the kernel hands out the highest priority first, "+
		"the oldest first only among equals.", e.Proc, m.msg, m.prio, k.msg, k.prio, k.proc)
	mo := newMoment(PriorityOvertake, e.T, e, text)
	mo.Msg, mo.Prio = m.msg, m.prio
	mo.Attrs[event.AttrOvertakenMsg] = k.msg
	mo.Attrs[event.AttrOvertakenPrio] = k.prio
	mo.Attrs[AttrRelated] = k.seq
	return mo
}

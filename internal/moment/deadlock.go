package moment

import (
	"fmt"
	"strings"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// deadlockState follows a deadlock through the server's report of it: the
// block that closed the cycle (formed), the report (detected), and the
// victim's death with a survivor's wake-up (broken). The cycle is known for
// sure only when the server reports it, after making sure it lasts, so the
// formed moment is logged then, pointing back at the block.
type deadlockState struct {
	blocked  map[string]uint64 // process → seq of its block, while blocked
	cycle    map[string]bool   // the processes of the reported cycle
	reported bool
	victim   *event.Event // the cycle's process killed by a signal
	survivor *event.Event // a wake-up of another process of the cycle
	broken   bool
}

func (s *deadlockState) observe(e *event.Event) []event.Event {
	switch e.Kind {
	case event.KindBlock:
		s.blocked[e.Proc] = e.Seq
	case event.KindUnblock:
		delete(s.blocked, e.Proc)
		if s.reported && s.cycle[e.Proc] && s.survivor == nil && (s.victim == nil || s.victim.Proc != e.Proc) {
			c := *e
			s.survivor = &c
			return s.broke(e)
		}
	case event.KindExit:
		delete(s.blocked, e.Proc)
		if s.reported && s.cycle[e.Proc] && e.Sig != "" && s.victim == nil {
			c := *e
			s.victim = &c
			return s.broke(e)
		}
	case event.KindDeadlock:
		if !s.reported && len(e.Cycle) > 0 {
			return s.detected(e)
		}
	}
	return nil
}

// detected returns the formed and detected moments for the server's report.
func (s *deadlockState) detected(e *event.Event) []event.Event {
	s.reported = true
	s.cycle = map[string]bool{}
	closing := e.Cycle[0]
	var closingSeq uint64
	for _, edge := range e.Cycle {
		s.cycle[edge.Proc] = true
		if seq := s.blocked[edge.Proc]; seq > closingSeq {
			closing, closingSeq = edge, seq
		}
	}
	about := event.Event{Seq: closingSeq, Proc: closing.Proc, Obj: closing.Obj}
	if closingSeq == 0 {
		about.Seq = e.Seq // blocks not seen: the report is all there is
	}
	formed := newMoment(DeadlockFormed, e.T, &about, fmt.Sprintf("A deadlock formed when %s blocked on %s: %s. "+
		"Each waits for another, so none of them can ever go on.", closing.Proc, closing.Obj, describe(e.Cycle)))
	formed.Cycle = e.Cycle
	det := newMoment(DeadlockDetected, e.T, e, "This server found the cycle, not the kernel: Linux does not look "+
		"for deadlocks between processes waiting on semaphores or pipes, and would let them sleep for ever. "+
		"The server watches who waits for what, and will kill one of them to break the cycle.")
	det.Cycle = e.Cycle
	return []event.Event{formed, det}
}

// broke returns the broken moment once both the victim's death and a
// survivor's wake-up are logged, whichever comes last.
func (s *deadlockState) broke(e *event.Event) []event.Event {
	if s.broken || s.victim == nil || s.survivor == nil {
		return nil
	}
	s.broken = true
	v, w := s.victim, s.survivor
	m := newMoment(DeadlockBroken, e.T, w, fmt.Sprintf("The deadlock is broken: %s was killed (%s), the kernel "+
		"released what it held, and %s, woken, goes on.", v.Proc, v.Sig, w.Proc))
	m.Peer = v.Proc
	m.Attrs[event.AttrVictim] = v.Proc
	m.Attrs[event.AttrSurvivor] = w.Proc
	m.Attrs[AttrRelated] = v.Seq
	return []event.Event{m}
}

// describe says a cycle in words.
func describe(c []event.WaitEdge) string {
	parts := make([]string, len(c))
	for i, e := range c {
		parts[i] = fmt.Sprintf("%s waits for %s, held by %s", e.Proc, e.Obj, e.Holder)
	}
	return strings.Join(parts, "; ")
}

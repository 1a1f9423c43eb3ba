package moment

import (
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// dropState marks the first datagram the kernel dropped: when an object's
// drop count (attrs.drops, from SO_RXQ_OVFL on a received datagram or from
// /proc/net in a sample) rises, or, failing that, when the server names a
// datagram that never arrived (a lost event).
type dropState struct {
	counts map[string]int64 // object → drop count last seen
	done   bool
}

func (s *dropState) observe(e *event.Event) []event.Event {
	if s.done {
		return nil
	}
	if e.Kind == event.KindLost {
		s.done = true
		m := newMoment(DatagramDropped, e.T, e, fmt.Sprintf("Datagram %d from %s never arrived: the kernel dropped it, "+
			"because %s's receive buffer was full when it came. UDP neither waits for room nor sends again.",
			e.Msg, e.Peer, e.Obj))
		m.Msg, m.Peer = e.Msg, e.Peer
		return []event.Event{m}
	}
	// Only a UDP port's drops are datagrams lost. A TCP socket counts
	// drops too (segments that found its buffer full), but TCP sends those
	// again: nothing is lost.
	n, ok := attrInt(e, event.AttrDrops)
	if !ok || event.KindOf(e.Obj) != event.ObjKindUDP {
		return nil
	}
	before := s.counts[e.Obj]
	s.counts[e.Obj] = n
	if n <= before {
		return nil
	}
	s.done = true
	m := newMoment(DatagramDropped, e.T, e, fmt.Sprintf("The kernel dropped %s sent to %s: its receive buffer "+
		"had no room when they came (each datagram also costs some hundreds of bytes of bookkeeping). UDP "+
		"neither waits for room nor sends again; the kernel only counts the drops.",
		plural(n-before, "datagram", "datagrams"), e.Obj))
	m.Attrs[event.AttrDrops] = n
	return []event.Event{m}
}

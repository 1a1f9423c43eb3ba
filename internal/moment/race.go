package moment

import (
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// raceState finds the race's first lost update. A worker's store to the
// counter carries attrs.loaded and attrs.overwrote when it replaced another
// value than it had loaded; more than loaded means the store wiped out the
// additions other workers made in between. The stores logged so far say
// whose store held the value that was overwritten.
type raceState struct {
	stores map[int64]store // value → the latest logged store of it
	done   bool
}

// store is one logged write of the counter.
type store struct {
	proc string
	seq  uint64
}

func (r *raceState) observe(e *event.Event) []event.Event {
	if r.done || e.Kind != event.KindWrite || e.Value == nil {
		return nil
	}
	stored := *e.Value
	loaded, ok1 := attrInt(e, event.AttrLoaded)
	overwrote, ok2 := attrInt(e, event.AttrOverwrote)
	if !ok1 || !ok2 || overwrote <= loaded {
		r.stores[stored] = store{e.Proc, e.Seq}
		return nil
	}
	r.done = true
	victim, known := r.stores[overwrote]
	if victim.proc == e.Proc {
		known = false
	}
	lost := overwrote - loaded
	m := newMoment(LostUpdate, e.T, e, lostText(e.Proc, victim.proc, known, loaded, stored, overwrote, lost))
	m.Value = event.Int64(stored)
	m.Attrs[event.AttrLoaded] = loaded
	m.Attrs[event.AttrStored] = stored
	m.Attrs[event.AttrOverwrote] = overwrote
	m.Attrs[event.AttrLost] = lost
	if known {
		m.Peer = victim.proc
		m.Attrs[AttrRelated] = victim.seq
	}
	return []event.Event{m}
}

// lostText says which store overwrote which worker's addition.
func lostText(proc, victim string, known bool, loaded, stored, overwrote, lost int64) string {
	who := "another worker"
	if known {
		who = victim
	}
	if lost == 1 {
		return fmt.Sprintf("An update is lost: %s loaded %s and stored %s, but in between %s had stored %s. "+
			"%s's store wrote over it, so %s's addition is gone.", proc, num(loaded), num(stored), who, num(overwrote), proc, who)
	}
	return fmt.Sprintf("Updates are lost: %s loaded %s and stored %s, but in between the counter had been raised "+
		"to %s (the last store was %s's). %s's store wrote over it, so %s are gone.",
		proc, num(loaded), num(stored), num(overwrote), who, proc, plural(lost, "addition", "additions"))
}

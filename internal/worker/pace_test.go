package worker

import (
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/wire"
)

func TestPaceStateApply(t *testing.T) {
	for _, c := range []struct {
		name    string
		msgs    []wire.Control
		takes   int // steps the gate tries to take after the messages
		want    paceState
		allowed int // of those, how many it may take
	}{
		{"nothing yet", nil, 1, paceState{speed: 1}, 0},
		{"go", []wire.Control{{Go: true}}, 0, paceState{started: true, speed: 1}, 0},
		{"go stays once given", []wire.Control{{Go: true}, {Paused: true}}, 0, paceState{started: true, paused: true, speed: 1}, 0},
		{"the latest pause wins", []wire.Control{{Paused: true}, {Paused: false}, {Paused: true}}, 0, paceState{paused: true, speed: 1}, 0},
		{"speed zero leaves it", []wire.Control{{Speed: 2.5}, {Speed: 0}}, 0, paceState{speed: 2.5}, 0},
		{"steps by difference", []wire.Control{{Steps: 1}, {Steps: 3}}, 4, paceState{speed: 1, granted: 3, taken: 3}, 3},
		{"a late old message takes back nothing", []wire.Control{{Steps: 5}, {Steps: 2}}, 5, paceState{speed: 1, granted: 5, taken: 5}, 5},
		{"coalesced storm ends in the last state", []wire.Control{{Go: true, Paused: true, Speed: 3, Steps: 7}}, 2,
			paceState{started: true, paused: true, speed: 3, granted: 7, taken: 2}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := paceState{speed: 1}
			for _, m := range c.msgs {
				s.apply(m)
			}
			took := 0
			for range c.takes {
				if s.takeStep() {
					took++
				}
			}
			if s != c.want || took != c.allowed {
				t.Fatalf("got %+v taking %d steps, want %+v taking %d", s, took, c.want, c.allowed)
			}
		})
	}
}

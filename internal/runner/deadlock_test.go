package runner

import (
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

func TestDeadlockDetectorFindsCycle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		evs   []event.Event
		cycle bool
	}{
		{"opposite order", []event.Event{
			{Kind: event.KindWait, Proc: "a", Obj: "sem:1#0"},
			{Kind: event.KindWait, Proc: "b", Obj: "sem:1#1"},
			{Kind: event.KindBlock, Proc: "a", Obj: "sem:1#1"},
			{Kind: event.KindBlock, Proc: "b", Obj: "sem:1#0"},
		}, true},
		{"same order: one waits, no cycle", []event.Event{
			{Kind: event.KindWait, Proc: "a", Obj: "sem:1#0"},
			{Kind: event.KindBlock, Proc: "b", Obj: "sem:1#0"},
			{Kind: event.KindWait, Proc: "a", Obj: "sem:1#1"},
		}, false},
		{"released before the second block", []event.Event{
			{Kind: event.KindWait, Proc: "a", Obj: "sem:1#0"},
			{Kind: event.KindWait, Proc: "b", Obj: "sem:1#1"},
			{Kind: event.KindBlock, Proc: "a", Obj: "sem:1#1"},
			{Kind: event.KindPost, Proc: "b", Obj: "sem:1#1"},
			{Kind: event.KindUnblock, Proc: "a", Obj: "sem:1#1"},
			{Kind: event.KindBlock, Proc: "b", Obj: "sem:1#0"},
		}, false},
		{"pipes, both reading first", []event.Event{
			{Kind: event.KindBlock, Proc: "a", Obj: "pipe:1", Peer: "b"},
			{Kind: event.KindBlock, Proc: "b", Obj: "pipe:2", Peer: "a"},
		}, true},
		{"holder exited", []event.Event{
			{Kind: event.KindWait, Proc: "a", Obj: "sem:1#0"},
			{Kind: event.KindWait, Proc: "b", Obj: "sem:1#1"},
			{Kind: event.KindBlock, Proc: "a", Obj: "sem:1#1"},
			{Kind: event.KindExit, Proc: "b"},
			{Kind: event.KindBlock, Proc: "c", Obj: "sem:1#0"},
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeadlockDetector()
			closed := false
			for i := range tc.evs {
				if d.observe(&tc.evs[i]) {
					closed = true
				}
			}
			c := d.cycle()
			if (c != nil) != tc.cycle || closed != tc.cycle {
				t.Fatalf("cycle %v (closed %v), want a cycle: %v", c, closed, tc.cycle)
			}
			if c != nil && (len(c) != 2 || c[0].Holder != c[1].Proc || c[1].Holder != c[0].Proc) {
				t.Fatalf("cycle %+v is not a loop of two", c)
			}
		})
	}
}

package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// ev makes a test event from a short form: "proc kind msg", e.g. "a send 1",
// "b recv 1", "b note", "b unblock-open a fifo" (an open that a's open of
// fifo ended), "a open fifo", "a signal 10:1" (signal 10 with value 1),
// "b deliver a 10:1" (that signal delivered, from a).
func ev(s string) event.Event {
	f := strings.Fields(s)
	e := event.Event{Proc: f[0], Kind: f[1]}
	switch {
	case f[1] == "unblock-open":
		e.Kind, e.Call, e.Peer, e.Obj = event.KindUnblock, "open", f[2], f[3]
	case f[1] == event.KindOpen:
		e.Call, e.Obj = "open", f[2]
	case f[1] == event.KindSignal || f[1] == event.KindDeliver:
		var signo, value float64 // as a worker's record decodes them
		fmt.Sscanf(f[len(f)-1], "%g:%g", &signo, &value)
		e.Attrs = map[string]any{"signo": signo, "value": value}
		if f[1] == event.KindDeliver {
			e.Peer = f[2]
		}
	case f[1] == "store" || f[1] == "load":
		// "a store 5", "a store 5 over 7" (replaced 7), "a load 5";
		// "over" and a load of more than 0 follow a logged store.
		var v int64
		fmt.Sscan(f[2], &v)
		e.Kind, e.Obj, e.Offset, e.Value = event.KindWrite, "shm", event.Int64(0), event.Int64(v)
		if f[1] == "load" {
			e.Kind = event.KindRead
			if v != 0 {
				e.Attrs = map[string]any{"follows_store": true}
			}
		}
		if len(f) == 5 {
			var over float64 // as a worker's record decodes it
			fmt.Sscan(f[4], &over)
			e.Attrs = map[string]any{"loaded": float64(v - 1), "overwrote": over, "follows_store": true}
		}
	case len(f) > 2:
		fmt.Sscan(f[2], &e.Msg)
	}
	return e
}

func short(e event.Event) string {
	s := e.Proc + " " + e.Kind
	switch {
	case e.Kind == event.KindUnblock && e.Call == "open":
		s = e.Proc + " unblock-open"
	case e.Kind == event.KindOpen:
		s += " " + e.Obj
	case e.Kind == event.KindSignal || e.Kind == event.KindDeliver:
		s += fmt.Sprintf(" %v:%v", e.Attrs["signo"], e.Attrs["value"])
	case e.Obj == "shm":
		s = fmt.Sprintf("%s load %d", e.Proc, *e.Value)
		if e.Kind == event.KindWrite {
			s = fmt.Sprintf("%s store %d", e.Proc, *e.Value)
		}
		if e.Attrs["overwrote"] != nil {
			s += fmt.Sprint(" over ", e.Attrs["overwrote"])
		}
	case e.Msg != 0:
		s += fmt.Sprint(" ", e.Msg)
	}
	return s
}

// TestOrdererHoldsSurvivorsBehindTheKill checks that once the server has
// killed a deadlock's victim, what the survivor does next is logged after
// the victim's exit, whatever order the records came in.
func TestOrdererHoldsSurvivorsBehindTheKill(t *testing.T) {
	o := newOrderer()
	var out []heldEv
	e := ev("b note")
	out = o.admit(&e, 1, out)
	o.afterExitOf("a", []string{"a", "b"})
	for i, s := range []string{"b unblock", "b wait", "c note", "b exit", "a exit", "b note"} {
		e := ev(s)
		out = o.admit(&e, uint64(i+2), out)
	}
	var got []string
	for _, h := range out {
		got = append(got, short(h.e))
	}
	want := "b note, c note, a exit, b unblock, b wait, b exit, b note"
	if strings.Join(got, ", ") != want {
		t.Fatalf("logged\n  %s\nwant\n  %s", strings.Join(got, ", "), want)
	}
}

func TestOrderer(t *testing.T) {
	cases := []struct {
		name    string
		in      []string
		want    []string // the log, in order
		waiting int      // events still held at the end
	}{
		{"in order", []string{"a send 1", "b recv 1"}, []string{"a send 1", "b recv 1"}, 0},
		{"receive first waits for its send",
			[]string{"b recv 1", "a send 1"}, []string{"a send 1", "b recv 1"}, 0},
		{"a process's later events wait behind its receive",
			[]string{"b recv 1", "b note", "b send 2", "a note", "a send 1"},
			[]string{"a note", "a send 1", "b recv 1", "b note", "b send 2"}, 0},
		{"a chain across three processes",
			[]string{"c recv 2", "b recv 1", "b send 2", "a send 1"},
			[]string{"a send 1", "b recv 1", "b send 2", "c recv 2"}, 0},
		{"a receive with no id never waits",
			[]string{"b recv 0", "a send 1"}, []string{"b recv", "a send 1"}, 0},
		{"a lost send holds the receiver until the end",
			[]string{"b recv 9", "b note", "a send 1"}, []string{"a send 1"}, 2},
		{"a FIFO open that ended a wait waits for the peer's open",
			[]string{"r unblock-open w fifo", "r read 1", "w open fifo", "w write 1"},
			[]string{"w open fifo", "r unblock-open", "w write 1", "r read 1"}, 0},
		{"a delivery waits for its signal's send",
			[]string{"b deliver a 10:1", "b sleep", "a signal 10:1", "a signal 10:2"},
			[]string{"a signal 10:1", "b deliver 10:1", "b sleep", "a signal 10:2"}, 0},
		{"a delivery matches signal, value and sender",
			[]string{"b deliver a 10:2", "c signal 10:2", "a signal 12:2", "a signal 10:2"},
			[]string{"c signal 10:2", "a signal 12:2", "a signal 10:2", "b deliver 10:2"}, 0},
		{"a signal from outside the session never waits",
			[]string{"b deliver 4242 10:1", "b note"}, []string{"b deliver 10:1", "b note"}, 0},
		{"a load waits for the store of the value it found",
			[]string{"b load 1", "b store 2", "a load 0", "a store 1"},
			[]string{"a load 0", "a store 1", "b load 1", "b store 2"}, 0},
		{"a load of zero, the start, never waits",
			[]string{"b load 0", "a load 0"}, []string{"b load 0", "a load 0"}, 0},
		{"a store that replaced a value waits for the store of it",
			[]string{"a load 0", "b load 0", "a store 1 over 2", "b store 1", "b load 1", "b store 2"},
			[]string{"a load 0", "b load 0", "b store 1", "b load 1", "b store 2", "a store 1 over 2"}, 0},
		{"a store's own earlier store of the value does not count",
			[]string{"a store 2", "a store 3 over 2", "b store 2"},
			[]string{"a store 2", "b store 2", "a store 3 over 2"}, 0},
		{"a store whose replaced value is never stored waits to the end",
			[]string{"a store 3 over 9", "a note", "b store 1"}, []string{"b store 1"}, 2},
		{"other processes are never held",
			[]string{"b recv 5", "c note", "c send 6", "d recv 6"},
			[]string{"c note", "c send 6", "d recv 6"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newOrderer()
			var out []heldEv
			for i, s := range c.in {
				e := ev(s)
				out = o.admit(&e, uint64(i+1), out)
			}
			var got []string
			for _, h := range out {
				got = append(got, short(h.e))
			}
			if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Fatalf("logged\n  %s\nwant\n  %s", strings.Join(got, ", "), strings.Join(c.want, ", "))
			}
			if w := o.waiting(); w != c.waiting {
				t.Fatalf("%d events wait, want %d", w, c.waiting)
			}
			rest := o.flush(nil)
			if len(rest) != c.waiting || o.waiting() != 0 {
				t.Fatalf("flush gave %d events, %d still wait", len(rest), o.waiting())
			}
			for i := 1; i < len(rest); i++ {
				if rest[i].e.Proc == rest[i-1].e.Proc && rest[i].arrival < rest[i-1].arrival {
					t.Fatal("flush broke a process's own order")
				}
			}
		})
	}
}

func TestMsgSet(t *testing.T) {
	var m msgSet
	in := []int64{1, 63, 64, 65, 4000, msgSetDense - 1, msgSetDense, 1 << 40, -7}
	for _, id := range in {
		if m.has(id) {
			t.Fatalf("%d in the set before it was added", id)
		}
		m.add(id)
	}
	for _, id := range in {
		if !m.has(id) {
			t.Errorf("%d added but not in the set", id)
		}
	}
	for _, id := range []int64{2, 62, 66, 3999, 4001, msgSetDense - 2, msgSetDense + 1, 1<<40 + 1, -6, 0} {
		if m.has(id) {
			t.Errorf("%d in the set, never added", id)
		}
	}
}

func TestInTimeOrder(t *testing.T) {
	// at makes an event of the orderer's output: "proc kind msg @t",
	// "<N" when the output's event N let it go.
	at := func(s string) heldEv {
		f := strings.Fields(s)
		h := heldEv{after: -1}
		var rest []string
		for _, w := range f {
			switch {
			case strings.HasPrefix(w, "@"):
				fmt.Sscan(w[1:], &h.e.T)
			case strings.HasPrefix(w, "<"):
				fmt.Sscan(w[1:], &h.after)
			default:
				rest = append(rest, w)
			}
		}
		h.e = func(t int64) event.Event { e := ev(strings.Join(rest, " ")); e.T = t; return e }(h.e.T)
		return h
	}
	var kept timeMerge // one for every case, as the owner keeps one
	for _, c := range []struct {
		name string
		in   []string // the orderer's output, in its order
		want string
	}{
		{"a writer that ran ahead is shown ahead",
			[]string{"w write 1 @5", "r read 1 @20 <0", "w write 2 @6", "r read 2 @21 <2", "w write 3 @7", "r read 3 @22 <4"},
			"w write 1, w write 2, w write 3, r read 1, r read 2, r read 3"},
		{"a reader that kept up stays in turn",
			[]string{"w write 1 @5", "r read 1 @6 <0", "w write 2 @7", "r read 2 @8 <2"},
			"w write 1, r read 1, w write 2, r read 2"},
		{"a receive stamped before its send still follows it",
			[]string{"w write 1 @5", "r read 1 @4 <0"},
			"w write 1, r read 1"},
		{"a process's own order is kept, whatever its times",
			[]string{"a note @10", "a note 2 @5", "b note @7"},
			"b note, a note, a note 2"},
		{"a chain of causes across three processes",
			[]string{"a send 1 @9", "b recv 1 @3 <0", "b send 2 @4", "c recv 2 @1 <2", "d note @2"},
			"d note, a send 1, b recv 1, b send 2, c recv 2"},
		{"equal times keep the orderer's order",
			[]string{"b note @5", "a note @5"},
			"b note, a note"},
		{"one event", []string{"a note @1"}, "a note"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var evs []heldEv
			for _, s := range c.in {
				evs = append(evs, at(s))
			}
			for _, order := range [][]int{inTimeOrder(evs, nil), kept.order(evs, nil)} {
				var got []string
				for _, i := range order {
					got = append(got, short(evs[i].e))
				}
				if strings.Join(got, ", ") != c.want {
					t.Fatalf("logged\n  %s\nwant\n  %s", strings.Join(got, ", "), c.want)
				}
			}
		})
	}
}

// TestOrdererNamesWhatLetAnEventGo checks the orderer's output says, for
// each event that waited, which event let it go.
func TestOrdererNamesWhatLetAnEventGo(t *testing.T) {
	o := newOrderer()
	o.newBatch()
	var out []heldEv
	for i, s := range []string{"b recv 1", "b note", "c recv 2", "a note", "a send 1", "a send 2"} {
		e := ev(s)
		out = o.admit(&e, uint64(i+1), out)
	}
	var got []string
	for _, h := range out {
		got = append(got, fmt.Sprintf("%s<%d", short(h.e), h.after))
	}
	want := "a note<-1, a send 1<-1, b recv 1<1, b note<1, a send 2<-1, c recv 2<4"
	if strings.Join(got, ", ") != want {
		t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, ", "), want)
	}
}

// TestBatchInTimeOrderKeepsCauses admits one batch whose events carry
// times that, taken alone, would put an effect before its cause (both
// processes report at the same moment, the effect's clock read first),
// and checks the order logged keeps every rule of the orderer, whether the
// effect had to wait or its cause was in the batch already.
func TestBatchInTimeOrderKeepsCauses(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string // "event @t", in the order they come
		want string
	}{
		{"a FIFO's open, then the wait it ended, stamped earlier",
			[]string{"r open fifo @10", "w unblock-open r fifo @9", "w write 1 @11", "r read 1 @12"},
			"r open fifo, w unblock-open, w write 1, r read 1"},
		{"a receive after its send in the batch, stamped earlier",
			[]string{"a send 1 @10", "b recv 1 @9"},
			"a send 1, b recv 1"},
		{"a delivery after its signal, stamped earlier",
			[]string{"a signal 10:1 @10", "b deliver a 10:1 @9"},
			"a signal 10:1, b deliver 10:1"},
		{"a load after the store of its value, stamped earlier",
			[]string{"a load 0 @1", "a store 1 @10", "b load 1 @9"},
			"a load 0, a store 1, b load 1"},
		{"a survivor after the victim's exit, stamped earlier",
			[]string{"victim exit @10", "survivor unblock @9", "other note @8"},
			"other note, victim exit, survivor unblock"},
		{"independent events go by their times",
			[]string{"a note @10", "b note @9", "a send 1 @11", "b recv 1 @12"},
			"b note, a note, a send 1, b recv 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := newOrderer()
			o.afterExitOf("victim", []string{"victim", "survivor"})
			o.newBatch()
			var out []heldEv
			for i, s := range c.in {
				f := strings.Fields(s)
				var at int64
				fmt.Sscan(strings.TrimPrefix(f[len(f)-1], "@"), &at)
				e := ev(strings.Join(f[:len(f)-1], " "))
				e.T = at
				out = o.admit(&e, uint64(i+1), out)
			}
			var got []string
			for _, i := range inTimeOrder(out, nil) {
				got = append(got, short(out[i].e))
			}
			if strings.Join(got, ", ") != c.want {
				t.Fatalf("logged\n  %s\nwant\n  %s", strings.Join(got, ", "), c.want)
			}
		})
	}
}

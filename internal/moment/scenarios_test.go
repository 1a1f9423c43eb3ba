package moment_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/moment"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

// The test binary is also the worker: the runner starts /proc/self/exe with
// WorkerArg, and TestMain hands that process to WorkerMain.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the workers inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

func newTestRunner(t *testing.T) *runner.Runner {
	t.Helper()
	r, err := runner.New(runner.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

// record runs a scenario to its end and returns its log and result.
func record(t *testing.T, r *runner.Runner, name string, params map[string]any) ([]event.Event, map[string]any) {
	t.Helper()
	sc, ok := scenario.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	raw := map[string]json.RawMessage{}
	for k, v := range params {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	vals, ferr := sc.Validate(raw, r.Limits())
	if ferr != nil {
		t.Fatalf("validate: %v", ferr)
	}
	s, err := r.Start(sc, vals, "realtime")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case <-s.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still running after a minute", name)
	}
	evs, _, done := s.Events(1)
	if !done || len(evs) == 0 {
		t.Fatal("log incomplete after Done")
	}
	last := evs[len(evs)-1]
	if last.State != event.StateFinished {
		t.Fatalf("%s ended %s: %s", name, last.State, last.Result)
	}
	var res map[string]any
	if err := json.Unmarshal(last.Result, &res); err != nil {
		t.Fatalf("result %s: %v", last.Result, err)
	}
	return evs, res
}

// found is a moment and the seq of the event it follows.
type found struct {
	after uint64
	m     event.Event
}

// detect returns the moments the server logged, each with the seq of the
// event it follows, after checking that a detector fed the same log again
// finds the very same moments at the same places: what the server logged
// is what the detector says of the log.
func detect(t *testing.T, scenarioName string, evs []event.Event) []found {
	t.Helper()
	var logged []found
	after := uint64(0)
	for _, e := range evs {
		if e.Kind == event.KindMoment {
			logged = append(logged, found{after, e})
			continue
		}
		after = e.Seq
	}
	d := moment.New(scenarioName)
	var again []found
	for i := range evs {
		for _, m := range d.Observe(&evs[i]) {
			again = append(again, found{evs[i].Seq, m})
		}
	}
	if len(again) != len(logged) {
		t.Fatalf("the server logged %d moments, the detector finds %d in the log", len(logged), len(again))
	}
	for i := range logged {
		if logged[i].after != again[i].after || logged[i].m.Name != again[i].m.Name {
			t.Fatalf("moment %d: logged %s after seq %d, found %s after %d", i, logged[i].m.Name, logged[i].after,
				again[i].m.Name, again[i].after)
		}
	}
	return logged
}

func named(fs []found, name string) []found {
	var out []found
	for _, f := range fs {
		if f.m.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// about returns the event a moment points at.
func about(t *testing.T, evs []event.Event, m event.Event, key string) event.Event {
	t.Helper()
	seq := num(m.Attrs[key])
	if seq <= 0 || seq > int64(len(evs)) {
		t.Fatalf("%s: %s = %v is no seq of the log", m.Name, key, m.Attrs[key])
	}
	return evs[seq-1]
}

func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return -1
}

// TestRaceLostUpdate runs the race without a lock, every read and write an
// event. The stores' own reports must add up to the updates the counter
// lost, and the detector must mark the first, with both values, exactly
// when some were lost. Two workers on two CPUs nearly always lose some; a
// run that lost none is tried again.
func TestRaceLostUpdate(t *testing.T) {
	r := newTestRunner(t)
	for try := 1; try <= 5; try++ {
		evs, res := record(t, r, "race", map[string]any{"workers": 2, "increments": 100, "sync": "none"})
		var sum int64
		for _, e := range evs {
			if e.Kind == event.KindWrite && e.Attrs["overwrote"] != nil {
				sum += num(e.Attrs["overwrote"]) - num(e.Attrs["loaded"])
			}
		}
		lost := num(res["lost"])
		if sum != lost {
			t.Fatalf("the stores' reports add up to %d lost, the counter lost %d", sum, lost)
		}
		ms := named(detect(t, "race", evs), moment.LostUpdate)
		if lost == 0 {
			if len(ms) != 0 {
				t.Fatalf("nothing lost, yet %+v", ms)
			}
			t.Logf("run %d lost nothing; again", try)
			continue
		}
		if len(ms) != 1 {
			t.Fatalf("%d lost, %d lost_update moments", lost, len(ms))
		}
		m := ms[0].m
		store := about(t, evs, m, moment.AttrAbout)
		loaded, stored, over := num(m.Attrs["loaded"]), num(m.Attrs["stored"]), num(m.Attrs["overwrote"])
		if store.Kind != event.KindWrite || *store.Value != stored || stored != loaded+1 || over <= loaded || ms[0].after != store.Seq {
			t.Fatalf("moment %+v about %+v", m, store)
		}
		if victim := about(t, evs, m, moment.AttrRelated); victim.Kind != event.KindWrite || *victim.Value != over || victim.Proc == store.Proc || victim.Proc != m.Peer {
			t.Fatalf("moment %+v names the overwritten store %+v", m, victim)
		}
		t.Logf("%d of 200 lost; %s", lost, m.Text)
		return
	}
	t.Fatal("five runs of two racing workers lost no update")
}

// TestRaceLostUpdateSummary runs the default race, whose reads and writes
// are not events: each worker still reports its first store that lost
// updates.
func TestRaceLostUpdateSummary(t *testing.T) {
	r := newTestRunner(t)
	evs, res := record(t, r, "race", map[string]any{"workers": 2, "increments": 100000, "sync": "none"})
	ms := named(detect(t, "race", evs), moment.LostUpdate)
	if lost := num(res["lost"]); (lost > 0) != (len(ms) == 1) {
		t.Fatalf("%d lost, moments %+v", lost, ms)
	}
	for _, f := range ms {
		if num(f.m.Attrs["overwrote"]) <= num(f.m.Attrs["loaded"]) || f.m.Attrs[moment.AttrRelated] != nil {
			t.Fatalf("moment %+v", f.m)
		}
		t.Log(f.m.Text)
	}
}

// TestDeadlockMoments runs both kinds of deadlock: formed, detected and
// broken, in that order, each about the right events.
func TestDeadlockMoments(t *testing.T) {
	r := newTestRunner(t)
	for _, res := range []string{"semaphores", "pipes"} {
		t.Run(res, func(t *testing.T) {
			evs, _ := record(t, r, "deadlock", map[string]any{"resource": res, "hold_ms": 100})
			fs := detect(t, "deadlock", evs)
			var got []found
			for _, f := range fs {
				switch f.m.Name {
				case moment.DeadlockFormed, moment.DeadlockDetected, moment.DeadlockBroken:
					got = append(got, f)
				}
			}
			if len(got) != 3 || got[0].m.Name != moment.DeadlockFormed || got[1].m.Name != moment.DeadlockDetected || got[2].m.Name != moment.DeadlockBroken {
				t.Fatalf("deadlock moments %+v", got)
			}
			if b := about(t, evs, got[0].m, moment.AttrAbout); b.Kind != event.KindBlock || b.Proc != got[0].m.Attrs[moment.AttrProc] {
				t.Fatalf("formed at %+v", b)
			}
			if d := about(t, evs, got[1].m, moment.AttrAbout); d.Kind != event.KindDeadlock || got[1].after != d.Seq {
				t.Fatalf("detected at %+v", d)
			}
			victim := about(t, evs, got[2].m, moment.AttrRelated)
			if victim.Kind != event.KindExit || victim.Sig != "SIGKILL" || victim.Proc != got[2].m.Attrs["victim"] {
				t.Fatalf("broken: victim %+v", victim)
			}
			if w := about(t, evs, got[2].m, moment.AttrAbout); w.Kind != event.KindUnblock || w.Proc == victim.Proc {
				t.Fatalf("broken: survivor %+v", w)
			}
			for _, f := range got {
				t.Logf("after seq %d: %s", f.after, f.m.Text)
			}
		})
	}
}

// TestPipeFirstBlock fills a one-page pipe faster than it is read.
func TestPipeFirstBlock(t *testing.T) {
	r := newTestRunner(t)
	evs, _ := record(t, r, "pipe", map[string]any{"capacity": 4096, "messages": 12, "size": 1000, "reader_delay_ms": 100})
	ms := named(detect(t, "pipe", evs), moment.FirstBlock)
	if len(ms) != 1 {
		t.Fatalf("first_block moments %+v", ms)
	}
	b := about(t, evs, ms[0].m, moment.AttrAbout)
	if b.Kind != event.KindBlock || b.Call != "write" || ms[0].after != b.Seq {
		t.Fatalf("first_block about %+v", b)
	}
	for _, e := range evs[:b.Seq-1] {
		if e.Kind == event.KindBlock && e.Call == "write" {
			t.Fatalf("an earlier block %+v", e)
		}
	}
	// Four writes of 1,000 bytes fill a one-page pipe to 4,000 bytes:
	// the fifth waits, and the page slots say why.
	if num(ms[0].m.Attrs["slots"]) != 1 || num(ms[0].m.Attrs["slots_used"]) != 1 || !strings.Contains(ms[0].m.Text, "room for 96 more bytes") {
		t.Fatalf("first_block %+v", ms[0].m)
	}
	t.Log(ms[0].m.Text)
}

// TestUDPDropped sends to a server with the smallest buffer and a slow
// reader: the kernel drops datagrams, and the first drop is marked.
func TestUDPDropped(t *testing.T) {
	r := newTestRunner(t)
	evs, res := record(t, r, "socket-udp", map[string]any{"buffer": 1, "reader_delay_ms": 5})
	ms := named(detect(t, "socket-udp", evs), moment.DatagramDropped)
	if num(res["lost"]) <= 0 {
		t.Fatalf("nothing lost: %v", res)
	}
	if len(ms) != 1 {
		t.Fatalf("datagram_dropped moments %+v", ms)
	}
	e := about(t, evs, ms[0].m, moment.AttrAbout)
	if e.Kind != event.KindLost && num(e.Attrs["drops"]) <= 0 {
		t.Fatalf("dropped about %+v", e)
	}
	t.Logf("result %v; %s", res, ms[0].m.Text)
}

// TestSignalMerged sends SIGUSR1 to a slow handler (merges) and a real-time
// signal (no merge): a moment exactly when the receiver counts merges.
func TestSignalMerged(t *testing.T) {
	r := newTestRunner(t)
	for _, sig := range []string{"SIGUSR1", "SIGRTMIN+1"} {
		t.Run(sig, func(t *testing.T) {
			evs, res := record(t, r, "signal", map[string]any{"signal": sig, "signals": 10, "handler_delay_ms": 20})
			ms := named(detect(t, "signal", evs), moment.SignalMerged)
			merged := num(res["merged"])
			if (merged > 0) != (len(ms) == 1) || len(ms) > 1 {
				t.Fatalf("%d merged, moments %+v", merged, ms)
			}
			if sig == "SIGUSR1" && merged == 0 {
				t.Fatalf("a 20 ms handler let no SIGUSR1 merge: %v", res)
			}
			for _, f := range ms {
				s := about(t, evs, f.m, moment.AttrAbout)
				v := num(f.m.Attrs["value"])
				if s.Kind != event.KindSignal || num(s.Attrs["value"]) != v {
					t.Fatalf("merged about %+v", s)
				}
				for _, e := range evs {
					if e.Kind == event.KindDeliver && e.Attrs["marker"] == nil && num(e.Attrs["value"]) == v {
						t.Fatalf("value %d said merged, yet delivered: %+v", v, e)
					}
				}
				t.Log(f.m.Text)
			}
		})
	}
}

// TestQueueOvertake runs the POSIX queue with urgent messages: one is
// received before an older, less urgent one.
func TestQueueOvertake(t *testing.T) {
	r := newTestRunner(t)
	evs, res := record(t, r, "mq-posix", map[string]any{})
	fs := detect(t, "mq-posix", evs)
	ms := named(fs, moment.PriorityOvertake)
	if len(ms) != 1 {
		t.Fatalf("result %v; priority_overtake moments %+v", res, ms)
	}
	m := ms[0].m
	recv := about(t, evs, m, moment.AttrAbout)
	older := about(t, evs, m, moment.AttrRelated)
	if recv.Kind != event.KindRecv || older.Kind != event.KindSend || older.Prio >= recv.Prio || older.Msg != num(m.Attrs["overtaken_msg"]) {
		t.Fatalf("overtake %+v: received %+v, older %+v", m, recv, older)
	}
	for _, e := range evs[:recv.Seq-1] {
		if e.Kind == event.KindRecv && e.Msg == older.Msg {
			t.Fatalf("message %d was received before %d: %+v", older.Msg, recv.Msg, e)
		}
	}
	if len(named(fs, moment.FirstBlock)) != 1 {
		t.Fatalf("a queue of 6 with slow consumers: moments %+v", fs)
	}
	t.Logf("result %v; %s", res, m.Text)
}

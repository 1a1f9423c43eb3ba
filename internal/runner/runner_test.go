package runner

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

func newTestRunner(t *testing.T) *Runner {
	t.Helper()
	r, err := New(Config{StateDir: t.TempDir()})
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

func startScenario(t *testing.T, r *Runner, name string, params map[string]any, pace string) *Session {
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
	s, err := r.Start(sc, vals, pace)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return s
}

// waitDone waits for the session's end and returns its whole log.
func waitDone(t *testing.T, s *Session, d time.Duration) []event.Event {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(d):
		t.Fatalf("session %s still running after %v", s.ID, d)
	}
	evs, _, done := s.Events(1)
	if !done {
		t.Fatal("log incomplete after Done")
	}
	return evs
}

func TestPipeSession(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "pipe", map[string]any{"messages": 50, "size": 100}, "")
	evs := waitDone(t, s, 20*time.Second)
	writes, reads := 0, 0
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		switch e.Kind {
		case event.KindWrite:
			writes++
		case event.KindRead:
			if e.Bytes > 0 {
				reads++
			}
		}
	}
	last := evs[len(evs)-1]
	if last.Kind != event.KindSession || last.State != event.StateFinished {
		t.Fatalf("last event %+v", last)
	}
	if writes != 50 || reads != 50 {
		t.Fatalf("writes %d reads %d, want 50 each", writes, reads)
	}
	t.Logf("result %s, %d events", last.Result, len(evs))
}

// TestStoppedWorkerFailsTheSession stops a real worker with SIGSTOP: the
// server says so at once, and ends the session naming it once the grace
// has passed, rather than waiting for the time limit.
func TestStoppedWorkerFailsTheSession(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: waits out the grace of a stopped process")
	}
	r := newTestRunner(t)
	s := startScenario(t, r, "mq-sysv", map[string]any{"consumers": 1, "messages": 200, "consumer_delay_ms": 100}, "")
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		for _, p := range s.Snapshot().Processes {
			if p.Name == "consumer-1" && p.PID > 0 {
				pid = p.PID
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("consumer-1 never started")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	evs := waitDone(t, s, 40*time.Second)
	noted := false
	for _, e := range evs {
		if e.Kind == event.KindNote && e.Proc == "consumer-1" && e.Attrs["stopped"] == true {
			noted = true
		}
	}
	last := evs[len(evs)-1]
	if !noted || last.State != event.StateFailed || !strings.Contains(string(last.Result), "consumer-1 (pid") ||
		!strings.Contains(string(last.Result), "stopped by a signal") {
		t.Fatalf("noted %v; the session ended %s %s", noted, last.State, last.Result)
	}
}

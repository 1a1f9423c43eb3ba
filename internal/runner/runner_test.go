package runner

import (
	"context"
	"encoding/json"
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

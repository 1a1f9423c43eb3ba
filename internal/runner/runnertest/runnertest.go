// Package runnertest runs real sessions for the tests of the packages that
// read a session's log (moments, exports): a runner of the test's own, and a
// scenario run to its end. The test binary must play the worker: its
// TestMain hands a process started with worker.Arg to worker.Main.
package runnertest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// New makes a runner in the test's own directories, shut down when the test
// ends.
func New(t testing.TB) *runner.Runner {
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

// Record runs scenario name with params, in realtime, to its end, and
// returns its whole log (moments included, as the server logged them) and
// its result. A session that does not finish fails the test.
func Record(t testing.TB, r *runner.Runner, name string, params map[string]any) ([]event.Event, map[string]any) {
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

package runner

import (
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// maxParam is the largest value the catalogue allows for a scenario's
// parameter.
func maxParam(t *testing.T, name, param string) int64 {
	t.Helper()
	sc, ok := scenario.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	for _, p := range sc.Params {
		if p.Name == param && p.Max != nil {
			return *p.Max
		}
	}
	t.Fatalf("scenario %s has no bounded parameter %s", name, param)
	return 0
}

// TestLargeQueueSessions runs the message queue scenarios at their largest
// message counts, five times each: every run must finish. A worker whose
// event descriptor was closed under it by a collected *os.File ended such
// runs early.
func TestLargeQueueSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: large sessions")
	}
	for _, name := range []string{"mq-posix", "mq-sysv"} {
		n := maxParam(t, name, "messages")
		t.Run(name, func(t *testing.T) {
			r := newTestRunner(t)
			for run := range 5 {
				s := startScenario(t, r, name, map[string]any{"messages": n, "consumer_delay_ms": 0}, "")
				evs := waitDone(t, s, 2*time.Minute)
				last := evs[len(evs)-1]
				if last.Kind != event.KindSession || last.State != event.StateFinished {
					t.Fatalf("run %d of %d messages: last event %s %s %s %s", run+1, n, last.Kind, last.State, last.Text, last.Result)
				}
			}
		})
	}
}

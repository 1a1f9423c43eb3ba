package web

import (
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// measures returns the compare session's figures by cell
// ("pipe/rtt/64"), and the cells it skipped, after checking that the
// session finished.
func measures(t *testing.T, evs []event.Event) (done map[string]map[string]any, skipped map[string]string) {
	t.Helper()
	sessionResult(t, evs)
	done, skipped = map[string]map[string]any{}, map[string]string{}
	for _, e := range evs {
		if e.Kind != scenario.KindMeasure {
			continue
		}
		a := e.Attrs
		key := a["mechanism"].(string) + "/" + a["mode"].(string) + "/" + bench.Bytes(int(a["size"].(float64)))
		if why, ok := a["skipped"].(string); ok {
			skipped[key] = why
			continue
		}
		done[key] = a
	}
	return done, skipped
}

// TestCompareEveryMechanism runs the compare scenario at 64 B in both
// modes and checks that every mechanism was measured, or said why not,
// with figures of a real run, and that the stream carried a summary per
// cell, not an event per message.
func TestCompareEveryMechanism(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "compare", "params": {"sizes": "64", "count": 200, "reps": 2}}`)
	evs := readStream(t, c.EventsURL, 3*time.Minute)
	checkStream(t, evs)
	done, skipped := measures(t, evs)
	for _, m := range bench.Mechanisms() {
		for _, mode := range []string{bench.RoundTrip, bench.Stream} {
			key := m.Name + "/" + mode + "/64 B"
			a, ok := done[key]
			if !ok {
				if skipped[key] == "" {
					t.Errorf("%s: neither measured nor skipped", key)
				}
				continue
			}
			checkMeasure(t, key, a)
		}
	}
	if len(done) < 15 {
		t.Errorf("only %d cells measured: %v", len(done), done)
	}
	// 2,000 messages and more went through each cell: the stream must
	// not have carried them one by one.
	if len(evs) > 20*(len(done)+len(skipped)) {
		t.Errorf("%d events for %d cells", len(evs), len(done)+len(skipped))
	}
	if count(evs, scenario.KindProgress) < len(done) {
		t.Errorf("%d progress events for %d cells", count(evs, scenario.KindProgress), len(done))
	}
	assertGone(t, pidsOf(evs))
}

func checkMeasure(t *testing.T, key string, a map[string]any) {
	t.Helper()
	num := func(name string) float64 { v, _ := a[name].(float64); return v }
	if num("msgs_per_s") <= 0 || num("mb_per_s") <= 0 || num("ctxsw_per_msg") <= 0 || num("count") != 200 || num("reps") != 2 {
		t.Errorf("%s: %v", key, a)
	}
	if a["mode"] == bench.RoundTrip && (num("rtt_p50_ns") <= 0 || num("rtt_p99_ns") < num("rtt_p50_ns")) {
		t.Errorf("%s: round trip %v ns, p99 %v ns", key, a["rtt_p50_ns"], a["rtt_p99_ns"])
	}
	if why, _ := a["copies_why"].(string); why == "" {
		t.Errorf("%s: no reason for its copies", key)
	}
}

// TestCompareCopyCost runs the lesson beside the chart: 64 KiB through a
// pipe and through shared memory; the shared memory must move more.
func TestCompareCopyCost(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "copy-cost", "params": {"count": 300}}`)
	evs := readStream(t, c.EventsURL, 2*time.Minute)
	checkStream(t, evs)
	done, _ := measures(t, evs)
	pipe, shm := done["pipe/stream/64 KiB"], done["shmfutex/stream/64 KiB"]
	if pipe == nil || shm == nil {
		t.Fatalf("cells measured: %v", done)
	}
	if pipe["mb_per_s"].(float64) <= 0 || pipe["count"].(float64) != 300 {
		t.Errorf("pipe: %v", pipe)
	}
	if shm["mb_per_s"].(float64) <= pipe["mb_per_s"].(float64) {
		t.Errorf("64 KiB one way: shared memory %v MB/s, not above the pipe's %v", shm["mb_per_s"], pipe["mb_per_s"])
	}
	if pipe["copies"].(float64) != 2 || shm["copies"].(float64) != 0 {
		t.Errorf("copies: pipe %v, shared memory %v", pipe["copies"], shm["copies"])
	}
}

// TestCompareRefusesBadParams checks the bounds of the compare scenario's
// parameters.
func TestCompareRefusesBadParams(t *testing.T) {
	ts := newTestServer(t)
	for _, body := range []string{
		`{"scenario": "compare", "params": {"count": 99}}`,
		`{"scenario": "compare", "params": {"count": 5001}}`,
		`{"scenario": "compare", "params": {"reps": 6}}`,
		`{"scenario": "compare", "params": {"sizes": "128"}}`,
		`{"scenario": "compare", "params": {"mode": "sideways"}}`,
		`{"scenario": "copy-cost", "params": {"size": 64}}`,
	} {
		if status, b := ts.do(t, "POST", "/api/sessions", body); status != 400 {
			t.Errorf("%s: %d %s", body, status, b)
		}
	}
}

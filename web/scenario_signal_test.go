package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// signalRun is what one signal session showed.
type signalRun struct {
	res       map[string]float64
	sent      []float64 // values of the chosen signal, as sent
	delivered []float64 // values of the chosen signal, as the handler got them
}

// runSignals runs a signal session to its end and checks what every run
// must show: the sender's signals go to the receiver, each delivery comes
// from the sender's pid, the end marker comes last, and the result adds up.
func runSignals(t *testing.T, ts *testServer, params, name string) signalRun {
	t.Helper()
	c := ts.create(t, `{"scenario": "signal", "params": `+params+`}`)
	evs := readStream(t, c.EventsURL, 60*time.Second)
	checkStream(t, evs)
	r := signalRun{res: sessionResult(t, evs)}
	senderPID := 0
	endSeen := false
	for _, e := range evs {
		if e.Kind == event.KindSpawn && e.Proc == "sender" {
			senderPID = e.PID
		}
		if e.Kind != event.KindSignal && e.Kind != event.KindDeliver {
			continue
		}
		if endSeen && e.Kind == event.KindDeliver {
			t.Fatalf("seq %d: a delivery after the end marker", e.Seq)
		}
		value, _ := e.Attrs["value"].(float64)
		switch {
		case e.Attrs["name"] == "SIGRTMAX":
			endSeen = e.Kind == event.KindDeliver
		case e.Attrs["name"] != name:
			t.Fatalf("seq %d: signal %v, want %s", e.Seq, e.Attrs["name"], name)
		case e.Kind == event.KindSignal:
			if e.Proc != "sender" || e.Peer != "receiver" {
				t.Fatalf("seq %d: signal from %s to %s", e.Seq, e.Proc, e.Peer)
			}
			r.sent = append(r.sent, value)
		default:
			if e.Proc != "receiver" || e.Attrs["from"] != "sender" || e.Attrs["from_pid"] != float64(senderPID) {
				t.Fatalf("seq %d: delivered to %s from %v (pid %v); the sender is %d", e.Seq, e.Proc, e.Attrs["from"], e.Attrs["from_pid"], senderPID)
			}
			r.delivered = append(r.delivered, value)
		}
	}
	if !endSeen {
		t.Fatal("the end marker was never delivered")
	}
	sent, delivered, merged := int(r.res["sent"]), int(r.res["delivered"]), int(r.res["merged"])
	if sent != len(r.sent) || delivered != len(r.delivered) || merged != sent-delivered {
		t.Fatalf("result %v; %d signal events, %d deliver events", r.res, len(r.sent), len(r.delivered))
	}
	for i := 1; i < len(r.delivered); i++ {
		if r.delivered[i] <= r.delivered[i-1] {
			t.Fatalf("value %v delivered after %v", r.delivered[i], r.delivered[i-1])
		}
	}
	assertGone(t, pidsOf(evs))
	return r
}

func TestSignalRealTimeAllDelivered(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		params, name string
		n            int
	}{
		{`{"signals": 300, "signal": "SIGRTMIN+1"}`, "SIGRTMIN+1", 300},
		// A slow handler: the real-time signals queue up, none is lost.
		{`{"signals": 40, "signal": "SIGRTMIN+3", "handler_delay_ms": 5}`, "SIGRTMIN+3", 40},
	} {
		t.Run(tc.params, func(t *testing.T) {
			r := runSignals(t, ts, tc.params, tc.name)
			if len(r.delivered) != tc.n || r.res["merged"] != 0 {
				t.Fatalf("%d of %d delivered; result %v", len(r.delivered), tc.n, r.res)
			}
			for i, v := range r.delivered {
				if v != float64(i+1) {
					t.Fatalf("delivery %d carries value %v, want %d", i+1, v, i+1)
				}
			}
		})
	}
}

func TestSignalUSR1Merges(t *testing.T) {
	ts := newTestServer(t)
	// A slow handler and a fast sender: SIGUSR1s sent while one is pending
	// are dropped. Merging is up to the kernel's timing, so try a few
	// times.
	for attempt := 1; ; attempt++ {
		r := runSignals(t, ts, `{"signals": 30, "signal": "SIGUSR1", "handler_delay_ms": 20}`, "SIGUSR1")
		if len(r.sent) != 30 {
			t.Fatalf("%d sent, want 30", len(r.sent))
		}
		if merged := r.res["merged"]; merged > 0 {
			t.Logf("attempt %d: %v of 30 merged", attempt, merged)
			return
		}
		if attempt == 5 {
			t.Fatal("no SIGUSR1 merged in 5 sessions with a slow handler")
		}
	}
}

func TestSignalBadParams(t *testing.T) {
	ts := newTestServer(t)
	before := len(children(t))
	for _, tc := range []struct{ params, field string }{
		{`{"signals": 0}`, "params.signals"},
		{`{"signals": 1001}`, "params.signals"},
		{`{"signals": "many"}`, "params.signals"},
		{`{"signal": "SIGKILL"}`, "params.signal"},
		{`{"signal": "SIGURG"}`, "params.signal"},
		{`{"handler_delay_ms": 1001}`, "params.handler_delay_ms"},
		{`{"signals": 1000, "handler_delay_ms": 500}`, "params.handler_delay_ms"},
		{`{"value": 3}`, "params.value"},
	} {
		status, body := ts.do(t, "POST", "/api/sessions", fmt.Sprintf(`{"scenario": "signal", "params": %s}`, tc.params))
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadRequest || e.Field != tc.field || e.Error == "" {
			t.Errorf("%s: %d %s, want 400 on %s", tc.params, status, body, tc.field)
		}
	}
	if after := len(children(t)); after != before {
		t.Fatalf("refused requests started processes: %d children before, %d after", before, after)
	}
}

func TestSignalStopMidSession(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "signal", "params": {"signals": 10, "signal": "SIGUSR2"}, "pace": "step"}`)
	stepUntil(t, ts, c, func(e event.Event) bool { return e.Kind == event.KindDeliver })
	status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer "+c.PresenterToken)
	if status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	evs := readStream(t, c.EventsURL, 20*time.Second)
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != event.StateStopped {
		t.Fatalf("last event %+v", last)
	}
	assertGone(t, pidsOf(evs))
}

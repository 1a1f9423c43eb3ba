package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// socketSamples returns the server's readings of the session's TCP or UDP
// port.
func socketSamples(evs []event.Event, proto string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == event.KindSample && e.Proc == "" && strings.HasPrefix(e.Obj, proto+":") {
			out = append(out, e)
		}
	}
	return out
}

func num(v any) float64 {
	f, _ := v.(float64)
	if i, ok := v.(int); ok {
		f = float64(i)
	}
	return f
}

// A slow TCP server leaves bytes unread; the sampler finds them by asking
// sock_diag for the session's own sockets by their ports: both ends of the
// connection (the listener is closed once every client is accepted).
func TestSamplerReadsTCPBySockDiag(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "socket-tcp", map[string]any{"clients": 1, "messages": 20, "size": 1024,
		"reader_delay_ms": 50}, "realtime")
	evs := waitDone(t, s, 60*time.Second)
	samples := socketSamples(evs, "tcp")
	if len(samples) == 0 {
		t.Fatal("no sample of the TCP port")
	}
	unread := false
	for _, e := range samples {
		if e.Attrs["source"] != "sock_diag" {
			t.Fatalf("sample read from %v, want sock_diag: %+v", e.Attrs["source"], e)
		}
		if num(e.Attrs["sockets"]) >= 2 && e.Fill != nil && *e.Fill > 0 {
			unread = true
		}
	}
	if !unread {
		t.Fatalf("no sample showed both ends of the connection and unread bytes: %+v", samples)
	}
}

// Datagrams sent faster than a small buffer drains are dropped, and a
// sample says so while the session runs.
func TestSamplerReportsUDPDrops(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "socket-udp", map[string]any{"clients": 2, "messages": 40, "size": 1024,
		"buffer": 1, "reader_delay_ms": 20}, "realtime")
	evs := waitDone(t, s, 60*time.Second)
	for _, e := range socketSamples(evs, "udp") {
		if e.Attrs["source"] == "sock_diag" && num(e.Attrs["drops"]) > 0 {
			return
		}
	}
	t.Fatalf("no sample reported drops: %+v", socketSamples(evs, "udp"))
}

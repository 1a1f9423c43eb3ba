package runner

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
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

// With two clients and a slow server, each reading splits the port's
// queues by connection: every client's port (from its connect event) has
// its own unread bytes, and they add up to the port's.
func TestSamplerSplitsTCPByConnection(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "socket-tcp", map[string]any{"clients": 2, "messages": 20, "size": 1024,
		"reader_delay_ms": 30}, "realtime")
	evs := waitDone(t, s, 60*time.Second)
	ports := map[int]bool{}
	for _, e := range evs {
		if e.Kind == event.KindConnect {
			ports[int(num(e.Attrs["local_port"]))] = true
		}
	}
	if len(ports) != 2 {
		t.Fatalf("connect events name the client ports %v, want two", ports)
	}
	split := 0
	for _, e := range socketSamples(evs, "tcp") {
		conns, _ := e.Attrs["conns"].([]any)
		if len(conns) == 0 {
			continue
		}
		sum := 0.0
		for _, c := range conns {
			m, _ := c.(map[string]any)
			if !ports[int(num(m["client_port"]))] {
				t.Fatalf("a connection of client port %v, which no connect event named: %+v", m["client_port"], e)
			}
			sum += num(m["unread"])
		}
		if e.Fill == nil || sum != float64(*e.Fill) {
			t.Fatalf("the connections' unread bytes add up to %v, the port's to %v: %+v", sum, e.Fill, e.Attrs)
		}
		if len(conns) == 2 && sum > 0 {
			split++
		}
	}
	if split == 0 {
		t.Fatal("no reading split unread bytes between the two connections")
	}
}

// Datagrams sent faster than a small buffer drains are dropped, and a
// sample says so while the session runs: the server keeps its socket open
// for a quiet period after the last datagram, so at least one sample falls
// after every drop. Loopback may deliver all in time on a given run; then
// the session is run again.
func TestSamplerReportsUDPDrops(t *testing.T) {
	r := newTestRunner(t)
	for attempt := 1; attempt <= 3; attempt++ {
		s := startScenario(t, r, "socket-udp", map[string]any{"clients": 2, "messages": 40, "size": 8192,
			"buffer": 1, "reader_delay_ms": 100}, "realtime")
		evs := waitDone(t, s, 60*time.Second)
		var res map[string]any
		_ = json.Unmarshal(evs[len(evs)-1].Result, &res)
		drops := 0.0
		for _, e := range socketSamples(evs, "udp") {
			if e.Attrs["source"] != "sock_diag" {
				t.Fatalf("sample read from %v, want sock_diag: %+v", e.Attrs["source"], e)
			}
			drops = max(drops, num(e.Attrs["drops"]))
		}
		kernel := num(res["kernel_drops"])
		if kernel > 0 {
			if drops < 1 {
				t.Fatalf("the kernel dropped %v datagrams, and no sample said so: %+v", kernel, socketSamples(evs, "udp"))
			}
			return
		}
		t.Logf("attempt %d: no datagram dropped (%v)", attempt, res)
	}
	t.Fatal("no datagram was dropped in 3 sessions with a tiny buffer and a slow reader")
}

// The sampler learns a port from the first event that names it, and each
// client's port from its connect event, as the worker's record decodes it
// (a number from JSON); the list it reads is never changed in place.
func TestNoteObjectLearnsPortsAndClients(t *testing.T) {
	s := &Session{}
	obj := "tcp:127.0.0.1:4000"
	s.noteObject(&event.Event{Kind: event.KindOpen, Obj: obj})
	first := *s.inetList.Load()
	s.noteObject(&event.Event{Kind: event.KindConnect, Obj: obj, Attrs: map[string]any{"local_port": float64(5001)}})
	s.noteObject(&event.Event{Kind: event.KindConnect, Obj: obj, Attrs: map[string]any{"local_port": float64(5001)}})
	s.noteObject(&event.Event{Kind: event.KindConnect, Obj: obj, Attrs: map[string]any{"local_port": 5002}})
	s.noteObject(&event.Event{Kind: event.KindSend, Obj: obj, Attrs: map[string]any{"local_port": 5003}}) // not a connect
	s.noteObject(&event.Event{Kind: event.KindConnect, Obj: "udp:127.0.0.1:4001", Attrs: map[string]any{"local_port": 6001.5}})
	s.noteObject(&event.Event{Kind: event.KindOpen, Obj: "unix:/tmp/x"})
	got := *s.inetList.Load()
	if len(got) != 2 || got[0].port != 4000 || fmt.Sprint(got[0].clients) != "[5001 5002]" ||
		got[1].proto != "udp" || got[1].port != 4001 || len(got[1].clients) != 0 {
		t.Fatalf("inet list %+v", got)
	}
	if len(first) != 1 || len(first[0].clients) != 0 {
		t.Fatalf("the list published first was changed: %+v", first)
	}
	want := []ipc.InetEnd{{Local: 4000}, {Local: 5001, Remote: 4000}, {Local: 4000, Remote: 5001},
		{Local: 5002, Remote: 4000}, {Local: 4000, Remote: 5002}}
	if fmt.Sprint(got[0].ends()) != fmt.Sprint(want) {
		t.Fatalf("ends %v, want %v", got[0].ends(), want)
	}
	udp := inetObj{proto: "udp", port: 4001, clients: []int{6001}}
	if fmt.Sprint(udp.ends()) != fmt.Sprint([]ipc.InetEnd{{Local: 4001}, {Local: 6001, Remote: 4001}}) {
		t.Fatalf("udp ends %v", udp.ends())
	}
}

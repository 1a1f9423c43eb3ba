package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// sessionResult decodes the result of a session's last event, after
// checking that the session finished.
func sessionResult(t *testing.T, evs []event.Event) map[string]float64 {
	t.Helper()
	last := evs[len(evs)-1]
	if last.State != event.StateFinished {
		for _, e := range evs {
			if e.Kind == event.KindError || e.Kind == event.KindExit {
				t.Logf("%d %s %s %s %s", e.Seq, e.Kind, e.Proc, e.Call, e.Error)
			}
		}
		t.Fatalf("session ended %s: %s", last.State, last.Result)
	}
	res := map[string]float64{}
	var raw map[string]any
	if err := json.Unmarshal(last.Result, &raw); err != nil {
		t.Fatalf("result %s: %v", last.Result, err)
	}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			res[k] = f
		}
	}
	return res
}

// countBy counts the events of kind that proc reported ("" for any).
func countBy(evs []event.Event, kind, proc string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind && (proc == "" || e.Proc == proc) && (kind != event.KindRecv || e.Bytes > 0) {
			n++
		}
	}
	return n
}

var socketLabel = map[string]*regexp.Regexp{
	"socket-unix": regexp.MustCompile(`^unix:/.+/sock$`),
	"socket-tcp":  regexp.MustCompile(`^tcp:127\.0\.0\.1:[1-9][0-9]*$`),
	"socket-udp":  regexp.MustCompile(`^udp:127\.0\.0\.1:[1-9][0-9]*$`),
}

func TestSocketScenariosFinish(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		scenario, params string
		clients, msgs    int
		stream           bool
	}{
		{"socket-unix", `{"clients": 2, "messages": 20, "size": 100}`, 2, 20, true},
		{"socket-unix", `{"clients": 3, "messages": 15, "size": 64, "mode": "datagram", "reader_delay_ms": 1}`, 3, 15, false},
		{"socket-tcp", `{"clients": 2, "messages": 20, "size": 1000}`, 2, 20, true},
		{"socket-tcp", `{"clients": 4, "messages": 5, "size": 8}`, 4, 5, true},
		{"socket-udp", `{"clients": 2, "messages": 30, "size": 64}`, 2, 30, false},
	} {
		t.Run(tc.scenario+" "+tc.params, func(t *testing.T) {
			c := ts.create(t, fmt.Sprintf(`{"scenario": %q, "params": %s}`, tc.scenario, tc.params))
			evs := readStream(t, c.EventsURL, 60*time.Second)
			checkStream(t, evs)
			res := sessionResult(t, evs)
			want := tc.clients * tc.msgs
			sends, recvs := countBy(evs, event.KindSend, ""), countBy(evs, event.KindRecv, "server")
			lost := countBy(evs, event.KindLost, "server")
			if sends != want || recvs+lost != want {
				t.Fatalf("%d sends, %d receives and %d lost, want %d sends", sends, recvs, lost, want)
			}
			if int(res["messages_sent"]) != want || int(res["messages_received"]) != recvs {
				t.Fatalf("result %v, want %d sent and %d received", res, want, recvs)
			}
			if tc.scenario != "socket-udp" && lost != 0 {
				t.Fatalf("%d messages lost on a reliable socket", lost)
			}
			checkSocketEvents(t, evs, tc.scenario, tc.clients, tc.stream)
			assertGone(t, pidsOf(evs))
			assertObjectsGone(t, evs)
		})
	}
}

// checkSocketEvents checks the labels, that every client connected (and,
// on a stream, was accepted by the server), and that each client's messages
// came in the order it sent them.
func checkSocketEvents(t *testing.T, evs []event.Event, scenario string, clients int, stream bool) {
	t.Helper()
	label := ""
	lastMsg := map[string]int64{}
	for _, e := range evs {
		switch e.Kind {
		case event.KindOpen, event.KindSend, event.KindRecv, event.KindConnect, event.KindAccept, event.KindLost:
		default:
			continue
		}
		if label == "" {
			label = e.Obj
			if !socketLabel[scenario].MatchString(label) {
				t.Fatalf("socket labelled %q", label)
			}
		}
		if e.Obj != label {
			t.Fatalf("seq %d: %s on %q, the socket is %q", e.Seq, e.Kind, e.Obj, label)
		}
		if e.Kind == event.KindRecv && e.Bytes > 0 && stream {
			if e.Msg <= lastMsg[e.Peer] {
				t.Fatalf("seq %d: message %d from %s after %d", e.Seq, e.Msg, e.Peer, lastMsg[e.Peer])
			}
			lastMsg[e.Peer] = e.Msg
		}
	}
	if n := countBy(evs, event.KindConnect, ""); n != clients {
		t.Fatalf("%d connects, want %d", n, clients)
	}
	accepts := countBy(evs, event.KindAccept, "server")
	if stream && accepts != clients || !stream && accepts != 0 {
		t.Fatalf("%d accepts for %d clients (stream %v)", accepts, clients, stream)
	}
}

func TestSocketSenderBlocks(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ scenario, params string }{
		// The smallest buffers, big messages and a slow server: the
		// client must block in send, and only the server's reading may
		// wake it.
		{"socket-tcp", `{"clients": 1, "messages": 8, "size": 16384, "buffer": 1024, "reader_delay_ms": 5}`},
		{"socket-unix", `{"clients": 1, "messages": 8, "size": 16384, "buffer": 1024, "reader_delay_ms": 5}`},
		// Unix datagrams are never dropped: with more queued than the
		// kernel allows (net.unix.max_dgram_qlen), the sender waits.
		{"socket-unix", `{"clients": 1, "messages": 40, "mode": "datagram", "reader_delay_ms": 2}`},
	} {
		t.Run(tc.scenario+" "+tc.params, func(t *testing.T) {
			c := ts.create(t, `{"scenario": "`+tc.scenario+`", "params": `+tc.params+`}`)
			evs := readStream(t, c.EventsURL, 60*time.Second)
			checkStream(t, evs)
			res := sessionResult(t, evs)
			if res["messages_received"] != res["messages_sent"] || res["lost"] != 0 {
				t.Fatalf("result %v", res)
			}
			assertBlockThenUnblock(t, evs, "client-1", "send")
			assertGone(t, pidsOf(evs))
		})
	}
}

// assertBlockThenUnblock checks that proc blocked in call at least once,
// and that its next event after each block is its unblock.
func assertBlockThenUnblock(t *testing.T, evs []event.Event, proc, call string) {
	t.Helper()
	blocked := 0
	for i, e := range evs {
		if e.Kind != event.KindBlock || e.Proc != proc || e.Call != call {
			continue
		}
		blocked++
		for _, f := range evs[i+1:] {
			// The spawn event comes from the parent once the child is
			// started, and may land after the child's first events.
			if f.Proc == proc && f.Kind != event.KindSpawn {
				if f.Kind != event.KindUnblock || f.Call != call {
					t.Fatalf("seq %d: after blocking in %s, %s's next event is %s", e.Seq, call, proc, f.Kind)
				}
				break
			}
		}
	}
	if blocked == 0 {
		t.Fatalf("%s never blocked in %s", proc, call)
	}
}

func TestUDPLossReported(t *testing.T) {
	ts := newTestServer(t)
	// A tiny receive buffer and a slow server: the clients never wait,
	// so the kernel must drop datagrams. Loss is what the kernel does,
	// so try a few times.
	for attempt := 1; ; attempt++ {
		c := ts.create(t, `{"scenario": "socket-udp", "params": {"clients": 2, "messages": 150, "size": 64, "buffer": 1024, "reader_delay_ms": 1}}`)
		evs := readStream(t, c.EventsURL, 60*time.Second)
		checkStream(t, evs)
		res := sessionResult(t, evs)
		assertGone(t, pidsOf(evs))
		received := map[int64]bool{}
		for _, e := range evs {
			if e.Kind == event.KindRecv && e.Proc == "server" {
				received[e.Msg] = true
			}
		}
		lost := 0
		for _, e := range evs {
			if e.Kind != event.KindLost {
				continue
			}
			lost++
			if received[e.Msg] || e.Msg < 1 || e.Msg > 300 {
				t.Fatalf("seq %d: message %d reported lost, but it arrived or was never sent", e.Seq, e.Msg)
			}
		}
		sent, got := int(res["messages_sent"]), int(res["messages_received"])
		if sent != 300 || got != len(received) || lost != sent-got || int(res["lost"]) != lost {
			t.Fatalf("%d lost events; result %v; %d distinct received", lost, res, len(received))
		}
		if lost > 0 {
			if res["kernel_drops"] < 1 {
				t.Fatalf("%d lost but the kernel counted no drop: %v", lost, res)
			}
			t.Logf("attempt %d: %d of %d lost, kernel drops %v", attempt, lost, sent, res["kernel_drops"])
			return
		}
		if attempt == 3 {
			t.Fatal("no datagram was lost in 3 sessions with a tiny buffer and a slow reader")
		}
	}
}

func TestSocketBadParams(t *testing.T) {
	ts := newTestServer(t)
	before := len(children(t))
	for _, tc := range []struct{ scenario, params, field string }{
		{"socket-tcp", `{"clients": 5}`, "params.clients"},
		{"socket-tcp", `{"clients": 0}`, "params.clients"},
		{"socket-udp", `{"size": 4}`, "params.size"},
		{"socket-udp", `{"size": 65508}`, "params.size"},
		{"socket-unix", `{"mode": "seqpacket"}`, "params.mode"},
		{"socket-unix", `{"mode": "datagram", "buffer": 1000, "size": 2000}`, "params.size"},
		{"socket-unix", `{"size": 65536, "buffer": 4194305}`, "params.buffer"},
		{"socket-tcp", `{"buffer": -1}`, "params.buffer"},
		{"socket-tcp", `{"port": 8080}`, "params.port"},
		{"socket-tcp", `{"clients": 4, "messages": 10000, "size": 65536}`, "params.messages"},
		{"socket-udp", `{"clients": 4, "messages": 1000, "reader_delay_ms": 100}`, "params.reader_delay_ms"},
	} {
		status, body := ts.do(t, "POST", "/api/sessions", fmt.Sprintf(`{"scenario": %q, "params": %s}`, tc.scenario, tc.params))
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadRequest || e.Field != tc.field || e.Error == "" {
			t.Errorf("%s %s: %d %s, want 400 on %s", tc.scenario, tc.params, status, body, tc.field)
		}
	}
	if after := len(children(t)); after != before {
		t.Fatalf("refused requests started processes: %d children before, %d after", before, after)
	}
}

func TestSocketStopMidSession(t *testing.T) {
	ts := newTestServer(t)
	for _, scenario := range []string{"socket-unix", "socket-tcp", "socket-udp"} {
		t.Run(scenario, func(t *testing.T) {
			c := ts.create(t, `{"scenario": "`+scenario+`", "params": {"clients": 2, "messages": 5}, "pace": "step"}`)
			// Step until a client has connected: the server's socket and
			// both processes exist.
			evs := stepUntil(t, ts, c, func(e event.Event) bool { return e.Kind == event.KindConnect })
			port := 0
			fmt.Sscanf(evs[len(evs)-1].Obj[strings.LastIndexByte(evs[len(evs)-1].Obj, ':')+1:], "%d", &port)
			status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer "+c.PresenterToken)
			if status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			evs = readStream(t, c.EventsURL, 20*time.Second)
			checkStream(t, evs)
			if last := evs[len(evs)-1]; last.State != event.StateStopped {
				t.Fatalf("last event %+v", last)
			}
			assertGone(t, pidsOf(evs))
			assertObjectsGone(t, evs)
			if scenario != "socket-unix" {
				assertPortClosed(t, strings.TrimPrefix(scenario, "socket-"), port)
			}
		})
	}
}

// stepUntil steps each process that says it is ready, by name, until an
// event satisfies done, and returns the events up to that one.
func stepUntil(t *testing.T, ts *testServer, c created, done func(event.Event) bool) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.EventsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	var evs []event.Event
	for steps := 0; steps < 100; {
		_, b, err := ws.Read(ctx)
		if err != nil {
			for _, e := range evs {
				t.Logf("%d %s %s %s %s %s", e.Seq, e.Kind, e.Proc, e.Call, e.Obj, e.Text)
			}
			t.Fatalf("read after %d events: %v", len(evs), err)
		}
		for _, e := range decodeMessage(t, b) {
			evs = append(evs, e)
			if done(e) {
				return evs
			}
			if e.Terminal() {
				t.Fatalf("the session ended before the step wanted: %s", e.Result)
			}
			if e.Kind != event.KindReady {
				continue
			}
			steps++
			status, body := ts.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "step", "value": "`+e.Proc+`"}`,
				"Authorization", "Bearer "+c.PresenterToken)
			if status != http.StatusOK {
				t.Fatalf("step: %d %s", status, body)
			}
		}
	}
	t.Fatal("100 steps and still not there")
	return nil
}

// assertPortClosed fails if a socket of proto still has port as its local
// port in any state but TCP's TIME_WAIT (6), which the kernel keeps for a
// while after a connection closes, with no process behind it.
func assertPortClosed(t *testing.T, proto string, port int) {
	t.Helper()
	if port == 0 {
		t.Fatal("no port to check")
	}
	socks, err := ipc.InetSockets(proto, port)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.LocalPort == port && !(proto == "tcp" && s.State == 6) {
			t.Fatalf("a %s socket on port %d is still there: %+v", proto, port, s)
		}
	}
}

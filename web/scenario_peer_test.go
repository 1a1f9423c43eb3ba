package web

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// TestPeerKilledEndsSession kills, from outside, a process the others of a
// socket or signal session wait for, as a student may with kill -9, and
// checks what a viewer sees: the stream goes on to its end soon after (well
// before the session's time limit), a note from the server names the dead
// process and its pid, the session fails naming it, and no process,
// object or port is left behind.
func TestPeerKilledEndsSession(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ scenario, params, victim string }{
		{"socket-unix", `{"messages": 40}`, "client-1"},
		{"socket-tcp", `{"messages": 40}`, "client-2"},
		{"socket-udp", `{"messages": 40}`, "client-1"},
		{"signal", `{"signals": 40}`, "sender"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			c := ts.create(t, `{"scenario": "`+tc.scenario+`", "params": `+tc.params+`, "pace": "slow"}`)
			evs, pid := killMidSession(t, c.EventsURL, tc.victim)
			checkStream(t, evs)
			last := evs[len(evs)-1]
			if last.State != event.StateFailed || !strings.Contains(string(last.Result), tc.victim) {
				t.Errorf("last event: %s %s, want failed naming %s", last.State, last.Result, tc.victim)
			}
			note := false
			for _, e := range evs {
				if e.Kind == event.KindNote && e.Proc == "" && e.Attrs["ended_early"] == tc.victim &&
					strings.Contains(e.Text, fmt.Sprintf("%s (pid %d)", tc.victim, pid)) {
					note = true
				}
			}
			if !note {
				t.Errorf("no note from the server says that %s (pid %d) ended early", tc.victim, pid)
			}
			assertGone(t, pidsOf(evs))
			assertObjectsGone(t, evs)
			if proto := strings.TrimPrefix(tc.scenario, "socket-"); proto == "tcp" || proto == "udp" {
				assertPortClosed(t, proto, serverPort(evs))
			}
		})
	}
}

// killMidSession reads a session's stream, sends SIGKILL to victim once it
// is at work, and reads on to the end of the stream. It returns every event
// and the victim's pid.
func killMidSession(t *testing.T, url, victim string) ([]event.Event, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	var evs []event.Event
	pid := 0
	for {
		_, b, err := ws.Read(ctx)
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
			return evs, pid
		}
		if err != nil {
			t.Fatalf("read after %d events (%s killed: %v): %v", len(evs), victim, pid != 0, err)
		}
		for _, e := range decodeMessage(t, b) {
			evs = append(evs, e)
			if pid == 0 && e.Proc == victim && e.PID > 0 && (e.Kind == event.KindConnect || e.Kind == event.KindSignal) {
				pid = e.PID
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatalf("kill %s (pid %d): %v", victim, pid, err)
				}
			}
		}
	}
}

// serverPort reads the port the kernel picked from the server's open event.
func serverPort(evs []event.Event) int {
	for _, e := range evs {
		if e.Kind == event.KindOpen && e.Proc == "server" {
			port := 0
			fmt.Sscanf(e.Obj[strings.LastIndexByte(e.Obj, ':')+1:], "%d", &port)
			return port
		}
	}
	return 0
}

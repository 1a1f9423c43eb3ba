package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

func TestPipeSessionEndToEnd(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name   string
		params string
		msgs   int
	}{
		{"small", `{"messages": 40, "size": 64}`, 40},
		{"big messages, small pipe, slow reader", `{"messages": 12, "size": 16384, "capacity": 4096, "reader_delay_ms": 5}`, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.create(t, `{"scenario": "pipe", "params": `+tc.params+`}`)
			if !strings.HasSuffix(c.ViewerURL, "/s/"+c.ID) || c.PresenterToken == "" {
				t.Fatalf("create answered %+v", c)
			}
			evs := readStream(t, c.EventsURL, 30*time.Second)
			checkStream(t, evs)
			if w, r := count(evs, event.KindWrite), count(evs, event.KindRead); w != tc.msgs || r != tc.msgs {
				t.Fatalf("%d writes and %d reads, want %d each", w, r, tc.msgs)
			}
			last := evs[len(evs)-1]
			if last.State != event.StateFinished {
				t.Fatalf("session ended %s: %s", last.State, last.Result)
			}
			var res map[string]int
			if err := json.Unmarshal(last.Result, &res); err != nil || res["messages_received"] != tc.msgs {
				t.Fatalf("result %s", last.Result)
			}

			status, body := ts.do(t, "GET", "/api/sessions/"+c.ID+"/events.jsonl", "")
			if status != http.StatusOK {
				t.Fatalf("events.jsonl: %d", status)
			}
			if recorded := decodeJSONL(t, body); !reflect.DeepEqual(recorded, evs) {
				t.Fatalf("events.jsonl has %d events, the stream had %d, or they differ", len(recorded), len(evs))
			}
			assertGone(t, pidsOf(evs))
		})
	}
}

func TestBlockingShowsBackpressure(t *testing.T) {
	ts := newTestServer(t)
	// The smallest pipe, big messages and a slow reader: the child must
	// block in write, and the events must say so.
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 6, "size": 8192, "capacity": 4096, "reader_delay_ms": 20}}`)
	evs := readStream(t, c.EventsURL, 30*time.Second)
	checkStream(t, evs)
	blocked := false
	for i, e := range evs {
		if e.Kind == event.KindBlock && e.Proc == "child" && e.Call == "write" {
			blocked = true
			for _, f := range evs[i+1:] {
				if f.Proc == "child" {
					if f.Kind != event.KindUnblock {
						t.Fatalf("after blocking, the child's next event is %s", f.Kind)
					}
					break
				}
			}
		}
	}
	if !blocked {
		t.Fatal("the writer never blocked on a full pipe")
	}
}

// TestBusyPipeFillWhenItMatters runs a pipe at full speed, where each
// end asks the kernel its count only now and then, and checks that the
// count is there where the lesson needs it: each end's first call, every
// block (why the call waits) and the call that waited, and end of file;
// and that a count is never made up: every one is a number the pipe can
// hold.
func TestBusyPipeFillWhenItMatters(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 3000, "size": 64, "capacity": 4096}}`)
	evs := readStream(t, c.EventsURL, 60*time.Second)
	checkStream(t, evs)
	first := map[string]bool{}
	waited := map[string]bool{}
	calls, counted := 0, 0
	for _, e := range evs {
		if e.Obj != "pipe:1" || e.Proc == "" {
			continue
		}
		if e.Fill != nil && (*e.Fill < 0 || *e.Fill > 4096) {
			t.Fatalf("seq %d: fill %d in a pipe of 4,096 bytes", e.Seq, *e.Fill)
		}
		switch e.Kind {
		case event.KindBlock:
			if e.Fill == nil {
				t.Errorf("seq %d: %s blocks in %s without the kernel's count", e.Seq, e.Proc, e.Call)
			}
			waited[e.Proc] = true
		case event.KindWrite, event.KindRead:
			calls++
			if e.Fill != nil {
				counted++
			}
			switch {
			case !first[e.Proc]:
				first[e.Proc] = true
				if e.Fill == nil {
					t.Errorf("seq %d: %s's first %s carries no count", e.Seq, e.Proc, e.Kind)
				}
			case waited[e.Proc]:
				if e.Fill == nil {
					t.Errorf("seq %d: %s's %s after a wait carries no count", e.Seq, e.Proc, e.Kind)
				}
			case e.Kind == event.KindRead && e.Bytes == 0 && e.Fill == nil:
				t.Errorf("seq %d: end of file without the kernel's count", e.Seq)
			}
			waited[e.Proc] = false
		}
	}
	if !first["child"] || !first["parent"] {
		t.Fatalf("calls seen from %v, want the child's writes and the parent's reads", first)
	}
	t.Logf("%d of %d writes and reads carry the kernel's count", counted, calls)
}

func TestStreamFrom(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 10}}`)
	all := readStream(t, c.EventsURL, 30*time.Second)
	rest := readStream(t, c.EventsURL+"?from=5", 30*time.Second)
	if !reflect.DeepEqual(rest, all[4:]) {
		t.Fatalf("?from=5 gave %d events starting at seq %d, want %d from seq 5", len(rest), rest[0].Seq, len(all)-4)
	}
	status, body := ts.do(t, "GET", "/api/sessions/"+c.ID+"/events?from=zero", "", "Upgrade", "websocket")
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"field": "from"`) {
		t.Fatalf("from=zero: %d %s", status, body)
	}
}

// TestEventsStretch asks events.jsonl for stretches of a finished session
// (read back from disk through the index): each is exactly those lines of
// the whole recording, and a bad bound is refused in words.
func TestEventsStretch(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 700}}`)
	readStream(t, c.EventsURL, 60*time.Second)
	path := "/api/sessions/" + c.ID + "/events.jsonl"
	_, whole := ts.do(t, "GET", path, "")
	lines := bytes.SplitAfter(whole, []byte("\n"))
	lines = lines[:len(lines)-1] // after the last newline: nothing
	n := len(lines)
	if n < 1400 {
		t.Fatalf("the session recorded %d events, want over 1,400", n)
	}
	for _, r := range [][2]int{{1, 1}, {7, 300}, {1, 0}, {513, 1024}, {1000, 1600}, {n - 2, n + 50}, {n, 0}, {n + 1, n + 9}} {
		q := fmt.Sprintf("%s?from=%d", path, r[0])
		if r[1] > 0 {
			q += fmt.Sprintf("&to=%d", r[1])
		}
		status, got := ts.do(t, "GET", q, "")
		hi := n
		if r[1] > 0 {
			hi = min(n, r[1])
		}
		var want []byte
		if r[0] <= n {
			want = bytes.Join(lines[r[0]-1:hi], nil)
		}
		if status != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("%s: %d, %d bytes, want the %d bytes of events %d to %d", q, status, len(got), len(want), r[0], hi)
		}
	}
	for _, q := range []string{"?to=0", "?from=10&to=9", "?to=x", "?from=0", "?to=9007199254740993"} {
		status, body := ts.do(t, "GET", path+q, "")
		if status != http.StatusBadRequest || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%s: %d %s, want 400 and a sentence", q, status, body)
		}
	}
}

func TestGetSession(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 3}, "pace": "realtime"}`)
	evs := readStream(t, c.EventsURL, 30*time.Second)
	status, body := ts.do(t, "GET", "/api/sessions/"+c.ID, "")
	if status != http.StatusOK {
		t.Fatalf("get: %d %s", status, body)
	}
	var snap struct {
		ID        string `json:"id"`
		Scenario  string `json:"scenario"`
		State     string `json:"state"`
		Processes []struct {
			Name     string `json:"name"`
			PID      int    `json:"pid"`
			State    string `json:"state"`
			ExitCode *int   `json:"exit_code"`
		} `json:"processes"`
		Events int            `json:"events"`
		Result map[string]any `json:"result"`
	}
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.ID != c.ID || snap.Scenario != "pipe" || snap.State != "finished" || snap.Events != len(evs) {
		t.Fatalf("snapshot %s", body)
	}
	if len(snap.Processes) != 2 {
		t.Fatalf("processes %s", body)
	}
	for _, p := range snap.Processes {
		if p.PID <= 0 || p.State != "exited" || p.ExitCode == nil || *p.ExitCode != 0 {
			t.Fatalf("process %+v", p)
		}
	}
	if snap.Result["messages_received"] != 3.0 {
		t.Fatalf("result %v", snap.Result)
	}
}

func TestStopRunningSession(t *testing.T) {
	ts := newTestServer(t)
	// Step mode: the processes wait for the presenter, so the session is
	// certainly still running when it is stopped.
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 5}, "pace": "step"}`)
	waitState(t, ts, c.ID, "running")
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}

	if status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, ""); status != http.StatusUnauthorized {
		t.Fatalf("delete without token: %d %s", status, body)
	}
	if status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer wrong"); status != http.StatusForbidden {
		t.Fatalf("delete with a wrong token: %d %s", status, body)
	}
	if status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", auth...); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	evs := readStream(t, c.EventsURL, 10*time.Second)
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != event.StateStopped {
		t.Fatalf("last event %+v", last)
	}
	assertGone(t, pidsOf(evs))
}

func TestStepMode(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 2}, "pace": "step"}`)
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.EventsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	var evs, pending []event.Event
	// next returns the next ready event (a process waiting for a step) or
	// the terminal one.
	next := func() event.Event {
		t.Helper()
		for {
			for len(pending) > 0 {
				e := pending[0]
				pending = pending[1:]
				evs = append(evs, e)
				if e.Kind == event.KindReady || e.Terminal() {
					return e
				}
			}
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("read after %d events: %v", len(evs), err)
			}
			pending = decodeMessage(t, b)
		}
	}
	steps := 0
	// ops counts, per process, the IPC calls it made since its last step.
	ops := map[string]int{}
	for e := next(); !e.Terminal(); e = next() {
		status, body := ts.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "step", "value": "`+e.Proc+`"}`, auth...)
		if status != http.StatusOK {
			t.Fatalf("step %s: %d %s", e.Proc, status, body)
		}
		steps++
		if steps > 50 {
			t.Fatal("more than 50 steps for 2 messages")
		}
	}
	checkStream(t, evs)
	// Between one ready event of a process and its next, the process made
	// exactly the one call the step released.
	for _, e := range evs {
		switch e.Kind {
		case event.KindReady:
			if n, seen := ops[e.Proc]; seen && n != 1 {
				t.Fatalf("seq %d: %s made %d calls on one step", e.Seq, e.Proc, n)
			}
			ops[e.Proc] = 0
		case event.KindOpen, event.KindClose, event.KindWrite, event.KindRead, event.KindSpawn:
			if e.Kind == event.KindSpawn {
				if e.Peer == "" {
					continue // started by the server, not a call of a process
				}
				e.Proc = e.Peer // the parent's fork+exec
			}
			ops[e.Proc]++
		}
	}
	// The parent: pipe2, fork+exec, close of its write end, two reads
	// and the read that finds end of file; the child: two writes and a
	// close. One step each.
	if steps != 9 {
		t.Fatalf("%d steps, want 9", steps)
	}
}

// waitState polls the session until it reaches state.
func waitState(t *testing.T, ts *testServer, id, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := ts.do(t, "GET", "/api/sessions/"+id, "")
		var s struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(body, &s)
		if s.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %q, not %q", id, s.State, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestManyViewers has a classroom's worth of viewers follow one session at
// once: each must get every event, in order, the same as the recording.
func TestManyViewers(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 300, "reader_delay_ms": 1}}`)
	const viewers = 40
	type result struct {
		evs []event.Event
		err error
	}
	streams := make(chan result, viewers)
	for range viewers {
		go func() {
			evs, err := readStreamErr(c.EventsURL, 60*time.Second)
			streams <- result{evs, err}
		}()
	}
	var first []event.Event
	for range viewers {
		r := <-streams
		if r.err != nil {
			t.Fatal(r.err)
		}
		evs := r.evs
		checkStream(t, evs)
		if first == nil {
			first = evs
		} else if !reflect.DeepEqual(evs, first) {
			t.Fatalf("two viewers saw different streams: %d and %d events", len(evs), len(first))
		}
	}
	_, body := ts.do(t, "GET", "/api/sessions/"+c.ID+"/events.jsonl", "")
	if !reflect.DeepEqual(decodeJSONL(t, body), first) {
		t.Fatal("the viewers' stream differs from the recording")
	}
}

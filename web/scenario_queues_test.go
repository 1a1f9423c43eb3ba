package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// End-to-end tests of the fifo, mq-posix and mq-sysv scenarios: real
// sessions through the HTTP API, their events read over the WebSocket.

// qRun starts a session, reads it to its end and checks that it finished
// well and left no process and no kernel object behind.
func qRun(t *testing.T, ts *testServer, name, params string) []event.Event {
	t.Helper()
	c := ts.create(t, fmt.Sprintf(`{"scenario": %q, "params": %s}`, name, params))
	evs := readStream(t, c.EventsURL, 60*time.Second)
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != event.StateFinished {
		qDump(t, evs)
		t.Fatalf("%s %s ended %s: %s", name, params, last.State, last.Result)
	}
	assertGone(t, pidsOf(evs))
	assertObjectsGone(t, evs)
	return evs
}

// qDump logs the events, for a failing test.
func qDump(t *testing.T, evs []event.Event) {
	t.Helper()
	for _, e := range evs {
		t.Logf("%d %s %s %s %s msg=%d type=%d prio=%d %s %s", e.Seq, e.Kind, e.Proc, e.Call, e.Obj, e.Msg, e.Type, e.Prio, e.Text, e.Error)
	}
}

// qResult decodes the session's result.
func qResult(t *testing.T, evs []event.Event) map[string]any {
	t.Helper()
	var res map[string]any
	if err := json.Unmarshal(evs[len(evs)-1].Result, &res); err != nil {
		t.Fatalf("result %s: %v", evs[len(evs)-1].Result, err)
	}
	return res
}

// qNum reads a number from a result.
func qNum(t *testing.T, res map[string]any, key string) int {
	t.Helper()
	f, ok := res[key].(float64)
	if !ok {
		t.Fatalf("result has no number %q: %v", key, res)
	}
	return int(f)
}

// qOf keeps the events of one kind, by processes whose name starts with
// prefix.
func qOf(evs []event.Event, kind, prefix string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == kind && strings.HasPrefix(e.Proc, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// qBlocked reports whether a process whose name starts with prefix blocked
// in call, and its next event was the matching unblock. It fails the test
// if a block is not followed by its unblock.
func qBlocked(t *testing.T, evs []event.Event, prefix, call string) bool {
	t.Helper()
	found := false
	for i, e := range evs {
		if e.Kind != event.KindBlock || !strings.HasPrefix(e.Proc, prefix) || e.Call != call {
			continue
		}
		found = true
		next := slices.IndexFunc(evs[i+1:], func(f event.Event) bool { return f.Proc == e.Proc })
		if next < 0 || evs[i+1+next].Kind != event.KindUnblock || evs[i+1+next].Call != call {
			qDump(t, evs)
			t.Fatalf("seq %d: %s blocked in %s and did not unblock next", e.Seq, e.Proc, call)
		}
	}
	return found
}

// qObjects reads the objects the session listed in its first event.
func qObjects(t *testing.T, evs []event.Event) []map[string]any {
	t.Helper()
	raw, _ := evs[0].Attrs["objects"].([]any)
	var out []map[string]any
	for _, r := range raw {
		o, _ := r.(map[string]any)
		out = append(out, o)
	}
	if len(out) == 0 {
		t.Fatal("the session listed no objects")
	}
	return out
}

// qStepper drives a session in step mode over one WebSocket: it steps, by
// name, the processes that say they are ready, and may hold some back.
type qStepper struct {
	t      *testing.T
	ts     *testServer
	c      created
	ctx    context.Context
	ws     *websocket.Conn
	evs    []event.Event
	held   []event.Event // ready events not stepped yet
	ended  bool
	cancel context.CancelFunc
}

func qNewStepper(t *testing.T, ts *testServer, c created) *qStepper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	ws, _, err := websocket.Dial(ctx, c.EventsURL, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &qStepper{t: t, ts: ts, c: c, ctx: ctx, ws: ws, cancel: cancel}
	t.Cleanup(func() { ws.CloseNow(); cancel() })
	return s
}

func (s *qStepper) step(e event.Event) {
	s.t.Helper()
	status, body := s.ts.do(s.t, "POST", "/api/sessions/"+s.c.ID+"/control",
		`{"action": "step", "value": "`+e.Proc+`"}`, "Authorization", "Bearer "+s.c.PresenterToken)
	if status != http.StatusOK {
		qDump(s.t, s.evs)
		s.t.Fatalf("step %s: %d %s", e.Proc, status, body)
	}
}

// until steps the ready processes whose names start with only (all of
// them for "") until an event satisfies done, and returns every event so
// far. The session ending first fails the test, unless done accepts it.
func (s *qStepper) until(only string, done func(event.Event) bool) []event.Event {
	s.t.Helper()
	keep := s.held[:0]
	for _, e := range s.held {
		if strings.HasPrefix(e.Proc, only) {
			s.step(e)
		} else {
			keep = append(keep, e)
		}
	}
	s.held = keep
	for steps := 0; steps < 300; {
		_, b, err := s.ws.Read(s.ctx)
		if err != nil {
			qDump(s.t, s.evs)
			s.t.Fatalf("read after %d events: %v", len(s.evs), err)
		}
		for _, e := range decodeMessage(s.t, b) {
			s.evs = append(s.evs, e)
			if done(e) {
				return s.evs
			}
			if e.Terminal() {
				qDump(s.t, s.evs)
				s.t.Fatalf("the session ended first: %s", e.Result)
			}
			if e.Kind != event.KindReady {
				continue
			}
			if !strings.HasPrefix(e.Proc, only) {
				s.held = append(s.held, e)
				continue
			}
			steps++
			s.step(e)
		}
	}
	qDump(s.t, s.evs)
	s.t.Fatal("300 steps and the wanted event never came")
	return nil
}

// qStepUntil steps every ready process until an event satisfies done.
func qStepUntil(t *testing.T, ts *testServer, c created, done func(event.Event) bool) []event.Event {
	t.Helper()
	return qNewStepper(t, ts, c).until("", done)
}

// qStopMidway starts a session in step mode, steps it until done says so,
// checks with exists that its object is really there, stops it, and
// checks that no process and no object is left.
func qStopMidway(t *testing.T, ts *testServer, body string, done func(event.Event) bool, exists func(o map[string]any) bool) {
	t.Helper()
	c := ts.create(t, body)
	evs := qStepUntil(t, ts, c, done)
	if o := qObjects(t, evs)[0]; !exists(o) {
		t.Fatalf("object %v does not exist before the stop; the test proves nothing", o)
	}
	live := pidsOf(evs)
	status, b := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer "+c.PresenterToken)
	if status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, b)
	}
	evs = readStream(t, c.EventsURL, 20*time.Second)
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != event.StateStopped {
		t.Fatalf("last event %+v", last)
	}
	assertGone(t, append(live, pidsOf(evs)...))
	assertObjectsGone(t, evs)
}

// qBadParams posts each case and wants the contract's 400 on its field,
// with no process started.
func qBadParams(t *testing.T, ts *testServer, cases [][3]string) {
	t.Helper()
	before := len(children(t))
	for _, tc := range cases {
		status, body := ts.do(t, "POST", "/api/sessions", fmt.Sprintf(`{"scenario": %q, "params": %s}`, tc[0], tc[1]))
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadRequest || e.Field != tc[2] || e.Error == "" {
			t.Errorf("%s %s: %d %s, want 400 on %s", tc[0], tc[1], status, body, tc[2])
		}
	}
	if after := len(children(t)); after != before {
		t.Fatalf("refused requests started processes: %d children before, %d after", before, after)
	}
}

// qListing is one scenario as GET /api/scenarios lists it.
type qListing struct {
	Name, Mechanism string
	Params          []struct {
		Name, Type, Help string
		Default          any
		Min, Max         *int64
		Choices          []string
	}
}

// qListed checks that GET /api/scenarios lists the scenarios with their
// parameters, each typed, with a default and help.
func qListed(t *testing.T, ts *testServer, want map[string][]string) {
	t.Helper()
	status, body := ts.do(t, "GET", "/api/scenarios", "")
	if status != http.StatusOK {
		t.Fatalf("scenarios: %d", status)
	}
	var list []qListing
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for name, params := range want {
		i := slices.IndexFunc(list, func(s qListing) bool { return s.Name == name })
		if i < 0 {
			t.Errorf("%s is not listed", name)
			continue
		}
		s := list[i]
		if s.Mechanism != name {
			t.Errorf("%s has mechanism %q", name, s.Mechanism)
		}
		var got []string
		for _, p := range s.Params {
			got = append(got, p.Name)
			ok := p.Help != "" && p.Default != nil &&
				(p.Type == "int" && p.Min != nil && p.Max != nil || p.Type == "choice" && len(p.Choices) > 1)
			if !ok {
				t.Errorf("%s: parameter %+v is not fully described", name, p)
			}
		}
		if !slices.Equal(got, params) {
			t.Errorf("%s takes %v, want %v", name, got, params)
		}
	}
}

func TestQueueScenariosListed(t *testing.T) {
	ts := newTestServer(t)
	qListed(t, ts, map[string][]string{
		"fifo":     {"messages", "size", "capacity", "reader_delay_ms", "reader_arrives_ms"},
		"mq-posix": {"producers", "consumers", "messages", "size", "maxmsg", "priorities", "consumer_delay_ms"},
		"mq-sysv":  {"consumers", "messages", "size", "queue_bytes", "order", "consumer_delay_ms"},
	})
}

func TestFifoSession(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "fifo", `{"messages": 20, "size": 100, "reader_arrives_ms": 500}`)
	for _, name := range []string{"writer", "reader"} {
		spawn := qOf(evs, event.KindSpawn, name)
		if len(spawn) != 1 || spawn[0].Peer != "" {
			t.Fatalf("%s was not started by the server: %+v", name, spawn)
		}
	}
	// The writer came first and waited in open() for the reader.
	if !qBlocked(t, evs, "writer", "open") {
		qDump(t, evs)
		t.Fatal("the writer's open never blocked, though the reader came 500 ms later")
	}
	writes, reads := qOf(evs, event.KindWrite, "writer"), qOf(evs, event.KindRead, "reader")
	if len(writes) != 20 || len(reads) != 21 {
		t.Fatalf("%d writes and %d reads, want 20 and 20 plus end of file", len(writes), len(reads))
	}
	for i, r := range reads[:20] {
		if r.Msg != int64(i+1) || r.Bytes != 100 || r.Fill == nil || r.Cap <= 0 {
			t.Fatalf("read %d: %+v", i+1, r)
		}
	}
	if eof := reads[20]; eof.Bytes != 0 || eof.Msg != 0 || eof.Text == "" {
		t.Fatalf("last read is not end of file: %+v", eof)
	}
	res := qResult(t, evs)
	if qNum(t, res, "messages_sent") != 20 || qNum(t, res, "messages_received") != 20 || res["writer_waited_in_open"] != true {
		t.Fatalf("result %v", res)
	}
	if o := qObjects(t, evs)[0]; o["kind"] != "fifo" || !strings.HasPrefix(o["label"].(string), "fifo:") {
		t.Fatalf("object %v", o)
	}
}

// TestFifoReaderFirst holds the writer back until the reader has opened
// the FIFO and tried to read: with no writer yet, read returns 0 at once,
// which is not end of file, and the reader then waits in open() for one.
func TestFifoReaderFirst(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "fifo", "params": {"messages": 3, "reader_arrives_ms": 0}, "pace": "step"}`)
	s := qNewStepper(t, ts, c)
	s.until("reader", func(e event.Event) bool { return e.Kind == event.KindBlock && e.Proc == "reader" })
	evs := s.until("", func(e event.Event) bool { return e.Terminal() })
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != event.StateFinished {
		qDump(t, evs)
		t.Fatalf("ended %s: %s", last.State, last.Result)
	}
	if !qBlocked(t, evs, "reader", "open") || qBlocked(t, evs, "writer", "open") {
		qDump(t, evs)
		t.Fatal("want the reader, not the writer, to wait in open()")
	}
	reads := qOf(evs, event.KindRead, "reader")
	if len(reads) != 4 || reads[0].Msg != 1 || reads[3].Bytes != 0 {
		qDump(t, evs)
		t.Fatalf("reads %+v: want messages 1 to 3, then end of file", reads)
	}
	if res := qResult(t, evs); res["writer_waited_in_open"] != false || qNum(t, res, "messages_received") != 3 {
		t.Fatalf("result %v", res)
	}
	assertGone(t, pidsOf(evs))
	assertObjectsGone(t, evs)
}

func TestFifoBackpressure(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "fifo", `{"messages": 8, "size": 8192, "capacity": 4096, "reader_delay_ms": 20, "reader_arrives_ms": 0}`)
	if !qBlocked(t, evs, "writer", "write") {
		qDump(t, evs)
		t.Fatal("the writer never blocked on a full FIFO")
	}
	if count(evs, event.KindWrite) != 8 || count(evs, event.KindRead) != 8 {
		t.Fatalf("%d writes, %d reads", count(evs, event.KindWrite), count(evs, event.KindRead))
	}
}

// mqRecvOrder lists the ids of the received messages in the order the
// events give, with each one's priority.
func mqRecvOrder(evs []event.Event) (ids []int64, prio map[int64]int) {
	prio = map[int64]int{}
	for _, e := range evs {
		if e.Kind == event.KindRecv {
			ids = append(ids, e.Msg)
			prio[e.Msg] = e.Prio
		}
	}
	return ids, prio
}

func TestMqPosixPriorities(t *testing.T) {
	ts := newTestServer(t)
	// One producer, one consumer, a slow consumer and a short queue:
	// messages wait, and every fifth one (priority 9) jumps the line.
	evs := qRun(t, ts, "mq-posix", `{"producers": 1, "consumers": 1, "messages": 20, "maxmsg": 5,
		"priorities": "urgent-every-5th", "consumer_delay_ms": 30}`)
	sends, recvs := qOf(evs, event.KindSend, "producer"), qOf(evs, event.KindRecv, "consumer")
	if len(sends) != 20 || len(recvs) != 20 {
		t.Fatalf("%d sends and %d receives, want 20 each", len(sends), len(recvs))
	}
	for _, e := range append(sends, recvs...) {
		if e.Cap != 5 || e.Fill == nil || *e.Fill < 0 || *e.Fill > 5 || e.Bytes != 64 {
			t.Fatalf("seq %d: fill/cap not from mq_getattr: %+v", e.Seq, e)
		}
		if want := map[bool]int{true: 9, false: 1}[e.Msg%5 == 0]; e.Prio != want {
			t.Fatalf("seq %d: message %d has priority %d, want %d", e.Seq, e.Msg, e.Prio, want)
		}
	}
	ids, prio := mqRecvOrder(evs)
	overtook := false
	for i, id := range ids {
		for _, later := range ids[i+1:] {
			if later < id && prio[id] > prio[later] {
				overtook = true
			}
			if later < id && prio[id] <= prio[later] {
				t.Fatalf("message %d (priority %d) came out before %d (priority %d), sent earlier", id, prio[id], later, prio[later])
			}
		}
	}
	if !overtook {
		t.Fatalf("no urgent message overtook: received %v", ids)
	}
	res := qResult(t, evs)
	if qNum(t, res, "messages_sent") != 20 || qNum(t, res, "messages_received") != 20 || qNum(t, res, "overtook") < 1 {
		t.Fatalf("result %v", res)
	}
	if !qBlocked(t, evs, "producer-1", "mq_timedsend") {
		t.Fatal("the producer never blocked on the full queue")
	}
}

func TestMqPosixNoPrioritiesKeepOrder(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "mq-posix", `{"producers": 1, "consumers": 1, "messages": 15, "maxmsg": 4,
		"priorities": "none", "consumer_delay_ms": 10}`)
	ids, _ := mqRecvOrder(evs)
	if !slices.IsSorted(ids) || len(ids) != 15 {
		t.Fatalf("received %v, want 1 to 15 in order", ids)
	}
	if res := qResult(t, evs); qNum(t, res, "overtook") != 0 {
		t.Fatalf("result %v", res)
	}
}

func TestMqPosixManyProducersAndConsumers(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "mq-posix", `{"producers": 3, "consumers": 2, "messages": 31, "maxmsg": 3,
		"priorities": "mixed", "consumer_delay_ms": 5}`)
	sent, got := map[int64]string{}, map[int64]string{}
	for _, e := range evs {
		switch e.Kind {
		case event.KindSend:
			if sent[e.Msg] != "" {
				t.Fatalf("message %d sent twice", e.Msg)
			}
			sent[e.Msg] = e.Proc
		case event.KindRecv:
			if got[e.Msg] != "" {
				t.Fatalf("message %d received by %s and %s", e.Msg, got[e.Msg], e.Proc)
			}
			got[e.Msg] = e.Proc
		}
	}
	for id := int64(1); id <= 31; id++ {
		if want := fmt.Sprintf("producer-%d", (id-1)%3+1); sent[id] != want || got[id] == "" {
			t.Fatalf("message %d: sent by %q (want %s), received by %q", id, sent[id], want, got[id])
		}
	}
	for _, name := range []string{"producer-2", "producer-3", "consumer-1", "consumer-2"} {
		if spawn := qOf(evs, event.KindSpawn, name); len(spawn) != 1 || spawn[0].Peer != "producer-1" {
			t.Fatalf("%s: spawn %+v, want started by producer-1", name, spawn)
		}
		if exits := qOf(evs, event.KindExit, name); len(exits) != 1 || exits[0].Code == nil || *exits[0].Code != 0 {
			t.Fatalf("%s: exit %+v", name, exits)
		}
	}
	res := qResult(t, evs)
	per, _ := res["per_consumer"].(map[string]any)
	if qNum(t, res, "messages_received") != 31 || per["consumer-1"] != 16.0 || per["consumer-2"] != 15.0 {
		t.Fatalf("result %v", res)
	}
}

// TestMqPosixSessionsSideBySide runs sessions with the largest queues the
// kernel allows at once: each is charged only for its own queue, so they
// fit in one user's RLIMIT_MSGQUEUE together.
func TestMqPosixSessionsSideBySide(t *testing.T) {
	ts := newTestServer(t)
	lim := scenario.ReadLimits()
	ml, err := ipc.ReadMqLimits()
	if err != nil {
		t.Skip(err)
	}
	cost := uint64(ipc.MqCost(lim.MqMsgMax, lim.MqMsgsize))
	n := min(4, int(ml.UserBytes/cost))
	if n < 2 {
		t.Skipf("RLIMIT_MSGQUEUE (%d bytes) holds fewer than two of the largest queues", ml.UserBytes)
	}
	params := fmt.Sprintf(`{"producers": 1, "consumers": 1, "messages": 12, "size": %d, "maxmsg": %d, "consumer_delay_ms": 10}`,
		lim.MqMsgsize, lim.MqMsgMax)
	var wg sync.WaitGroup
	results := make([][]event.Event, n)
	sessions := make([]created, n)
	for i := range n {
		sessions[i] = ts.create(t, `{"scenario": "mq-posix", "params": `+params+`}`)
	}
	for i := range n {
		wg.Go(func() { results[i] = readStream(t, sessions[i].EventsURL, 60*time.Second) })
	}
	wg.Wait()
	for _, evs := range results {
		checkStream(t, evs)
		if last := evs[len(evs)-1]; last.State != event.StateFinished {
			qDump(t, evs)
			t.Fatalf("a session ended %s: %s", last.State, last.Result)
		}
		assertObjectsGone(t, evs)
	}
}

// TestMqPosixRefusedPastRlimit holds the largest queues in sessions kept
// waiting in step mode until one more would pass RLIMIT_MSGQUEUE: that one
// is refused in words before anything starts. Two servers, since one runs
// at most eight sessions; they share the user's allowance all the same.
func TestMqPosixRefusedPastRlimit(t *testing.T) {
	lim := scenario.ReadLimits()
	ml, err := ipc.ReadMqLimits()
	if err != nil {
		t.Skip(err)
	}
	cost := uint64(ipc.MqCost(lim.MqMsgMax, lim.MqMsgsize))
	fit := int(ml.UserBytes / cost)
	if fit > 14 {
		t.Skipf("RLIMIT_MSGQUEUE (%d bytes) holds %d of the largest queues: too many sessions to fill it", ml.UserBytes, fit)
	}
	servers := []*testServer{newTestServer(t), newTestServer(t)}
	body := fmt.Sprintf(`{"scenario": "mq-posix", "params": {"producers": 1, "consumers": 1, "messages": 2, "size": %d, "maxmsg": %d}, "pace": "step"}`,
		lim.MqMsgsize, lim.MqMsgMax)
	type held struct {
		ts *testServer
		c  created
	}
	var sessions []held
	refused := ""
	for i := 0; i <= fit && refused == ""; i++ {
		ts := servers[i%2]
		status, b := ts.do(t, "POST", "/api/sessions", body)
		if status == http.StatusBadRequest {
			var e struct{ Error, Field string }
			if err := json.Unmarshal(b, &e); err != nil || e.Field != "params.maxmsg" || !strings.Contains(e.Error, "RLIMIT_MSGQUEUE") {
				t.Fatalf("refused with %s", b)
			}
			refused = e.Error
			break
		}
		if status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i+1, status, b)
		}
		var c created
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, held{ts, c})
		// Let the owner create its queue, so that it really exists.
		evs := qStepUntil(t, ts, c, func(e event.Event) bool {
			return e.Proc == "producer-1" && (e.Kind == event.KindOpen || e.Kind == event.KindError)
		})
		if last := evs[len(evs)-1]; last.Kind == event.KindError {
			t.Logf("session %d could not create its queue (other programs of this user hold queues too): %s", i+1, last.Error)
			refused = last.Error
		}
	}
	if refused == "" {
		t.Fatalf("%d sessions with queues of %d bytes each were all accepted; RLIMIT_MSGQUEUE is %d bytes", len(sessions), cost, ml.UserBytes)
	}
	t.Logf("after %d sessions: %s", len(sessions), refused)
	for _, s := range sessions {
		if status, b := s.ts.do(t, "DELETE", "/api/sessions/"+s.c.ID, "", "Authorization", "Bearer "+s.c.PresenterToken); status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", status, b)
		}
		evs := readStream(t, s.c.EventsURL, 20*time.Second)
		assertObjectsGone(t, evs)
	}
	// The room is back once those sessions are gone.
	qRun(t, servers[0], "mq-posix", fmt.Sprintf(`{"producers": 1, "consumers": 1, "messages": 4, "size": %d, "maxmsg": %d}`,
		lim.MqMsgsize, lim.MqMsgMax))
}

func TestMqPosixBackpressure(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "mq-posix", `{"producers": 2, "consumers": 1, "messages": 10, "maxmsg": 1, "consumer_delay_ms": 20}`)
	if !qBlocked(t, evs, "producer", "mq_timedsend") {
		qDump(t, evs)
		t.Fatal("no producer blocked on a queue of one message")
	}
	if res := qResult(t, evs); qNum(t, res, "sends_blocked") < 1 {
		t.Fatalf("result %v", res)
	}
}

func TestMqSysvMailbox(t *testing.T) {
	ts := newTestServer(t)
	for _, order := range []string{"grouped", "round-robin"} {
		t.Run(order, func(t *testing.T) {
			// A queue of two messages: the sender soon waits for room.
			// Grouped, consumer-3's first letter goes out only after
			// consumer-2 has taken three of its own, five delays in: far
			// later than consumer-3 starts asking for it.
			evs := qRun(t, ts, "mq-sysv", `{"consumers": 3, "messages": 12, "queue_bytes": 128, "order": "`+order+`", "consumer_delay_ms": 50}`)
			firstSend := map[int64]uint64{} // type → seq of its first send
			for _, e := range qOf(evs, event.KindSend, "sender") {
				if _, seen := firstSend[e.Type]; !seen {
					firstSend[e.Type] = e.Seq
				}
				if e.Fill == nil || e.Cap != 128/64 {
					t.Fatalf("seq %d: fill/cap not from IPC_STAT: %+v", e.Seq, e)
				}
			}
			per := map[string]int{}
			for _, e := range qOf(evs, event.KindRecv, "consumer") {
				if want := fmt.Sprintf("consumer-%d", e.Type); e.Proc != want {
					t.Fatalf("seq %d: %s received a message of type %d", e.Seq, e.Proc, e.Type)
				}
				per[e.Proc]++
			}
			if per["consumer-1"] != 4 || per["consumer-2"] != 4 || per["consumer-3"] != 4 {
				t.Fatalf("received per consumer: %v", per)
			}
			// The last consumer waited for its type before any was sent.
			early := false
			for _, b := range qOf(evs, event.KindBlock, "consumer-3") {
				if b.Call == "msgrcv" && b.Type == 3 && b.Seq < firstSend[3] {
					early = true
				}
			}
			if order == "grouped" && !early {
				qDump(t, evs)
				t.Fatal("consumer-3 never blocked waiting for a type nobody had sent yet")
			}
			res := qResult(t, evs)
			if qNum(t, res, "messages_received") != 12 || qNum(t, res, "misdelivered") != 0 {
				t.Fatalf("result %v", res)
			}
		})
	}
}

func TestMqSysvBackpressure(t *testing.T) {
	ts := newTestServer(t)
	evs := qRun(t, ts, "mq-sysv", `{"consumers": 1, "messages": 10, "size": 256, "queue_bytes": 512, "consumer_delay_ms": 20}`)
	if !qBlocked(t, evs, "sender", "msgsnd") {
		qDump(t, evs)
		t.Fatal("the sender never blocked on a queue of 512 bytes")
	}
	for _, e := range qOf(evs, event.KindSend, "sender") {
		if e.Cap != 2 || *e.Fill > 2 {
			t.Fatalf("seq %d: fill %d of %d, want at most 2 messages of 256 bytes in 512", e.Seq, *e.Fill, e.Cap)
		}
	}
}

func TestQueueBadParams(t *testing.T) {
	ts := newTestServer(t)
	lim := scenario.ReadLimits()
	qBadParams(t, ts, [][3]string{
		{"fifo", `{"size": 4}`, "params.size"},
		{"fifo", `{"capacity": 100}`, "params.capacity"},
		{"fifo", `{"messages": 10000, "size": 65536}`, "params.messages"},
		{"fifo", `{"messages": 100, "reader_delay_ms": 5000}`, "params.reader_delay_ms"},
		{"fifo", `{"path": "/etc/passwd"}`, "params.path"},
		{"mq-posix", `{"producers": 5}`, "params.producers"},
		{"mq-posix", `{"producers": 4, "messages": 3}`, "params.producers"},
		{"mq-posix", `{"consumers": 0}`, "params.consumers"},
		{"mq-posix", fmt.Sprintf(`{"maxmsg": %d}`, lim.MqMsgMax+1), "params.maxmsg"},
		{"mq-posix", fmt.Sprintf(`{"size": %d}`, lim.MqMsgsize+1), "params.size"},
		{"mq-posix", `{"priorities": "random"}`, "params.priorities"},
		{"mq-posix", `{"messages": 1000, "consumers": 1, "consumer_delay_ms": 1000}`, "params.consumer_delay_ms"},
		{"mq-sysv", `{"consumers": 5}`, "params.consumers"},
		{"mq-sysv", fmt.Sprintf(`{"queue_bytes": %d}`, lim.MsgMnb+1), "params.queue_bytes"},
		{"mq-sysv", `{"queue_bytes": 32, "size": 64}`, "params.queue_bytes"},
		{"mq-sysv", fmt.Sprintf(`{"size": %d, "queue_bytes": %d}`, lim.MsgMax+1, lim.MsgMax+1), "params.size"},
		{"mq-sysv", `{"order": "random"}`, "params.order"},
		{"mq-sysv", `{"messages": 2.5}`, "params.messages"},
	})
}

func TestQueueStopMidSession(t *testing.T) {
	ts := newTestServer(t)
	t.Run("fifo", func(t *testing.T) {
		// Until the writer sits blocked in open(): the FIFO exists and the
		// reader has not come yet.
		qStopMidway(t, ts, `{"scenario": "fifo", "params": {"messages": 5}, "pace": "step"}`,
			func(e event.Event) bool { return e.Kind == event.KindBlock && e.Call == "open" },
			func(o map[string]any) bool { ok, _ := ipc.FifoExists(o["name"].(string)); return ok })
	})
	t.Run("mq-posix", func(t *testing.T) {
		// Until a consumer the owner started has opened the queue.
		qStopMidway(t, ts, `{"scenario": "mq-posix", "params": {"messages": 6}, "pace": "step"}`,
			func(e event.Event) bool { return e.Kind == event.KindOpen && strings.HasPrefix(e.Proc, "consumer") },
			func(o map[string]any) bool { ok, _ := ipc.MqExists(o["name"].(string)); return ok })
	})
	t.Run("mq-sysv", func(t *testing.T) {
		qStopMidway(t, ts, `{"scenario": "mq-sysv", "params": {"messages": 6}, "pace": "step"}`,
			func(e event.Event) bool { return e.Kind == event.KindOpen && strings.HasPrefix(e.Proc, "consumer") },
			func(o map[string]any) bool { ok, _ := ipc.MsgKeyExists(int(o["key"].(float64))); return ok })
	})
}

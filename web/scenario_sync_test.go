package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// The synchronisation scenarios end to end: semaphore, race and deadlock,
// through the HTTP API and the event stream, against real processes and
// real kernel objects.

// syncRun starts a session, reads its stream to the end, checks the
// contract's invariants and that no process or kernel object is left, and
// returns the events and the result of a session that finished.
func syncRun(t *testing.T, ts *testServer, body string, d time.Duration) ([]event.Event, map[string]any) {
	t.Helper()
	c := ts.create(t, body)
	evs := readStream(t, c.EventsURL, d)
	return evs, syncFinished(t, evs)
}

// syncFinished checks a whole stream and returns its result.
func syncFinished(t *testing.T, evs []event.Event) map[string]any {
	t.Helper()
	checkStream(t, evs)
	assertGone(t, pidsOf(evs))
	assertObjectsGone(t, evs)
	last := evs[len(evs)-1]
	var res map[string]any
	if err := json.Unmarshal(last.Result, &res); err != nil {
		t.Fatalf("result %s: %v", last.Result, err)
	}
	if last.State != event.StateFinished {
		syncDump(t, evs)
		t.Fatalf("session ended %s: %s", last.State, last.Result)
	}
	return res
}

// syncDump logs a stream, to explain a failure.
func syncDump(t *testing.T, evs []event.Event) {
	t.Helper()
	for _, e := range evs {
		if e.Kind == event.KindSample {
			continue
		}
		t.Logf("%4d %6dms %-8s %-9s %-28s %s %s value=%s waiters=%s cycle=%v %v", e.Seq, e.T/1e6, e.Kind, e.Proc, e.Obj,
			e.Call, e.Text, syncPtr(e.Value), syncPtr(e.Waiters), e.Cycle, e.Attrs)
	}
}

func syncPtr(p *int64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// syncNum reads a number from a result.
func syncNum(t *testing.T, res map[string]any, key string) int64 {
	t.Helper()
	f, ok := res[key].(float64)
	if !ok {
		t.Fatalf("result has no number %q: %v", key, res)
	}
	return int64(f)
}

// syncWatch reads a session's stream until its end, handing each event to
// fn as it arrives, and returns them all.
func syncWatch(t *testing.T, url string, d time.Duration, fn func(e event.Event)) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(16 << 20)
	var evs []event.Event
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return evs
			}
			syncDump(t, evs)
			t.Fatalf("read stream after %d events: %v", len(evs), err)
		}
		for _, e := range decodeMessage(t, b) {
			evs = append(evs, e)
			fn(e)
		}
	}
}

func TestSemaphoreSession(t *testing.T) {
	ts := newTestServer(t)
	const permits, procs, rounds = 2, 4, 2
	evs, res := syncRun(t, ts, fmt.Sprintf(`{"scenario": "semaphore", "params": {"processes": %d, "permits": %d, "rounds": %d, "hold_ms": 200}}`,
		procs, permits, rounds), 60*time.Second)
	// The workers' own shared counter: never more than the permits inside,
	// and with more workers than permits, the permits were all used.
	if m := syncNum(t, res, "max_inside"); m != permits {
		t.Fatalf("max_inside %d, want %d", m, permits)
	}
	if n := syncNum(t, res, "entries"); n != procs*rounds {
		t.Fatalf("%d entries, want %d", n, procs*rounds)
	}
	waits, posts, blocks, waiters := 0, 0, 0, false
	for i, e := range evs {
		switch e.Kind {
		case event.KindWait, event.KindPost:
			if e.Kind == event.KindWait {
				waits++
			} else {
				posts++
			}
			inside, _ := e.Attrs["inside"].(float64)
			if inside > permits || e.Value == nil || *e.Value < 0 || *e.Value > permits {
				t.Fatalf("seq %d: %s with %v inside, value %s", e.Seq, e.Kind, inside, syncPtr(e.Value))
			}
		case event.KindBlock:
			blocks++
			syncUnblockedNext(t, evs[i:])
		}
		if (e.Kind == event.KindWait || e.Kind == event.KindPost || e.Kind == event.KindSample) && e.Waiters != nil && *e.Waiters > 0 {
			waiters = true
		}
	}
	if waits != procs*rounds || posts != procs*rounds {
		t.Fatalf("%d waits and %d posts, want %d each", waits, posts, procs*rounds)
	}
	if blocks == 0 || int64(blocks) != syncNum(t, res, "blocked") || !waiters {
		syncDump(t, evs)
		t.Fatalf("%d block events, result %v, waiters seen %v: the queue in front of the light was not shown", blocks, res, waiters)
	}
}

// TestSemaphoreStepByStep lets worker-1 take the only permit, then has
// worker-2 try: the kernel puts it to sleep until worker-1 gives it back.
func TestSemaphoreStepByStep(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "semaphore", "params": {"processes": 2, "permits": 1, "rounds": 1, "hold_ms": 0}, "pace": "step"}`)
	s := &stepScript{t: t, ts: ts, c: c,
		script: []stepWant{{"worker-1", "semop", ""}, {"worker-2", "semop", ""}},
		held:   func(e event.Event) bool { return e.Call == "semop" }}
	evs := s.run(60 * time.Second)
	res := syncFinished(t, evs)
	if syncNum(t, res, "max_inside") != 1 || syncNum(t, res, "blocked") != 1 {
		t.Fatalf("result %v", res)
	}
	var story []string
	for _, e := range evs {
		switch e.Kind {
		case event.KindWait, event.KindPost, event.KindBlock, event.KindUnblock:
			story = append(story, e.Proc+" "+e.Kind)
		}
	}
	// worker-2 wakes when worker-1's V is done; which of the two reports
	// first is up to the scheduler.
	at := func(s string) int { return slices.Index(story, s) }
	if len(story) != 6 || at("worker-1 wait") != 0 || at("worker-2 block") != 1 || at("worker-1 post") < 2 ||
		!(at("worker-2 unblock") < at("worker-2 wait") && at("worker-2 wait") < at("worker-2 post")) {
		t.Fatalf("semaphore story %q: worker-1 in, worker-2 blocked, worker-1 out, worker-2 in and out", story)
	}
}

// syncUnblockedNext checks that the process of evs[0], a block event, next
// reports its unblock.
func syncUnblockedNext(t *testing.T, evs []event.Event) {
	t.Helper()
	b := evs[0]
	for _, e := range evs[1:] {
		if e.Proc == b.Proc && e.Kind != event.KindSpawn {
			if e.Kind != event.KindUnblock || e.Obj != b.Obj {
				t.Fatalf("seq %d: %s blocked on %s, then sent %s on %s", b.Seq, b.Proc, b.Obj, e.Kind, e.Obj)
			}
			return
		}
	}
	t.Fatalf("seq %d: %s never unblocked", b.Seq, b.Proc)
}

func TestRaceLosesUpdates(t *testing.T) {
	ts := newTestServer(t)
	const workers, increments, tries = 4, 100000, 6
	for try := 1; try <= tries; try++ {
		_, res := syncRun(t, ts, fmt.Sprintf(`{"scenario": "race", "params": {"workers": %d, "increments": %d, "sync": "none"}}`,
			workers, increments), 60*time.Second)
		expected, actual, lost := syncNum(t, res, "expected"), syncNum(t, res, "actual"), syncNum(t, res, "lost")
		if expected != workers*increments || actual <= 0 || actual > expected || lost != expected-actual {
			t.Fatalf("result %v", res)
		}
		t.Logf("try %d: %d workers × %d increments: counter %d, %d updates lost", try, workers, increments, actual, lost)
		if lost > 0 {
			return
		}
	}
	t.Fatalf("no update lost in %d sessions without synchronisation", tries)
}

// TestRaceWorkersOnTheirOwnCPUs checks that the race's workers say which
// CPU each is pinned to, a different one for each while there are CPUs
// enough: left to itself the kernel often put both workers on one CPU,
// where their loops took turns and no update was lost.
func TestRaceWorkersOnTheirOwnCPUs(t *testing.T) {
	ts := newTestServer(t)
	evs, _ := syncRun(t, ts, `{"scenario": "race", "params": {"workers": 2, "increments": 1000, "sync": "none"}}`, 60*time.Second)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	cpus := map[string]int{}
	for _, e := range evs {
		var cpu int
		if e.Kind == event.KindNote && strings.HasPrefix(e.Proc, "worker-") && strings.Contains(e.Text, "sched_setaffinity") {
			if _, err := fmt.Sscanf(e.Text, e.Proc+" runs on CPU %d only", &cpu); err != nil {
				t.Fatalf("note %q: %v", e.Text, err)
			}
			cpus[e.Proc] = cpu
		}
	}
	if set.Count() < 2 {
		if len(cpus) != 0 {
			t.Fatalf("with one CPU the workers say they were pinned: %v", cpus)
		}
		return
	}
	if len(cpus) != 2 || cpus["worker-1"] == cpus["worker-2"] || !set.IsSet(cpus["worker-1"]) || !set.IsSet(cpus["worker-2"]) {
		t.Fatalf("workers pinned to %v; want two different CPUs of %d allowed", cpus, set.Count())
	}
}

func TestRaceFixesAreExact(t *testing.T) {
	ts := newTestServer(t)
	for _, sync := range []string{"semaphore", "futex", "atomic"} {
		t.Run(sync, func(t *testing.T) {
			for run := 1; run <= 3; run++ {
				_, res := syncRun(t, ts, `{"scenario": "race", "params": {"workers": 4, "increments": 20000, "sync": "`+sync+`"}}`, 90*time.Second)
				if e, a := syncNum(t, res, "expected"), syncNum(t, res, "actual"); e != 80000 || a != e || syncNum(t, res, "lost") != 0 {
					t.Fatalf("run %d: result %v", run, res)
				}
				if sync != "atomic" {
					t.Logf("run %d: %d times a worker found the lock taken", run, syncNum(t, res, "lock_waits"))
				}
			}
		})
	}
}

// TestRaceDetail checks that small sessions show every read and write of
// the counter, and every lock and unlock.
func TestRaceDetail(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		sync                        string
		reads, writes, waits, posts int
	}{
		// Reads: one per increment, and the parent's final read of the
		// counter when every worker has exited.
		{"none", 7, 6, 0, 0},
		{"semaphore", 7, 6, 6, 6},
		{"futex", 7, 6, 6, 6},
		{"atomic", 1, 6, 0, 0},
	} {
		t.Run(tc.sync, func(t *testing.T) {
			evs, res := syncRun(t, ts, `{"scenario": "race", "params": {"workers": 2, "increments": 3, "sync": "`+tc.sync+`"}}`, 30*time.Second)
			got := []int{count(evs, event.KindRead), count(evs, event.KindWrite), count(evs, event.KindWait), count(evs, event.KindPost)}
			if want := []int{tc.reads, tc.writes, tc.waits, tc.posts}; !slices.Equal(got, want) {
				syncDump(t, evs)
				t.Fatalf("reads, writes, waits, posts: %v, want %v", got, want)
			}
			if syncNum(t, res, "expected") != 6 || syncNum(t, res, "actual")+syncNum(t, res, "lost") != 6 {
				t.Fatalf("result %v", res)
			}
			if tc.sync != "none" && syncNum(t, res, "actual") != 6 {
				t.Fatalf("result %v", res)
			}
		})
	}
}

// stepScript drives a session in step mode. Ready events that held says
// are part of the lesson are released in the script's order, each one only
// after the previous scripted process has shown what its step did; every
// other ready event is released at once, and once the script is done and
// its last step has shown its effect, everything is.
type stepScript struct {
	t       *testing.T
	ts      *testServer
	c       created
	script  []stepWant
	held    func(e event.Event) bool
	ready   map[string]event.Event // processes waiting for a step
	waitFor string                 // the scripted process whose step is under way
}

// stepWant is one scripted step: proc's call on an object whose label ends
// with obj.
type stepWant struct{ proc, call, obj string }

func (s *stepScript) on(e event.Event) {
	if s.waitFor != "" && e.Proc == s.waitFor && e.Kind != event.KindReady {
		s.waitFor = ""
	}
	if e.Kind == event.KindReady {
		s.ready[e.Proc] = e
	}
	if e.Terminal() {
		return
	}
	scripted := len(s.script) > 0 || s.waitFor != ""
	for name, r := range s.ready {
		if !scripted || !s.held(r) {
			s.step(name)
		}
	}
	if len(s.script) == 0 || s.waitFor != "" {
		return
	}
	w := s.script[0]
	if r, ok := s.ready[w.proc]; ok && r.Call == w.call && strings.HasSuffix(r.Obj, w.obj) {
		s.script = s.script[1:]
		s.waitFor = w.proc
		s.step(w.proc)
	}
}

func (s *stepScript) step(name string) {
	s.t.Helper()
	delete(s.ready, name)
	status, body := s.ts.do(s.t, "POST", "/api/sessions/"+s.c.ID+"/control", `{"action": "step", "value": "`+name+`"}`,
		"Authorization", "Bearer "+s.c.PresenterToken)
	if status != http.StatusOK {
		s.t.Fatalf("step %s: %d %s", name, status, body)
	}
}

// run drives the session to its end and returns its events.
func (s *stepScript) run(d time.Duration) []event.Event {
	s.ready = map[string]event.Event{}
	evs := syncWatch(s.t, s.c.EventsURL, d, s.on)
	if len(s.script) > 0 {
		syncDump(s.t, evs)
		s.t.Fatalf("the session ended with steps %v left", s.script)
	}
	return evs
}

func TestRaceStepLostUpdate(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "race", "params": {"workers": 2, "increments": 1, "sync": "none"}, "pace": "step"}`)
	s := &stepScript{t: t, ts: ts, c: c,
		script: []stepWant{{"worker-1", "load", ""}, {"worker-2", "load", ""}, {"worker-1", "store", ""}, {"worker-2", "store", ""}},
		held:   func(e event.Event) bool { return e.Call == "load" || e.Call == "store" }}
	evs := s.run(60 * time.Second)
	res := syncFinished(t, evs)
	if syncNum(t, res, "expected") != 2 || syncNum(t, res, "actual") != 1 || syncNum(t, res, "lost") != 1 {
		t.Fatalf("result %v, want expected 2, actual 1, lost 1", res)
	}
	// Both read 0 and both wrote 1: the events show the lost update, and
	// the parent's final read finds 1.
	var seen []string
	for _, e := range evs {
		if e.Kind == event.KindRead || e.Kind == event.KindWrite {
			seen = append(seen, fmt.Sprintf("%s %s %s", e.Proc, e.Kind, syncPtr(e.Value)))
		}
	}
	want := []string{"worker-1 read 0", "worker-2 read 0", "worker-1 write 1", "worker-2 write 1", "parent read 1"}
	if !slices.Equal(seen, want) {
		t.Fatalf("counter accesses %q, want %q", seen, want)
	}
}

// syncDeadlock finds the deadlock event and the block event that closed
// the cycle: the last block before it.
func syncDeadlock(evs []event.Event) (dl, closing *event.Event) {
	for i := range evs {
		switch evs[i].Kind {
		case event.KindBlock:
			if dl == nil {
				closing = &evs[i]
			}
		case event.KindDeadlock:
			if dl != nil {
				return nil, nil // more than one
			}
			dl = &evs[i]
		}
	}
	return dl, closing
}

func TestDeadlockDetectedAndResolved(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		resource string
		objs     []string // suffixes of the objects in the cycle
	}{
		{"semaphores", []string{"#0", "#1"}},
		{"pipes", []string{"pipe:1", "pipe:2"}},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			evs, res := syncRun(t, ts, `{"scenario": "deadlock", "params": {"resource": "`+tc.resource+`", "order": "opposite"}}`, 30*time.Second)
			syncCheckDeadlock(t, evs, res, tc.objs)
		})
	}
}

// syncCheckDeadlock checks that a deadlock was reported with both processes
// and both objects, detected and broken within two seconds of forming, and
// that the survivor finished.
func syncCheckDeadlock(t *testing.T, evs []event.Event, res map[string]any, objs []string) {
	t.Helper()
	dl, closing := syncDeadlock(evs)
	if dl == nil || closing == nil {
		syncDump(t, evs)
		t.Fatal("no single deadlock event after a block")
	}
	var procs, held []string
	for _, e := range dl.Cycle {
		procs = append(procs, e.Proc)
		held = append(held, e.Obj)
	}
	slices.Sort(procs)
	slices.Sort(held)
	if !slices.Equal(procs, []string{"worker-1", "worker-2"}) || len(held) != 2 ||
		!strings.HasSuffix(held[0], objs[0]) || !strings.HasSuffix(held[1], objs[1]) {
		t.Fatalf("deadlock cycle %+v, want worker-1 and worker-2 waiting on %v", dl.Cycle, objs)
	}
	if d := time.Duration(dl.T - closing.T); d > 2*time.Second {
		t.Fatalf("deadlock reported %v after it formed", d)
	}
	victim, _ := res["victim"].(string)
	survivor := map[string]string{"worker-1": "worker-2", "worker-2": "worker-1"}[victim]
	if res["deadlock"] != true || survivor == "" || fmt.Sprint(res["finished"]) != "["+survivor+"]" {
		t.Fatalf("result %v", res)
	}
	for _, e := range evs {
		if e.Kind == event.KindNote && e.Proc == "" && strings.Contains(e.Text, "SIGKILL to "+victim) {
			if d := time.Duration(e.T - closing.T); d > 2*time.Second {
				t.Fatalf("deadlock broken %v after it formed", d)
			}
		}
		if e.Kind == event.KindExit && e.Proc == victim && e.Sig != "SIGKILL" {
			t.Fatalf("the victim %s ended with %+v", victim, e)
		}
		if e.Kind == event.KindExit && e.Proc == survivor && (e.Code == nil || *e.Code != 0) {
			t.Fatalf("the survivor %s ended with %+v", survivor, e)
		}
	}
	// Causal order: the kill first, then the victim's exit, then anything
	// the survivor does, since the kill is what let it go on.
	kill, exit, exits := 0, 0, 0
	for i, e := range evs {
		switch {
		case e.Kind == event.KindNote && e.Proc == "" && strings.Contains(e.Text, "SIGKILL to "+victim):
			kill = i
		case e.Kind == event.KindExit && e.Proc == victim:
			exit = i
			exits++
		case e.Proc == survivor && kill > 0 && exit == 0 && e.Kind != event.KindSample:
			syncDump(t, evs)
			t.Fatalf("the survivor's %s (seq %d) was logged after the kill and before the victim's exit", e.Kind, e.Seq)
		}
	}
	if kill == 0 || exit < kill || exits != 1 {
		syncDump(t, evs)
		t.Fatalf("the kill at %d, the victim's exit at %d, %d exits", kill, exit, exits)
	}
}

func TestDeadlockSameOrder(t *testing.T) {
	ts := newTestServer(t)
	for _, resource := range []string{"semaphores", "pipes"} {
		t.Run(resource, func(t *testing.T) {
			evs, res := syncRun(t, ts, `{"scenario": "deadlock", "params": {"resource": "`+resource+`", "order": "same", "hold_ms": 200}}`, 30*time.Second)
			if n := count(evs, event.KindDeadlock); n != 0 {
				t.Fatalf("%d deadlock events", n)
			}
			if res["deadlock"] != false || res["victim"] != "" || fmt.Sprint(res["finished"]) != "[worker-1 worker-2]" {
				t.Fatalf("result %v", res)
			}
			if resource == "pipes" && (count(evs, event.KindWrite) != 2 || count(evs, event.KindRead) != 2) {
				t.Fatalf("%d writes and %d reads, want 2 each", count(evs, event.KindWrite), count(evs, event.KindRead))
			}
		})
	}
}

// TestDeadlockStepByStep makes the deadlock on purpose: each worker takes
// its first semaphore, then each reaches for the other's.
func TestDeadlockStepByStep(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "deadlock", "params": {"resource": "semaphores", "order": "opposite", "hold_ms": 0}, "pace": "step"}`)
	s := &stepScript{t: t, ts: ts, c: c,
		script: []stepWant{{"worker-1", "semop", "#0"}, {"worker-2", "semop", "#1"}, {"worker-1", "semop", "#1"}, {"worker-2", "semop", "#0"}},
		held:   func(e event.Event) bool { return e.Call == "semop" }}
	evs := s.run(60 * time.Second)
	syncCheckDeadlock(t, evs, syncFinished(t, evs), []string{"#0", "#1"})
}

func TestSyncBadParams(t *testing.T) {
	ts := newTestServer(t)
	before := children(t)
	for _, tc := range []struct{ scenario, params, field string }{
		{"semaphore", `{"processes": 1}`, "params.processes"},
		{"semaphore", `{"processes": 9}`, "params.processes"},
		{"semaphore", `{"permits": 0}`, "params.permits"},
		{"semaphore", `{"rounds": 21}`, "params.rounds"},
		{"semaphore", `{"hold_ms": 2001}`, "params.hold_ms"},
		{"semaphore", `{"processes": 8, "permits": 1, "rounds": 20, "hold_ms": 2000}`, "params.hold_ms"},
		{"race", `{"workers": 1}`, "params.workers"},
		{"race", `{"increments": 0}`, "params.increments"},
		{"race", `{"increments": 1000001}`, "params.increments"},
		{"race", `{"sync": "hope"}`, "params.sync"},
		{"race", `{"workers": 8, "increments": 1000000, "sync": "semaphore"}`, "params.increments"},
		{"deadlock", `{"order": "random"}`, "params.order"},
		{"deadlock", `{"resource": "files"}`, "params.resource"},
		{"deadlock", `{"hold_ms": -1}`, "params.hold_ms"},
		{"deadlock", `{"rounds": 2}`, "params.rounds"},
	} {
		t.Run(tc.scenario+" "+tc.params, func(t *testing.T) {
			status, body := ts.do(t, "POST", "/api/sessions", `{"scenario": "`+tc.scenario+`", "params": `+tc.params+`}`)
			var e struct {
				Error string `json:"error"`
				Field string `json:"field"`
			}
			if err := json.Unmarshal(body, &e); status != http.StatusBadRequest || err != nil || e.Field != tc.field || e.Error == "" {
				t.Fatalf("%d %s, want 400 blaming %s", status, body, tc.field)
			}
		})
	}
	if after := children(t); !slices.Equal(before, after) {
		t.Fatalf("refused requests started processes: %v, then %v", before, after)
	}
}

func TestSyncScenariosListed(t *testing.T) {
	ts := newTestServer(t)
	status, body := ts.do(t, "GET", "/api/scenarios", "")
	var list []struct {
		Name, Mechanism string
		Params          []struct{ Name string }
	}
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil {
		t.Fatalf("%d %s", status, body)
	}
	want := map[string][]string{
		"semaphore": {"processes", "permits", "rounds", "hold_ms"},
		"race":      {"workers", "increments", "sync"},
		"deadlock":  {"resource", "order", "hold_ms"},
	}
	for _, s := range list {
		if params, ok := want[s.Name]; ok {
			var got []string
			for _, p := range s.Params {
				got = append(got, p.Name)
			}
			if s.Mechanism != s.Name || !slices.Equal(got, params) {
				t.Fatalf("%s: mechanism %q, params %v", s.Name, s.Mechanism, got)
			}
			delete(want, s.Name)
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing from the catalogue: %v", want)
	}
}

// TestSyncStopMidSession deletes each scenario's session while its
// processes hold or wait on their objects: nothing may be left.
func TestSyncStopMidSession(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name, body string
		when       func(e event.Event) bool
	}{
		{"semaphore", `{"scenario": "semaphore", "params": {"processes": 3, "permits": 1, "rounds": 3, "hold_ms": 1000}}`,
			func(e event.Event) bool { return e.Kind == event.KindWait }},
		{"race", `{"scenario": "race", "params": {"workers": 2, "increments": 500000, "sync": "semaphore"}}`,
			func(e event.Event) bool { return e.Kind == event.KindOpen && strings.HasPrefix(e.Obj, "sem:") }},
		{"race in step mode", `{"scenario": "race", "params": {"workers": 2, "increments": 1, "sync": "futex"}, "pace": "step"}`,
			func(e event.Event) bool { return e.Kind == event.KindReady && e.Call == "mutex lock" }},
		{"deadlock", `{"scenario": "deadlock", "params": {"order": "opposite", "hold_ms": 300}}`,
			func(e event.Event) bool { return e.Kind == event.KindBlock }},
		{"deadlock of pipes", `{"scenario": "deadlock", "params": {"resource": "pipes"}}`,
			func(e event.Event) bool { return e.Kind == event.KindBlock }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.create(t, tc.body)
			stopped := false
			evs := syncWatch(t, c.EventsURL, 30*time.Second, func(e event.Event) {
				if e.Kind == event.KindReady && !stopped {
					ts.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "step", "value": "`+e.Proc+`"}`,
						"Authorization", "Bearer "+c.PresenterToken)
				}
				if !stopped && tc.when(e) {
					stopped = true
					if status, body := ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer "+c.PresenterToken); status != http.StatusNoContent {
						t.Fatalf("delete: %d %s", status, body)
					}
				}
			})
			checkStream(t, evs)
			if last := evs[len(evs)-1]; !stopped || last.State != event.StateStopped {
				syncDump(t, evs)
				t.Fatalf("stopped %v, last event %+v", stopped, last)
			}
			assertGone(t, pidsOf(evs))
			assertObjectsGone(t, evs)
		})
	}
}

package trace

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

func v(n int64) *int64 { return event.Int64(n) }

// numbered gives the events seqs and times (a millisecond apart).
func numbered(evs ...event.Event) []event.Event {
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
		evs[i].T = int64(i+1) * 1_000_000
	}
	return evs
}

func pipeLog() []event.Event {
	return numbered(
		event.Event{Kind: event.KindSession, State: event.StateStarting, Attrs: map[string]any{"id": "abc", "scenario": "pipe"}},
		event.Event{Kind: event.KindSpawn, Proc: "parent", PID: 100},
		event.Event{Kind: event.KindOpen, Proc: "parent", PID: 100, Obj: "pipe:1", Call: "pipe2"},
		event.Event{Kind: event.KindSpawn, Proc: "child", PID: 101, Peer: "parent"},
		event.Event{Kind: event.KindWrite, Proc: "child", PID: 101, Obj: "pipe:1", Msg: 1, Bytes: 10, Fill: v(10)},
		event.Event{Kind: event.KindWrite, Proc: "child", PID: 101, Obj: "pipe:1", Msg: 2, Bytes: 10, Fill: v(20)},
		event.Event{Kind: event.KindBlock, Proc: "child", PID: 101, Obj: "pipe:1", Call: "write"},
		event.Event{Kind: event.KindMoment, Name: "first_block", Proc: "child", Obj: "pipe:1", Text: "child <must> wait & see.", Attrs: map[string]any{"about_seq": uint64(7)}},
		event.Event{Kind: event.KindRead, Proc: "parent", PID: 100, Obj: "pipe:1", Msg: 1, Bytes: 10},
		event.Event{Kind: event.KindUnblock, Proc: "child", PID: 101, Obj: "pipe:1", Call: "write"},
		event.Event{Kind: event.KindWrite, Proc: "child", PID: 101, Obj: "pipe:1", Msg: 3, Bytes: 10},
		event.Event{Kind: event.KindRead, Proc: "parent", PID: 100, Obj: "pipe:1", Msg: 2, Bytes: 10},
		event.Event{Kind: event.KindRead, Proc: "parent", PID: 100, Obj: "pipe:1", Msg: 3, Bytes: 10},
		event.Event{Kind: event.KindExit, Proc: "child", PID: 101, Code: event.Int(0)},
		event.Event{Kind: event.KindSession, State: event.StateFinished},
	)
}

func udpLog() []event.Event {
	return numbered(
		event.Event{Kind: event.KindSpawn, Proc: "server", PID: 200},
		event.Event{Kind: event.KindSpawn, Proc: "client-1", PID: 201},
		event.Event{Kind: event.KindSend, Proc: "client-1", PID: 201, Obj: "udp:x", Msg: 1},
		event.Event{Kind: event.KindSend, Proc: "client-1", PID: 201, Obj: "udp:x", Msg: 2},
		event.Event{Kind: event.KindRecv, Proc: "server", PID: 200, Obj: "udp:x", Msg: 2},
		event.Event{Kind: event.KindRecv, Proc: "server", PID: 200, Obj: "udp:x", Msg: 2},
		event.Event{Kind: event.KindLost, Proc: "server", PID: 200, Obj: "udp:x", Msg: 1, Peer: "client-1"},
	)
}

func deadlockLog() []event.Event {
	return numbered(
		event.Event{Kind: event.KindSpawn, Proc: "worker-1", PID: 300},
		event.Event{Kind: event.KindSpawn, Proc: "worker-2", PID: 301},
		event.Event{Kind: event.KindBlock, Proc: "worker-1", PID: 300, Obj: "sem:0x1#1", Call: "semop"},
		event.Event{Kind: event.KindBlock, Proc: "worker-2", PID: 301, Obj: "sem:0x1#0", Call: "semop"},
		event.Event{Kind: event.KindDeadlock, Text: "Deadlock: a cycle."},
		event.Event{Kind: event.KindExit, Proc: "worker-1", PID: 300, Sig: "SIGKILL"},
	)
}

// parsed is a trace read back.
type parsed struct {
	threads map[int]string   // tid → thread name
	events  []map[string]any // all but metadata
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	var f struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("trace is not JSON: %v\n%s", err, data)
	}
	p := parsed{threads: map[int]string{}}
	for _, e := range f.TraceEvents {
		if e["pid"] != float64(sessionPID) {
			t.Fatalf("event outside the session's process: %v", e)
		}
		if e["ph"] == "M" && e["name"] == "thread_name" {
			p.threads[int(e["tid"].(float64))] = e["args"].(map[string]any)["name"].(string)
			continue
		}
		if e["ph"] != "M" {
			p.events = append(p.events, e)
		}
	}
	return p
}

// flows checks that each flow id has one start and one end, the end bound
// to its enclosing slice, each on a track of the trace, and returns them.
func flows(t *testing.T, p parsed) map[int][2]map[string]any {
	t.Helper()
	out := map[int][2]map[string]any{}
	for _, e := range p.events {
		ph := e["ph"]
		if ph != "s" && ph != "f" {
			continue
		}
		id := int(e["id"].(float64))
		pair := out[id]
		i := 0
		if ph == "f" {
			i = 1
			if e["bp"] != "e" {
				t.Errorf("flow end %v not bound to its enclosing slice", e)
			}
		}
		if pair[i] != nil {
			t.Fatalf("flow %d has two %s events", id, ph)
		}
		if _, ok := p.threads[int(e["tid"].(float64))]; !ok {
			t.Fatalf("flow event on an unnamed track: %v", e)
		}
		pair[i] = e
		out[id] = pair
	}
	for id, pair := range out {
		if pair[0] == nil || pair[1] == nil {
			t.Fatalf("flow %d is not a pair: %v", id, pair)
		}
		if pair[0]["ts"].(float64) > pair[1]["ts"].(float64) {
			t.Fatalf("flow %d ends before it starts", id)
		}
	}
	return out
}

// enclosed checks that every flow event lies inside a slice of its track,
// so that a viewer can bind it, and that slices on a track never overlap
// partly.
func enclosed(t *testing.T, p parsed) {
	t.Helper()
	type span struct{ from, to float64 }
	slices := map[float64][]span{}
	for _, e := range p.events {
		if e["ph"] == "X" {
			ts, dur := e["ts"].(float64), e["dur"].(float64)
			if dur < 0 {
				t.Fatalf("slice with negative duration: %v", e)
			}
			slices[e["tid"].(float64)] = append(slices[e["tid"].(float64)], span{ts, ts + dur})
		}
	}
	for _, e := range p.events {
		if e["ph"] != "s" && e["ph"] != "f" {
			continue
		}
		ts, found := e["ts"].(float64), false
		for _, s := range slices[e["tid"].(float64)] {
			found = found || (s.from <= ts && ts <= s.to)
		}
		if !found {
			t.Fatalf("flow event %v lies in no slice of its track", e)
		}
	}
	for tid, ss := range slices {
		for i, a := range ss {
			for _, b := range ss[i+1:] {
				partly := a.from < b.from && b.from < a.to && a.to < b.to || b.from < a.from && a.from < b.to && b.to < a.to
				if partly {
					t.Fatalf("slices %v and %v on track %v overlap partly", a, b, tid)
				}
			}
		}
	}
}

func TestWrite(t *testing.T) {
	cases := []struct {
		name    string
		evs     []event.Event
		threads map[int]string
		flows   int
		slices  map[string]float64 // a block slice's name → its duration in µs
		instant []string           // instants that must be there
	}{
		{"pipe: blocked write, three messages, a moment", pipeLog(),
			map[int]string{100: "parent (pid 100)", 101: "child (pid 101)"}, 3,
			map[string]float64{"blocked in write": 3000}, []string{"moment: first_block", "spawn", "exit", "open (pipe2)"}},
		{"udp: a lost datagram has no arrow, a repeated receive one", udpLog(),
			map[int]string{200: "server (pid 200)", 201: "client-1 (pid 201)"}, 1, nil, []string{"lost"}},
		{"deadlock: the server's track, a block cut by the process's death, one left open", deadlockLog(),
			map[int]string{0: "server", 300: "worker-1 (pid 300)", 301: "worker-2 (pid 301)"}, 0,
			map[string]float64{"blocked in semop (until the process ended)": 3000, "blocked in semop": 2000}, []string{"deadlock"}},
		{"a process whose pid comes late, and one whose pid never comes", numbered(
			event.Event{Kind: event.KindNote, Proc: "late", Text: "before its pid is known"},
			event.Event{Kind: event.KindSpawn, Proc: "late", PID: 400},
			event.Event{Kind: event.KindNote, Proc: "ghost", Text: "no pid"},
		), map[int]string{400: "late (pid 400)", fakeTID + 2: "ghost"}, 0, nil, []string{"note"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.evs); err != nil {
				t.Fatal(err)
			}
			p := parse(t, buf.Bytes())
			if len(p.threads) != len(tc.threads) {
				t.Fatalf("tracks %v, want %v", p.threads, tc.threads)
			}
			for tid, name := range tc.threads {
				if p.threads[tid] != name {
					t.Fatalf("track %d named %q, want %q", tid, p.threads[tid], name)
				}
			}
			if got := len(flows(t, p)); got != tc.flows {
				t.Fatalf("%d flows, want %d", got, tc.flows)
			}
			enclosed(t, p)
			names := map[string]float64{}
			for _, e := range p.events {
				if e["ph"] == "X" && e["cat"] == "block" {
					names[e["name"].(string)] = e["dur"].(float64)
				}
				if e["ph"] == "i" {
					names[e["name"].(string)] = -1
				}
			}
			for name, dur := range tc.slices {
				if names[name] != dur {
					t.Errorf("slice %q lasts %v µs, want %v (have %v)", name, names[name], dur, names)
				}
			}
			for _, name := range tc.instant {
				if names[name] != -1 {
					t.Errorf("no instant %q in %v", name, names)
				}
			}
		})
	}
}

// TestWriteFlowsJoinSendToReceive checks that each arrow of the pipe log
// starts at a write of the child and ends at the parent's read of the same
// message.
func TestWriteFlowsJoinSendToReceive(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, pipeLog()); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	msgAt := map[[2]float64]float64{} // (tid, ts) of a data slice → its msg
	for _, e := range p.events {
		if e["ph"] == "X" && e["cat"] == "data" {
			msgAt[[2]float64{e["tid"].(float64), e["ts"].(float64)}] = e["args"].(map[string]any)["msg"].(float64)
		}
	}
	for id, pair := range flows(t, p) {
		s, f := pair[0], pair[1]
		if s["tid"] != float64(101) || f["tid"] != float64(100) {
			t.Fatalf("flow %d from track %v to %v", id, s["tid"], f["tid"])
		}
		ms := msgAt[[2]float64{s["tid"].(float64), s["ts"].(float64)}]
		mf := msgAt[[2]float64{f["tid"].(float64), f["ts"].(float64)}]
		if ms == 0 || ms != mf {
			t.Fatalf("flow %d joins message %v to message %v", id, ms, mf)
		}
	}
}

// svgDoc is what the SVG test reads back.
type svgDoc struct {
	texts   []string
	lines   int // <line> with an arrow marker
	circles int
	titles  []string
}

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var doc svgDoc
	var stack []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && (x.Name.Local != "svg" || x.Name.Space != "http://www.w3.org/2000/svg") {
				t.Fatalf("root element %v", x.Name)
			}
			stack = append(stack, x.Name.Local)
			for _, a := range x.Attr {
				if a.Name.Local == "marker-end" {
					doc.lines++
				}
			}
			if x.Name.Local == "circle" {
				doc.circles++
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "text":
				doc.texts = append(doc.texts, string(x))
			case "title":
				doc.titles = append(doc.titles, string(x))
			}
		}
	}
	return doc
}

func TestWriteSVG(t *testing.T) {
	evs := pipeLog()
	var buf bytes.Buffer
	if err := WriteSVG(&buf, evs); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	joined := strings.Join(doc.texts, "\n")
	for _, want := range []string{"pipe: session abc", "parent", "child", "1. first block (seq 8): child <must> wait & see."} {
		if !strings.Contains(joined, want) {
			t.Errorf("SVG text lacks %q:\n%s", want, joined)
		}
	}
	if doc.lines != 3 {
		t.Errorf("%d arrows, want one per message received (3)", doc.lines)
	}
	// 3 writes and 3 reads are circles, and the moment's flag.
	if doc.circles != 7 {
		t.Errorf("%d circles, want 7", doc.circles)
	}
	if !strings.Contains(buf.String(), "&lt;must&gt; wait &amp; see") {
		t.Error("the moment's text is not escaped")
	}
}

func TestWriteSVGLeavesOutPastTheLimit(t *testing.T) {
	var evs []event.Event
	for i := range maxCols + 5 {
		evs = append(evs, event.Event{Kind: event.KindWrite, Proc: "w", Obj: "shm:/c", Value: v(int64(i))})
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, numbered(evs...)); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	if doc.circles != maxCols || !strings.Contains(strings.Join(doc.texts, " "), "5 more events are not drawn") {
		t.Fatalf("%d circles drawn; texts %v", doc.circles, doc.texts[len(doc.texts)-1])
	}
}

// BenchmarkWrite exports a log of 20,000 events, messages and blocks.
func BenchmarkWrite(b *testing.B) {
	var evs []event.Event
	for i := range 5000 {
		m := int64(i + 1)
		evs = append(evs,
			event.Event{Kind: event.KindWrite, Proc: "child", PID: 101, Obj: "pipe:1", Msg: m, Bytes: 64},
			event.Event{Kind: event.KindBlock, Proc: "child", PID: 101, Obj: "pipe:1", Call: "write"},
			event.Event{Kind: event.KindRead, Proc: "parent", PID: 100, Obj: "pipe:1", Msg: m, Bytes: 64},
			event.Event{Kind: event.KindUnblock, Proc: "child", PID: 101, Obj: "pipe:1", Call: "write"},
		)
	}
	evs = numbered(evs...)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/moment"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/trace"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

// The test binary is also the worker: the runner starts /proc/self/exe with
// WorkerArg, and TestMain hands that process to WorkerMain.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

// record runs a scenario to its end and returns its log, with the moments
// a detector finds logged after their events, as the server logs them.
func record(t *testing.T, r *runner.Runner, name string, params map[string]any) []event.Event {
	t.Helper()
	sc, ok := scenario.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	raw := map[string]json.RawMessage{}
	for k, v := range params {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	vals, ferr := sc.Validate(raw, r.Limits())
	if ferr != nil {
		t.Fatalf("validate: %v", ferr)
	}
	s, err := r.Start(sc, vals, "realtime")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case <-s.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still running after a minute", name)
	}
	evs, _, done := s.Events(1)
	if !done {
		t.Fatal("log incomplete after Done")
	}
	d := moment.New(name)
	var out []event.Event
	for i := range evs {
		out = append(out, evs[i])
		for _, m := range d.Observe(&evs[i]) {
			m.Seq = uint64(len(out) + 1)
			out = append(out, m)
		}
	}
	return out
}

// TestRecordedSessions exports real sessions: the trace has a track per
// process and an arrow per message received; the SVG is well-formed.
func TestRecordedSessions(t *testing.T) {
	r, err := runner.New(runner.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	for _, sc := range []struct {
		name   string
		params map[string]any
	}{
		{"pipe", map[string]any{"capacity": 4096, "messages": 12, "size": 1000, "reader_delay_ms": 5}},
		{"mq-posix", map[string]any{"messages": 12, "consumer_delay_ms": 5}},
		{"deadlock", map[string]any{"hold_ms": 50}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			evs := record(t, r, sc.name, sc.params)
			procs := map[int]bool{}
			received := map[[2]any]bool{}
			sent := map[[2]any]bool{}
			for _, e := range evs {
				if e.Proc != "" && e.PID > 0 {
					procs[e.PID] = true
				}
				k := [2]any{e.Obj, e.Msg}
				switch {
				case e.Msg == 0:
				case e.Kind == event.KindWrite || e.Kind == event.KindSend:
					sent[k] = true
				case (e.Kind == event.KindRead || e.Kind == event.KindRecv) && sent[k]:
					received[k] = true
				}
			}
			var buf bytes.Buffer
			if err := trace.Write(&buf, evs); err != nil {
				t.Fatal(err)
			}
			tracks, starts, ends := readTrace(t, buf.Bytes())
			for pid := range procs {
				if !tracks[pid] {
					t.Errorf("no track for pid %d", pid)
				}
			}
			if len(tracks) < len(procs) || len(tracks) > len(procs)+1 { // +1: the server's own track
				t.Errorf("%d tracks for %d processes", len(tracks), len(procs))
			}
			if starts != len(received) || ends != len(received) {
				t.Errorf("%d flow starts and %d ends for %d messages received", starts, ends, len(received))
			}
			buf.Reset()
			if err := trace.WriteSVG(&buf, evs); err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(&buf)
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("SVG: %v", err)
				}
			}
			t.Logf("%d events, %d tracks, %d messages", len(evs), len(tracks), len(received))
		})
	}
}

// readTrace returns the trace's named tracks and its flow starts and ends.
func readTrace(t *testing.T, data []byte) (map[int]bool, int, int) {
	t.Helper()
	var f struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			TID  int     `json:"tid"`
			ID   int     `json:"id"`
			BP   string  `json:"bp"`
			TS   float64 `json:"ts"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	tracks := map[int]bool{}
	ids := map[int][2]int{}
	starts, ends := 0, 0
	for _, e := range f.TraceEvents {
		switch {
		case e.Ph == "M" && e.Name == "thread_name":
			tracks[e.TID] = true
		case e.Ph == "s":
			starts++
			c := ids[e.ID]
			c[0]++
			ids[e.ID] = c
		case e.Ph == "f" && e.BP == "e":
			ends++
			c := ids[e.ID]
			c[1]++
			ids[e.ID] = c
		}
	}
	for id, c := range ids {
		if c != [2]int{1, 1} {
			t.Fatalf("flow %d has %d starts and %d ends", id, c[0], c[1])
		}
	}
	return tracks, starts, ends
}

package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// serverOn starts a server whose recordings live in dataDir, and returns it
// with a function that shuts it down as the real server does.
func serverOn(t *testing.T, dataDir string) (*testServer, func()) {
	t.Helper()
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), DataDir: dataDir, Limits: scenario.ReadLimits()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Config{Runner: r})
	ts := &testServer{Server: httptest.NewServer(h), runner: r, web: h}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("runner shutdown: %v", err)
		}
		h.CloseStreams()
		ts.Close()
	}
	t.Cleanup(stop)
	return ts, stop
}

// TestRecordingsSurviveRestart checks that a session recorded before the
// server stops is served whole after it starts again: events.jsonl byte
// for byte, the WebSocket from seq 1 and from ?from=N, the session
// resource, the viewer's page and the list of recordings.
func TestRecordingsSurviveRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	ts, stop := serverOn(t, dataDir)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 12, "size": 64}}`)
	live := readStream(t, wsURL(ts, c.ID, 1), 30*time.Second)
	status, before := ts.do(t, "GET", "/api/sessions/"+c.ID+"/events.jsonl", "")
	if status != http.StatusOK || bytes.Count(before, []byte("\n")) != len(live) {
		t.Fatalf("events.jsonl: %d, %d lines for %d streamed events", status, bytes.Count(before, []byte("\n")), len(live))
	}
	_, snapBefore := ts.do(t, "GET", "/api/sessions/"+c.ID, "")
	stop()

	ts2, _ := serverOn(t, dataDir)
	status, after := ts2.do(t, "GET", "/api/sessions/"+c.ID+"/events.jsonl", "")
	if status != http.StatusOK || !bytes.Equal(before, after) {
		t.Fatalf("after the restart events.jsonl is %d and differs (%d bytes before, %d after)", status, len(before), len(after))
	}
	replay := readStream(t, wsURL(ts2, c.ID, 1), 30*time.Second)
	if len(replay) != len(live) || !replay[len(replay)-1].Terminal() {
		t.Fatalf("replay after restart has %d events, live had %d", len(replay), len(live))
	}
	for i := range live {
		if replay[i].Seq != live[i].Seq || replay[i].Kind != live[i].Kind || replay[i].T != live[i].T {
			t.Fatalf("event %d differs: %+v, live %+v", i, replay[i], live[i])
		}
	}
	if tail := readStream(t, wsURL(ts2, c.ID, uint64(len(live)-2)), 30*time.Second); len(tail) != 3 || tail[0].Seq != uint64(len(live)-2) {
		t.Fatalf("?from=%d after restart gave %d events", len(live)-2, len(tail))
	}
	_, snapAfter := ts2.do(t, "GET", "/api/sessions/"+c.ID, "")
	var a, b map[string]any
	json.Unmarshal(snapBefore, &a)
	json.Unmarshal(snapAfter, &b)
	if a["state"] != event.StateFinished || b["state"] != a["state"] || b["events"] != a["events"] ||
		len(b["processes"].([]any)) != len(a["processes"].([]any)) {
		t.Fatalf("session resource before %s\nafter %s", snapBefore, snapAfter)
	}
	if status, page := ts2.do(t, "GET", "/s/"+c.ID, ""); status != http.StatusOK || !strings.Contains(string(page), "<html") {
		t.Fatalf("viewer page after restart: %d", status)
	}
	status, list := ts2.do(t, "GET", "/api/sessions", "")
	var recs []map[string]any
	if err := json.Unmarshal(list, &recs); status != http.StatusOK || err != nil || len(recs) != 1 ||
		recs[0]["id"] != c.ID || recs[0]["scenario"] != "pipe" || recs[0]["state"] != event.StateFinished ||
		recs[0]["events"] != float64(len(live)) || recs[0]["created"] == nil {
		t.Fatalf("GET /api/sessions: %d %s", status, list)
	}
	if status, body := ts2.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "pause"}`,
		"Authorization", "Bearer "+c.PresenterToken); status != http.StatusForbidden && status != http.StatusConflict {
		t.Fatalf("control of a recording: %d %s", status, body)
	}
}

// TestListRecordingsNewestFirst checks the list's order and its pages.
func TestListRecordingsNewestFirst(t *testing.T) {
	ts := newTestServer(t)
	var ids []string
	for range 3 {
		c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 2}}`)
		readStream(t, wsURL(ts, c.ID, 1), 30*time.Second)
		ids = append(ids, c.ID)
	}
	get := func(path string) ([]map[string]any, http.Header) {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var recs []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return recs, resp.Header
	}
	first, h := get("/api/sessions?per_page=2")
	if len(first) != 2 || first[0]["id"] != ids[2] || first[1]["id"] != ids[1] || h.Get("X-Total-Count") != "3" ||
		!strings.Contains(h.Get("Link"), "page=2") {
		t.Fatalf("first page %v, headers %v", first, h)
	}
	second, h := get("/api/sessions?per_page=2&page=2")
	if len(second) != 1 || second[0]["id"] != ids[0] || h.Get("Link") != "" {
		t.Fatalf("second page %v, headers %v", second, h)
	}
	if past, _ := get("/api/sessions?page=9"); len(past) != 0 {
		t.Fatalf("a page past the end: %v", past)
	}
}

// wsURL is the WebSocket address of a session's events from seq from.
func wsURL(ts *testServer, id string, from uint64) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/sessions/" + id + "/events?from=" + strconv.FormatUint(from, 10)
}

// TestJoinCode checks the short code a class types to reach a session:
// six characters from an alphabet without look-alikes, read in any case
// with spaces or dashes, on the API, at /j/{code} and through the form.
func TestJoinCode(t *testing.T) {
	ts := newTestServer(t)
	status, b := ts.do(t, "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": 2}}`)
	var c struct {
		ID       string `json:"id"`
		JoinCode string `json:"join_code"`
		JoinURL  string `json:"join_url"`
	}
	if err := json.Unmarshal(b, &c); status != http.StatusCreated || err != nil {
		t.Fatalf("create: %d %s", status, b)
	}
	if len(c.JoinCode) != runner.CodeLen || strings.ContainsAny(c.JoinCode, "0O1IL2Z5S8B") || c.JoinURL != ts.URL+"/j/"+c.JoinCode {
		t.Fatalf("join code %q, url %q", c.JoinCode, c.JoinURL)
	}
	noRedirect := *ts.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	typed := strings.ToLower(c.JoinCode[:3]) + "-" + c.JoinCode[3:]
	for _, path := range []string{"/j/" + c.JoinCode, "/j/" + typed, "/j?code=" + strings.ToLower(c.JoinCode[:3]) + "+" + c.JoinCode[3:]} {
		resp, err := noRedirect.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/s/"+c.ID {
			t.Fatalf("GET %s: %d to %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, path := range []string{"/j/AAAAAA", "/j/0OOO00", "/j/toolongcode", "/j?code="} {
		if status, _ := ts.do(t, "GET", path, ""); status != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", path, status)
		}
	}
	if status, page := ts.do(t, "GET", "/j", ""); status != http.StatusOK || !strings.Contains(string(page), `name="code"`) {
		t.Fatalf("the join form: %d", status)
	}
	_, snap := ts.do(t, "GET", "/api/sessions/"+c.ID, "")
	if !strings.Contains(string(snap), `"join_code": "`+c.JoinCode+`"`) {
		t.Fatalf("the session resource lacks its join code: %s", snap)
	}
}

// TestExports checks the trace and the timeline of a real session: the
// trace parses, with a named track per process and a flow per message, and
// the timeline is SVG.
func TestExports(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 5, "size": 64}}`)
	evs := readStream(t, c.EventsURL, 30*time.Second)
	status, b := ts.do(t, "GET", "/api/sessions/"+c.ID+"/trace.json", "")
	var tr struct {
		TraceEvents []struct {
			Ph   string         `json:"ph"`
			Name string         `json:"name"`
			Tid  int            `json:"tid"`
			ID   any            `json:"id"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &tr); status != http.StatusOK || err != nil {
		t.Fatalf("trace.json: %d %v", status, err)
	}
	tracks := map[int]bool{}
	starts, ends := 0, 0
	for _, te := range tr.TraceEvents {
		switch te.Ph {
		case "M":
			if te.Name == "thread_name" && te.Args["name"] != "server" {
				tracks[te.Tid] = true // the server's own track aside
			}
		case "s":
			starts++
		case "f":
			ends++
		}
	}
	procs := map[int]bool{}
	reads := 0
	for _, e := range evs {
		if e.Kind == event.KindSpawn {
			procs[e.PID] = true
		}
		if e.Kind == event.KindRead && e.Msg != 0 {
			reads++
		}
	}
	if len(tracks) != len(procs) || starts != reads || ends != reads {
		t.Fatalf("trace: %d tracks for %d processes, %d/%d flow ends for %d messages", len(tracks), len(procs), starts, ends, reads)
	}
	status, svg := ts.do(t, "GET", "/api/sessions/"+c.ID+"/timeline.svg", "")
	if status != http.StatusOK || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<svg")) || !bytes.HasSuffix(bytes.TrimSpace(svg), []byte("</svg>")) {
		t.Fatalf("timeline.svg: %d %.80s", status, svg)
	}
	if status, _ := ts.do(t, "GET", "/api/sessions/nosuch/trace.json", ""); status != http.StatusNotFound {
		t.Fatalf("trace of no session: %d", status)
	}
}

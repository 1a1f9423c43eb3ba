package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// TestBadRequests sends every kind of bad input and checks the contract's
// JSON error, the status, the field to blame, and that nothing started.
func TestBadRequests(t *testing.T) {
	ts := newTestServer(t)
	before := children(t)
	big := `{"scenario": "pipe", "params": {}, "pad": "` + strings.Repeat("x", 70<<10) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		field                    string
		says                     string
	}{
		{"no body", "POST", "/api/sessions", "", nil, 400, "", "JSON body"},
		{"not JSON", "POST", "/api/sessions", "{scenario: pipe}", nil, 400, "", "not valid JSON"},
		{"two objects", "POST", "/api/sessions", `{"scenario": "pipe"} {}`, nil, 400, "", "extra data"},
		{"unknown field", "POST", "/api/sessions", `{"scenario": "pipe", "speed": 3}`, nil, 400, "speed", "unknown field"},
		{"no scenario", "POST", "/api/sessions", `{"params": {}}`, nil, 400, "scenario", "which scenario"},
		{"unknown scenario", "POST", "/api/sessions", `{"scenario": "telepathy"}`, nil, 404, "scenario", "no scenario"},
		{"scenario not a string", "POST", "/api/sessions", `{"scenario": 7}`, nil, 400, "scenario", "wrong type"},
		{"params not an object", "POST", "/api/sessions", `{"scenario": "pipe", "params": [1]}`, nil, 400, "params", "wrong type"},
		{"unknown parameter", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"colour": 1}}`, nil, 400, "params.colour", "no parameter"},
		{"too few messages", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": 0}}`, nil, 400, "params.messages", "between 1 and"},
		{"fractional messages", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": 2.5}}`, nil, 400, "params.messages", "whole number"},
		{"messages as text", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": "ten"}}`, nil, 400, "params.messages", "whole number"},
		{"size under the header", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"size": 4}}`, nil, 400, "params.size", "between 8 and"},
		{"over the work budget", "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": 10000, "size": 65536}}`, nil, 400, "params.messages", "at most"},
		{"bad pace", "POST", "/api/sessions", `{"scenario": "pipe", "pace": "fast"}`, nil, 400, "pace", "realtime"},
		{"too large", "POST", "/api/sessions", big, nil, 413, "", "larger than"},
		{"foreign origin", "POST", "/api/sessions", `{"scenario": "pipe"}`, []string{"Origin", "http://evil.example"}, 403, "", "own page"},
		{"unknown session", "GET", "/api/sessions/nosuch", "", nil, 404, "id", "no session"},
		{"unknown session's events", "GET", "/api/sessions/nosuch/events.jsonl", "", nil, 404, "id", "no session"},
		{"delete unknown session", "DELETE", "/api/sessions/nosuch", "", []string{"Authorization", "Bearer x"}, 404, "id", "no session"},
		{"unknown path", "GET", "/api/nothing", "", nil, 404, "", "nothing at"},
		{"wrong method", "PUT", "/api/scenarios", "", nil, 405, "", "not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, tc.method, tc.path, tc.body, tc.headers...)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var e struct {
				Error string `json:"error"`
				Field string `json:"field"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body is not JSON: %s", body)
			}
			if e.Field != tc.field || !strings.Contains(e.Error, tc.says) {
				t.Fatalf("error %+v, want field %q and words %q", e, tc.field, tc.says)
			}
		})
	}
	if after := children(t); !slices.Equal(before, after) {
		t.Fatalf("refused requests started processes: %v, then %v", before, after)
	}
}

func TestControlErrors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 3}, "pace": "slow"}`)
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}
	path := "/api/sessions/" + c.ID + "/control"
	for _, tc := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"unknown action", `{"action": "explode"}`, 400, "action"},
		{"speed too high", `{"action": "speed", "value": 100}`, 400, "value"},
		{"speed not a number", `{"action": "speed", "value": "fast"}`, 400, "value"},
		{"step outside step mode", `{"action": "step"}`, 409, "action"},
		{"unknown field", `{"action": "pause", "when": "now"}`, 400, "when"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, "POST", path, tc.body, auth...)
			if status != tc.status || !strings.Contains(string(body), `"field": "`+tc.field+`"`) {
				t.Fatalf("%d %s, want %d with field %s", status, body, tc.status, tc.field)
			}
		})
	}
	if status, body := ts.do(t, "POST", path, `{"action": "pause"}`); status != http.StatusUnauthorized {
		t.Fatalf("control without a token: %d %s", status, body)
	}
	if status, body := ts.do(t, "POST", path, `{"action": "speed", "value": 4}`, auth...); status != http.StatusOK {
		t.Fatalf("speed 4: %d %s", status, body)
	}
	// The refused actions harmed nothing: the session still ends well.
	evs := readStream(t, c.EventsURL, 60*time.Second)
	checkStream(t, evs)
	if last := evs[len(evs)-1]; last.State != "finished" {
		t.Fatalf("session ended %s: %s", last.State, last.Result)
	}
	if status, body := ts.do(t, "POST", path, `{"action": "pause"}`, auth...); status != http.StatusConflict {
		t.Fatalf("pause after the end: %d %s", status, body)
	}
}

func TestForeignOriginWebSocket(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 1}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, c.EventsURL, &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": []string{"http://evil.example"}},
	})
	if err == nil {
		t.Fatal("a page of another origin opened the stream")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin got %v", resp)
	}
	// The same origin is welcome.
	evs := readStream(t, c.EventsURL, 30*time.Second)
	checkStream(t, evs)
}

func TestSessionLimit(t *testing.T) {
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), MaxSessions: 1, Limits: scenario.ReadLimits()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Config{Runner: r})
	ts := &testServer{Server: httptest.NewServer(h), runner: r, web: h}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
		h.CloseStreams()
		ts.Close()
	})
	first := ts.create(t, `{"scenario": "pipe", "pace": "step"}`)
	waitState(t, ts, first.ID, "running")
	req, _ := http.NewRequest("POST", ts.URL+"/api/sessions", strings.NewReader(`{"scenario": "pipe"}`))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second session: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	// The running session was not harmed by the refusal.
	if status, body := ts.do(t, "GET", "/api/sessions/"+first.ID, ""); status != 200 || !strings.Contains(string(body), `"state": "running"`) {
		t.Fatalf("first session after the refusal: %d %s", status, body)
	}
}

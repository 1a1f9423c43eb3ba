package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// errCase is one bad request and the contract's answer to it.
type errCase struct {
	name, method, path, body string
	headers                  []string
	status                   int
	field                    string
	says                     string
	allow                    string // the Allow header a 405 must carry
}

// padded is a JSON object padded with spaces to exactly n bytes.
func padded(object string, n int) string {
	return object + strings.Repeat(" ", n-len(object))
}

// badBodies are refused bodies of POST /api/sessions: none may start a
// process.
var badBodies = []errCase{
	{name: "no body", body: "", status: 400, says: "needs a body: a JSON object"},
	{name: "only white space", body: " \n\t ", status: 400, says: "needs a body"},
	{name: "not JSON", body: "{scenario: pipe}", status: 400, says: "not valid JSON (at byte 2"},
	{name: "cut short", body: `{"scenario": "pipe"`, status: 400, says: "ends before its JSON does"},
	{name: "an array", body: "[1,2]", status: 400, says: "must be a JSON object, between { and }, not an array"},
	{name: "a string", body: `"pipe"`, status: 400, says: `must be a JSON object, between { and }, not the string "pipe"`},
	{name: "a number", body: "42", status: 400, says: "must be a JSON object, between { and }, not 42"},
	{name: "null", body: "null", status: 400, says: "must be a JSON object, between { and }, not null"},
	{name: "two objects", body: `{"scenario": "pipe"} {}`, status: 400, says: "extra data after the JSON object (at byte 21)"},
	{name: "trailing garbage", body: `{"scenario": "pipe"}x`, status: 400, says: "extra data after the JSON object"},
	{name: "HTML sent as HTML", body: "<p>hi</p>", headers: []string{"Content-Type", "text/html"}, status: 400,
		says: "sends text/html, but every body of this API is JSON"},
	{name: "unknown field", body: `{"scenario": "pipe", "speed": 3}`, status: 400, field: "speed",
		says: `unknown field "speed": the body takes only pace, params, scenario`},
	{name: "field in capitals", body: `{"Scenario": "pipe"}`, status: 400, field: "Scenario",
		says: `names are lower case, did you mean "scenario"?`},
	{name: "duplicate field", body: `{"scenario": "pipe", "scenario": "fifo"}`, status: 400, field: "scenario",
		says: "scenario is given twice"},
	{name: "duplicate parameter", body: `{"scenario": "pipe", "params": {"size": 8, "size": 64}}`, status: 400,
		field: "params.size", says: "params.size is given twice"},
	{name: "no scenario", body: `{"params": {}}`, status: 400, field: "scenario", says: "which scenario"},
	{name: "scenario null", body: `{"scenario": null}`, status: 400, field: "scenario", says: "scenario must be a string, not null"},
	{name: "unknown scenario", body: `{"scenario": "telepathy"}`, status: 404, field: "scenario", says: `no scenario "telepathy"`},
	{name: "scenario not a string", body: `{"scenario": 7}`, status: 400, field: "scenario", says: "scenario must be a string, not 7"},
	{name: "params null", body: `{"scenario": "pipe", "params": null}`, status: 400, field: "params",
		says: "params must be an object, not null"},
	{name: "params not an object", body: `{"scenario": "pipe", "params": [1]}`, status: 400, field: "params",
		says: "params must be an object, not an array"},
	{name: "pace null", body: `{"scenario": "pipe", "pace": null}`, status: 400, field: "pace", says: "pace must be a string, not null"},
	{name: "pace a number", body: `{"scenario": "pipe", "pace": 2}`, status: 400, field: "pace", says: "pace must be a string, not 2"},
	{name: "bad pace", body: `{"scenario": "pipe", "pace": "fast"}`, status: 400, field: "pace", says: "realtime"},
	{name: "unknown parameter", body: `{"scenario": "pipe", "params": {"colour": 1}}`, status: 400, field: "params.colour",
		says: "no parameter"},
	{name: "messages null", body: `{"scenario": "pipe", "params": {"messages": null}}`, status: 400, field: "params.messages",
		says: "messages must be a number, not null; leave it out to take the default, 12"},
	{name: "choice null", body: `{"scenario": "race", "params": {"sync": null}}`, status: 400, field: "params.sync",
		says: `sync must be one of "none", `},
	{name: "too few messages", body: `{"scenario": "pipe", "params": {"messages": 0}}`, status: 400, field: "params.messages",
		says: "between 1 and"},
	{name: "fractional messages", body: `{"scenario": "pipe", "params": {"messages": 2.5}}`, status: 400,
		field: "params.messages", says: "whole number"},
	{name: "messages as a word", body: `{"scenario": "pipe", "params": {"messages": "ten"}}`, status: 400,
		field: "params.messages", says: `messages must be a number, not the string "ten"`},
	{name: "number as a string", body: `{"scenario": "pipe", "params": {"messages": "5"}}`, status: 400,
		field: "params.messages", says: `messages must be a number, not the string "5"`},
	{name: "messages as true", body: `{"scenario": "pipe", "params": {"messages": true}}`, status: 400,
		field: "params.messages", says: "messages must be a number, not true"},
	{name: "messages as an object", body: `{"scenario": "pipe", "params": {"messages": {}}}`, status: 400,
		field: "params.messages", says: "messages must be a number, not an object"},
	{name: "huge integer", body: `{"scenario": "pipe", "params": {"messages": 99999999999999999999}}`, status: 400,
		field: "params.messages", says: "messages must be between 1 and 10000, not 99999999999999999999"},
	{name: "huge exponent", body: `{"scenario": "pipe", "params": {"messages": 1e400}}`, status: 400,
		field: "params.messages", says: "between 1 and 10000, not 1e400"},
	{name: "huge negative", body: `{"scenario": "pipe", "params": {"messages": -1e30}}`, status: 400,
		field: "params.messages", says: "between 1 and 10000, not -1e30"},
	{name: "choice as a number", body: `{"scenario": "race", "params": {"sync": 1}}`, status: 400,
		field: "params.sync", says: "not 1"},
	{name: "size under the header", body: `{"scenario": "pipe", "params": {"size": 4}}`, status: 400,
		field: "params.size", says: "between 8 and"},
	{name: "over the work budget", body: `{"scenario": "pipe", "params": {"messages": 10000, "size": 65536}}`, status: 400,
		field: "params.messages", says: "at most"},
	{name: "exactly the limit, read whole", body: padded(`{"scenario": "nosuch"}`, maxBody), status: 404,
		field: "scenario", says: "no scenario"},
	{name: "one byte over the limit", body: padded(`{"scenario": "pipe"}`, maxBody+1), status: 413,
		says: "over 64 KiB (65536 bytes)"},
	{name: "white space over the limit", body: padded(`{"scenario": "pipe"}`, 70<<10), status: 413, says: "over 64 KiB"},
	{name: "foreign origin", body: `{"scenario": "pipe"}`, headers: []string{"Origin", "http://evil.example"}, status: 403,
		says: "own page"},
}

// badPaths are refused paths and methods.
var badPaths = []errCase{
	{name: "unknown session", method: "GET", path: "/api/sessions/nosuch", status: 404, field: "id", says: "no session nosuch"},
	{name: "unknown session's events", method: "GET", path: "/api/sessions/nosuch/events.jsonl", status: 404, field: "id",
		says: "no session"},
	{name: "delete unknown session", method: "DELETE", path: "/api/sessions/nosuch", headers: []string{"Authorization", "Bearer x"},
		status: 404, field: "id", says: "no session"},
	{name: "long session id", method: "GET", path: "/api/sessions/" + strings.Repeat("a", 500), status: 404, field: "id",
		says: "no session aaaa"},
	{name: "unknown API path", method: "GET", path: "/api/nothing", status: 404, says: "there is nothing at /api/nothing"},
	{name: "unknown path under a session", method: "GET", path: "/api/sessions/x/nothing", status: 404, says: "nothing at"},
	{name: "unknown top-level path", method: "GET", path: "/nothing", status: 404, says: "there is nothing at /nothing"},
	{name: "unknown static file", method: "GET", path: "/static/nope.js", status: 404, says: "there is no file /static/nope.js"},
	{name: "static directory", method: "GET", path: "/static/js/", status: 404, says: "there is no file"},
	{name: "PUT on the catalogue", method: "PUT", path: "/api/scenarios", status: 405, says: "PUT is not allowed on /api/scenarios",
		allow: "GET, HEAD"},
	{name: "DELETE on sessions", method: "DELETE", path: "/api/sessions", status: 405, says: "it takes GET, HEAD, POST", allow: "GET, HEAD, POST"},
	{name: "page zero", method: "GET", path: "/api/sessions?page=0", status: 400, field: "page", says: "page must be a whole number"},
	{name: "PATCH on a session", method: "PATCH", path: "/api/sessions/x", status: 405, says: "not allowed",
		allow: "GET, HEAD, DELETE"},
	{name: "GET on control", method: "GET", path: "/api/sessions/x/control", status: 405, says: "not allowed", allow: "POST"},
	{name: "POST on a static file", method: "POST", path: "/static/app.js", status: 405, says: "not allowed", allow: "GET, HEAD"},
	{name: "DELETE on the page", method: "DELETE", path: "/", status: 405, says: "not allowed", allow: "GET, HEAD"},
	{name: "a made-up method", method: "BREW", path: "/api/scenarios", status: 405, says: "BREW is not allowed", allow: "GET, HEAD"},
	{name: "a made-up method nowhere", method: "BREW", path: "/nothing", status: 404, says: "nothing at"},
}

// send makes a request and returns the response and its whole body.
func (ts *testServer) send(t testing.TB, tc errCase) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	method := tc.method
	if method == "" {
		method = "POST"
	}
	req, err := http.NewRequest(method, ts.URL+tc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(tc.headers); i += 2 {
		req.Header.Set(tc.headers[i], tc.headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, tc.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// checkError asserts the contract's JSON error: the status, the field to
// blame, the words, and for a 405 the Allow header.
func checkError(t testing.TB, tc errCase, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error of type %q: %s", ct, body)
	}
	var e map[string]string
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not a JSON object of strings: %s", body)
	}
	for k := range e {
		if k != "error" && k != "field" {
			t.Fatalf("error body has a field %q beside error and field: %s", k, body)
		}
	}
	if e["field"] != tc.field || !strings.Contains(e["error"], tc.says) {
		t.Fatalf("error %q (field %q), want field %q and words %q", e["error"], e["field"], tc.field, tc.says)
	}
	if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != tc.allow {
		t.Fatalf("Allow %q, want %q", resp.Header.Get("Allow"), tc.allow)
	}
}

// TestErrBadRequests sends every kind of bad input and checks the
// contract's JSON error, the status, the field to blame, and that nothing
// started.
func TestErrBadRequests(t *testing.T) {
	ts := newTestServer(t)
	before := children(t)
	for _, tc := range slices.Concat(badBodies, badPaths) {
		if tc.path == "" {
			tc.path = "/api/sessions"
		}
		t.Run(tc.name, func(t *testing.T) {
			resp, body := ts.send(t, tc)
			checkError(t, tc, resp, body)
		})
	}
	if after := children(t); !slices.Equal(before, after) {
		t.Fatalf("refused requests started processes: %v, then %v", before, after)
	}
}

// TestErrRefusalsHarmNothing refuses bad requests of every kind, control
// bodies with the right token among them, while a session waits for the
// presenter: it must still be running, with the same processes and not a
// single new event.
func TestErrRefusalsHarmNothing(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 2}, "pace": "step"}`)
	waitReady(t, ts, c.ID)
	before, events := children(t), snapshot(t, ts, c.ID).Events
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}
	control := "/api/sessions/" + c.ID + "/control"
	for _, tc := range []errCase{
		{name: "array", body: "[]", status: 400, says: "must be a JSON object"},
		{name: "action null", body: `{"action": null}`, status: 400, field: "action", says: "action must be a string, not null"},
		{name: "action a number", body: `{"action": 1}`, status: 400, field: "action", says: "action must be a string, not 1"},
		{name: "duplicate action", body: `{"action": "pause", "action": "resume"}`, status: 400, field: "action", says: "twice"},
		{name: "unknown field", body: `{"action": "pause", "when": "now"}`, status: 400, field: "when", says: "unknown field"},
		{name: "trailing data", body: `{"action": "pause"} {"action": "resume"}`, status: 400, says: "extra data"},
		{name: "speed null", body: `{"action": "speed", "value": null}`, status: 400, field: "value", says: "speed takes a number"},
		{name: "too large", body: padded(`{"action": "pause"}`, maxBody+1), status: 413, says: "over 64 KiB"},
		{name: "no token", body: `{"action": "pause"}`, status: 401, says: "only the presenter"},
		{name: "PUT", method: "PUT", body: `{"action": "pause"}`, status: 405, says: "not allowed", allow: "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.path = control
			if tc.status != http.StatusUnauthorized {
				tc.headers = auth
			}
			resp, body := ts.send(t, tc)
			checkError(t, tc, resp, body)
		})
	}
	for _, tc := range badBodies {
		resp, body := ts.send(t, errCase{path: "/api/sessions", body: tc.body, headers: tc.headers})
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Fatalf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	if after := children(t); !slices.Equal(before, after) {
		t.Fatalf("refusals changed the processes: %v, then %v", before, after)
	}
	snap := snapshot(t, ts, c.ID)
	if snap.State != "running" || snap.Events != events {
		t.Fatalf("after the refusals the session is %s with %d events, was running with %d", snap.State, snap.Events, events)
	}
	// The value null is the documented "whichever process is next".
	if status, body := ts.do(t, "POST", control, `{"action": "step", "value": null}`, auth...); status != http.StatusOK {
		t.Fatalf("step with value null: %d %s", status, body)
	}
}

// sessionSnap is the part of GET /api/sessions/{id} these tests read.
type sessionSnap struct {
	State     string `json:"state"`
	Events    int    `json:"events"`
	Processes []struct {
		PID   int    `json:"pid"`
		State string `json:"state"`
	} `json:"processes"`
}

func snapshot(t testing.TB, ts *testServer, id string) sessionSnap {
	t.Helper()
	status, body := ts.do(t, "GET", "/api/sessions/"+id, "")
	var s sessionSnap
	if err := json.Unmarshal(body, &s); status != http.StatusOK || err != nil {
		t.Fatalf("get session: %d %s", status, body)
	}
	return s
}

// waitReady polls a step-mode session until a process waits for the
// presenter: from then on nothing happens in it until a step.
func waitReady(t testing.TB, ts *testServer, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, p := range snapshot(t, ts, id).Processes {
			if p.State == "ready" && p.PID > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no process of the step-mode session became ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingBody counts the bytes a handler reads of a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestErrBodyLimit sends 50 MB of garbage over a raw connection, once with
// its length announced and once in chunks: the answer is 413 in JSON
// either way, and the server reads no more than the limit and a byte.
func TestErrBodyLimit(t *testing.T) {
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), Limits: scenario.ReadLimits()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Config{Runner: r})
	var read atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req.Body = countingBody{req.Body, &read}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	})
	before := children(t)
	const size = 50 << 20
	for _, tc := range []struct{ name, header string }{
		{"announced", fmt.Sprintf("Content-Length: %d", size)},
		{"chunked", "Transfer-Encoding: chunked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read.Store(0)
			resp, body := rawGarbage(t, srv.Listener.Addr().String(), tc.header, size)
			checkError(t, errCase{status: 413, says: "over 64 KiB"}, resp, body)
			if n := read.Load(); n > maxBody+1 {
				t.Fatalf("the server read %d bytes of the body, more than %d", n, maxBody+1)
			}
		})
	}
	if after := children(t); !slices.Equal(before, after) {
		t.Fatalf("refused bodies started processes: %v, then %v", before, after)
	}
}

// rawGarbage posts size bytes of garbage to /api/sessions on its own
// connection and reads the answer while the body is still being sent:
// a server that waited for the whole body would make this test time out.
func rawGarbage(t *testing.T, addr, header string, size int) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	chunked := strings.HasPrefix(header, "Transfer-Encoding")
	go func() {
		// Writes fail once the server closes the connection; that is
		// the point, and the error is not this test's business.
		fmt.Fprintf(conn, "POST /api/sessions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n", addr, header)
		chunk := []byte(strings.Repeat("garbage!", 1024))
		for sent := 0; sent < size; sent += len(chunk) {
			if chunked {
				fmt.Fprintf(conn, "%x\r\n", len(chunk))
			}
			if _, err := conn.Write(chunk); err != nil {
				return
			}
			if chunked {
				_, _ = conn.Write([]byte("\r\n"))
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body was being sent: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestErrParamKinds checks the words for a value of the wrong kind for
// every type of parameter, the on/off kind included, which no scenario
// has yet.
func TestErrParamKinds(t *testing.T) {
	lo, hi := int64(1), int64(10)
	for _, tc := range []struct {
		param scenario.Param
		value string
		says  string
	}{
		{scenario.Param{Name: "n", Type: scenario.TypeInt, Min: &lo, Max: &hi, Default: 3}, `null`, "n must be a number, not null; leave it out to take the default, 3"},
		{scenario.Param{Name: "n", Type: scenario.TypeInt, Min: &lo, Max: &hi}, `"4"`, `n must be a number, not the string "4"`},
		{scenario.Param{Name: "n", Type: scenario.TypeInt, Min: &lo, Max: &hi}, `1e300`, "n must be between 1 and 10, not 1e300"},
		{scenario.Param{Name: "n", Type: scenario.TypeInt, Min: &lo, Max: &hi}, `4`, ""},
		{scenario.Param{Name: "on", Type: scenario.TypeBool, Default: false}, `null`, "on must be true or false, not null; leave it out to take the default, false"},
		{scenario.Param{Name: "on", Type: scenario.TypeBool}, `"yes"`, `on must be true or false, not the string "yes"`},
		{scenario.Param{Name: "on", Type: scenario.TypeBool}, `1`, "on must be true or false, not 1"},
		{scenario.Param{Name: "on", Type: scenario.TypeBool}, `true`, ""},
		{scenario.Param{Name: "how", Type: scenario.TypeChoice, Choices: []string{"a", "b"}}, `[]`, `how must be one of "a", "b", not an array`},
		{scenario.Param{Name: "how", Type: scenario.TypeChoice, Choices: []string{"a", "b"}}, `"a"`, ""},
	} {
		got := kindProblem(tc.param, json.RawMessage(tc.value))
		if tc.says == "" && got != "" || !strings.Contains(got, tc.says) {
			t.Errorf("%s = %s: %q, want %q", tc.param.Name, tc.value, got, tc.says)
		}
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

func TestErrForeignOriginWebSocket(t *testing.T) {
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

func TestErrSessionLimit(t *testing.T) {
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

package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const stepPipe = `{"scenario": "pipe", "params": {"messages": 3}, "pace": "step"}`

// refusedWith checks a refusal: its status, a Retry-After of whole seconds
// from 1 to most, and words of its sentence.
func refusedWith(t *testing.T, what string, resp *http.Response, body []byte, status, most int, words string) {
	t.Helper()
	if resp == nil {
		t.Fatalf("%s: no answer", what)
	}
	var e apiError
	json.Unmarshal(body, &e)
	if resp.StatusCode != status || !strings.Contains(e.Error, words) {
		t.Fatalf("%s: %d %s, want %d saying %q", what, resp.StatusCode, body, status, words)
	}
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 1 || n > most {
		t.Fatalf("%s: Retry-After %q, want whole seconds from 1 to %d", what, resp.Header.Get("Retry-After"), most)
	}
}

// post sends a JSON body and returns the whole answer.
func (ts *testServer) post(t *testing.T, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestLimitSessionsPerClient is one address starting more sessions than
// it may run: the one past the limit is refused and starts nothing; when
// one of its sessions ends, it may start another.
func TestLimitSessionsPerClient(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.Limits.SessionsPerClient = 2 }, nil)
	first := ts.create(t, stepPipe)
	ts.create(t, stepPipe)
	resp, b := ts.post(t, "/api/sessions", stepPipe)
	refusedWith(t, "the third session", resp, b, http.StatusTooManyRequests, 60, "you already have 2 sessions running")
	if n := ts.runner.Stats().Running; n != 2 {
		t.Fatalf("%d sessions hold a slot after the refusal, want 2", n)
	}
	status, b := ts.do(t, "DELETE", "/api/sessions/"+first.ID, "", "Authorization", "Bearer "+first.PresenterToken)
	if status != http.StatusNoContent {
		t.Fatalf("stop: %d %s", status, b)
	}
	// The slot is given back once the session has ended; wait for that.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, b := ts.post(t, "/api/sessions", stepPipe)
		if resp.StatusCode == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one session ended the address still may not start one: %d %s", resp.StatusCode, b)
		}
	}
}

// TestLimitStartsPerMinute is one address starting sessions faster than
// it may, on a clock that does not move: the third start in the minute is
// refused, with the wait to the next.
func TestLimitStartsPerMinute(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.Limits.StartsPerMinute = 2 }, nil)
	now := time.Now()
	ts.web.quotas.now = func() time.Time { return now }
	short := `{"scenario": "pipe", "params": {"messages": 1}}`
	ts.create(t, short)
	ts.create(t, short)
	resp, b := ts.post(t, "/api/sessions", short)
	refusedWith(t, "the third start", resp, b, http.StatusTooManyRequests, 30, "you have started 2 sessions in the last minute")
	// Half a minute on, one more start is due.
	now = now.Add(30 * time.Second)
	ts.create(t, short)
}

// TestLimitControlsPerSecond is a presenter pressing faster than a session
// takes controls, on a clock that does not move.
func TestLimitControlsPerSecond(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.Limits.ControlsPerSecond = 2 }, nil)
	now := time.Now()
	ts.web.quotas.now = func() time.Time { return now }
	c := ts.create(t, stepPipe)
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}
	for _, action := range []string{"pause", "resume"} {
		if resp, b := ts.post(t, "/api/sessions/"+c.ID+"/control", `{"action": "`+action+`"}`, auth...); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", action, resp.StatusCode, b)
		}
	}
	resp, b := ts.post(t, "/api/sessions/"+c.ID+"/control", `{"action": "pause"}`, auth...)
	refusedWith(t, "the third control in a second", resp, b, http.StatusTooManyRequests, 1, "at most 2 controls a second")
	if sess, _ := ts.runner.Get(c.ID); sess.Snapshot().Paused {
		t.Error("the refused pause paused the session")
	}
	now = now.Add(time.Second)
	if resp, b := ts.post(t, "/api/sessions/"+c.ID+"/control", `{"action": "pause"}`, auth...); resp.StatusCode != http.StatusOK {
		t.Fatalf("a second later: %d %s", resp.StatusCode, b)
	}
}

// dialStream opens a session's stream and keeps it open until the test
// ends; on a refusal it returns the answer.
func dialStream(t *testing.T, url string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

// refusedStream checks a refused WebSocket.
func refusedStream(t *testing.T, what, url string, status int, words string) {
	t.Helper()
	_, resp, err := dialStream(t, url)
	if err == nil {
		t.Fatalf("%s: the stream opened", what)
	}
	var b []byte
	if resp != nil && resp.Body != nil {
		b, _ = io.ReadAll(resp.Body)
	}
	refusedWith(t, what, resp, b, status, 60, words)
}

// TestLimitStreams is viewers past each stream limit: per session, per
// address, and in all.
func TestLimitStreams(t *testing.T) {
	t.Run("per session", func(t *testing.T) {
		ts := newTestServerWith(t, func(c *Config) { c.Limits.Viewers = 2 }, nil)
		a, b := ts.create(t, stepPipe), ts.create(t, stepPipe)
		for range 2 {
			if _, _, err := dialStream(t, a.EventsURL); err != nil {
				t.Fatal(err)
			}
		}
		refusedStream(t, "a third viewer of one session", a.EventsURL, http.StatusTooManyRequests, "this session has 2 viewers")
		if _, _, err := dialStream(t, b.EventsURL); err != nil {
			t.Fatalf("a viewer of another session: %v", err)
		}
	})
	t.Run("per address", func(t *testing.T) {
		ts := newTestServerWith(t, func(c *Config) { c.Limits.StreamsPerClient = 2 }, nil)
		a, b := ts.create(t, stepPipe), ts.create(t, stepPipe)
		dialStream(t, a.EventsURL)
		c, _, err := dialStream(t, b.EventsURL)
		if err != nil {
			t.Fatal(err)
		}
		refusedStream(t, "a third stream from one address", a.EventsURL, http.StatusTooManyRequests, "your address has 2 event streams open")
		// A closed stream is given back.
		c.Close(websocket.StatusNormalClosure, "")
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, _, err := dialStream(t, a.EventsURL); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a closed stream was not given back")
			}
		}
	})
	t.Run("in all", func(t *testing.T) {
		ts := newTestServerWith(t, func(c *Config) { c.Limits.Streams = 1 }, nil)
		a := ts.create(t, stepPipe)
		dialStream(t, a.EventsURL)
		refusedStream(t, "a stream past the server's", a.EventsURL, http.StatusServiceUnavailable, "the server has 1 event streams open")
	})
}

// TestPingFloodClosed is a viewer that pings without pause: past the burst
// it gets no pong, and the server closes the stream as a policy
// violation. Pings at the allowed rate get their pongs.
func TestPingFloodClosed(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, stepPipe)
	conn, _, err := dialStream(t, c.EventsURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	if err := conn.Ping(pctx); err != nil {
		t.Fatalf("the first ping: %v", err)
	}
	pcancel()
	var err2 error
	for sent := 1; ; sent++ {
		select {
		case err2 = <-readErr:
		default:
			pctx, pcancel := context.WithTimeout(ctx, 50*time.Millisecond)
			conn.Ping(pctx)
			pcancel()
			if ctx.Err() != nil {
				t.Fatalf("after %d pings the stream is still open", sent)
			}
			continue
		}
		t.Logf("closed after %d pings: %v", sent, err2)
		break
	}
	if st := websocket.CloseStatus(err2); st != websocket.StatusPolicyViolation {
		t.Fatalf("the stream ended with %v, want a policy violation", err2)
	}
}

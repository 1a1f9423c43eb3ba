package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// TestReadyz is readiness following the session slots: ready with one
// free, not ready with the reason when the only one is taken, and ready
// again once it is given back.
func TestReadyz(t *testing.T) {
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), Limits: scenario.ReadLimits(), MaxSessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Config{Runner: r, Logger: testLogger(t)})
	ts := &testServer{Server: httptest.NewServer(h), runner: r, web: h}
	// The test shuts the runner down itself, once, at its end.
	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := r.Shutdown(ctx); err != nil {
				t.Errorf("runner shutdown: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		shutdown()
		h.CloseStreams()
		ts.Close()
	})
	if status, body := ts.do(t, "GET", "/readyz", ""); status != http.StatusOK {
		t.Fatalf("an idle server: %d %s", status, body)
	}
	c := ts.create(t, stepPipe)
	status, body := ts.do(t, "GET", "/readyz", "")
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "all 1 session slots are in use") {
		t.Fatalf("with every slot taken: %d %s", status, body)
	}
	if status, _ := ts.do(t, "GET", "/healthz", ""); status != http.StatusOK {
		t.Fatalf("/healthz with every slot taken: %d, want 200: the server is up", status)
	}
	ts.do(t, "DELETE", "/api/sessions/"+c.ID, "", "Authorization", "Bearer "+c.PresenterToken)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := ts.do(t, "GET", "/readyz", ""); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after the only session ended")
		}
	}
	shutdown()
	if status, body := ts.do(t, "GET", "/readyz", ""); status != http.StatusServiceUnavailable || !strings.Contains(string(body), "shutting down") {
		t.Fatalf("shutting down: %d %s", status, body)
	}
}

// TestMetrics reads /metrics while a step session runs with one viewer,
// after a refused request: every figure is the runner's and the server's.
func TestMetrics(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "mq-sysv", "params": {"consumers": 1, "messages": 3}, "pace": "step"}`)
	if _, _, err := dialStream(t, c.EventsURL); err != nil {
		t.Fatal(err)
	}
	rawStatus(t, ts.Listener.Addr().String(), "GET / HTTP/1.1\nHost: evil.example\nConnection: close\n\n")
	// The worker processes report in on their own time; wait for one.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		status, body := ts.do(t, "GET", "/metrics", "")
		if status != http.StatusOK {
			t.Fatalf("/metrics: %d %s", status, body)
		}
		text = string(body)
		if regexp.MustCompile(`\nipcpg_processes [1-9]\n`).MatchString(text) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never a process:\n%s", grepMetrics(text))
		}
	}
	for _, want := range []string{
		`ipcpg_sessions{state="running"} 1`,
		`ipcpg_session_slots 8`,
		`ipcpg_session_slots_used 1`,
		`ipcpg_kernel_objects{kind="msg-sysv"} 1`,
		`ipcpg_viewers 1`,
		`ipcpg_ready 1`,
		`ipcpg_sessions_started_total 1`,
		`ipcpg_refusals_total{reason="host"} 1`,
	} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("no %s in:\n%s", want, grepMetrics(text))
		}
	}
	for _, re := range []string{`\nipcpg_events [1-9]\d*\n`, `\nipcpg_recording_bytes [1-9]\d*\n`, `\nipcpg_recordings 1\n`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("no line matching %s in:\n%s", re, grepMetrics(text))
		}
	}
	if !strings.Contains(text, "\nprocess_open_fds ") {
		t.Error("no process_open_fds: the process collector is missing")
	}
}

// grepMetrics keeps the server's own lines of a scrape.
func grepMetrics(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "ipcpg_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestHandlerPanicAnswered is a handler that panics: the client gets the
// contract's 500 in words, the fault is counted, and the server goes on.
func TestHandlerPanicAnswered(t *testing.T) {
	ts := newTestServer(t)
	h := ts.web.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("a bug") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "the server failed on this request") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	_, body := ts.do(t, "GET", "/metrics", "")
	if !strings.Contains(string(body), "\nipcpg_faults_total{where=\"panic\"} 1\n") {
		t.Errorf("the panic is not counted:\n%s", grepMetrics(string(body)))
	}
}

// lockedBuffer is a log sink the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRefusalLogged is each refusal a log line with its reason and the
// client's address, and each start a line with the client too.
func TestRefusalLogged(t *testing.T) {
	var logs lockedBuffer
	ts := newTestServerWith(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Limits.SessionsPerClient = 1
	}, nil)
	c := ts.create(t, stepPipe)
	ts.post(t, "/api/sessions", stepPipe)
	rawStatus(t, ts.Listener.Addr().String(), "GET / HTTP/1.1\nHost: evil.example\nConnection: close\n\n")
	for _, want := range []string{
		`msg="session started" id=` + c.ID + ` scenario=pipe pace=step client=127.0.0.1`,
		`msg="request refused" reason=client-sessions client=127.0.0.1 method=POST path=/api/sessions status=429`,
		`msg="request refused" reason=host client=127.0.0.1 method=GET path=/ status=421`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no line with %s in the log:\n%s", want, logs.String())
		}
	}
}

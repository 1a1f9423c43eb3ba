package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/web"
)

// TestBadLimitFlags refuses limits, hosts and tokens the server cannot
// keep its word with, from the command line or the environment.
func TestBadLimitFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		says string
	}{
		{"negative limit", []string{"-max-sessions-per-client", "-1"}, nil, "-max-sessions-per-client must be 0 (no limit) or more, not -1"},
		{"streams per client under viewers", []string{"-max-viewers", "50", "-max-streams-per-client", "10"}, nil,
			"-max-streams-per-client (10) must be at least -max-viewers (50)"},
		{"viewers unbounded, streams per client not", []string{"-max-viewers", "0"}, nil, "must be 0 (no limit) when -max-viewers is"},
		{"short operator token", []string{"-admin-token", "secret"}, nil, "-admin-token must be 16 characters or more, not 6"},
		{"short operator token from the environment", nil, map[string]string{"ADMIN_TOKEN": "secret"}, "-admin-token must be 16 characters or more"},
		{"bad allowed host", []string{"-allowed-hosts", "class.example, bad host"}, nil, `-allowed-hosts: "bad host" is neither an IP address nor a host name`},
		{"limit from the environment not a number", nil, map[string]string{"STARTS_PER_MINUTE": "lots"}, `the STARTS_PER_MINUTE environment variable: "lots" is not a valid value of -starts-per-minute`},
		{"sessions from the environment", nil, map[string]string{"MAX_SESSIONS": "0"}, "-max-sessions must be 1 or more, not 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(append([]string{"ipc-playground"}, tc.args...), func(k string) string { return tc.env[k] }, &stderr)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("parseFlags returned %v, want a usage error", err)
			}
			if !strings.Contains(stderr.String(), tc.says) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tc.says)
			}
		})
	}
}

// TestLimitFlagsFromEnv takes each limit from its environment variable,
// unless the command line gives it.
func TestLimitFlagsFromEnv(t *testing.T) {
	env := map[string]string{"MAX_SESSIONS_PER_CLIENT": "2", "STARTS_PER_MINUTE": "5", "MAX_VIEWERS": "40",
		"MAX_STREAMS_PER_CLIENT": "60", "MAX_STREAMS": "300", "CONTROLS_PER_SECOND": "7",
		"ALLOWED_HOSTS": "class.example,10.0.0.9", "ADMIN_TOKEN": "0123456789abcdef"}
	cfg, err := parseFlags([]string{"ipc-playground", "-max-streams", "400"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := web.Limits{SessionsPerClient: 2, StartsPerMinute: 5, Viewers: 40, StreamsPerClient: 60, Streams: 400, ControlsPerSecond: 7}
	if cfg.limits != want {
		t.Errorf("limits %+v, want %+v", cfg.limits, want)
	}
	if h := cfg.hosts(); len(h) != 2 || h[0] != "class.example" || h[1] != "10.0.0.9" || cfg.adminToken != env["ADMIN_TOKEN"] {
		t.Errorf("hosts %q, token %q", h, cfg.adminToken)
	}
	def, err := parseFlags([]string{"ipc-playground"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if l := def.limits; l.SessionsPerClient < 1 || l.SessionsPerClient >= def.maxSessions || l.StreamsPerClient < l.Viewers || l.Streams < l.StreamsPerClient {
		t.Errorf("the default limits %+v do not fit -max-sessions %d", l, def.maxSessions)
	}
}

// shortTimeouts make a client that holds on visible within a test.
var shortTimeouts = httpTimeouts{readHeader: 300 * time.Millisecond, read: 500 * time.Millisecond, write: 500 * time.Millisecond, idle: 300 * time.Millisecond}

// serveShort runs the server's HTTP side, as run builds it, with short
// timeouts, and returns its address and its runner.
func serveShort(t *testing.T) (string, *runner.Runner) {
	t.Helper()
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), Limits: scenario.ReadLimits()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := web.NewServer(web.Config{Runner: r, ListenAddr: ln.Addr().String()})
	srv := newHTTPServer(h, shortTimeouts, slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r.Shutdown(ctx)
		h.CloseStreams()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String(), r
}

// closedByServer reads conn until the server closes it, or fails the test
// at the deadline. It returns what was read.
func closedByServer(t *testing.T, conn net.Conn, what string) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server kept the connection open", what)
	}
	return b
}

// TestTrickledBodyClosed is a client sending its body a byte at a time,
// never finishing: the server's read timeout ends it.
func TestTrickledBodyClosed(t *testing.T) {
	addr, r := serveShort(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /api/sessions HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	b := closedByServer(t, conn, "a trickled body")
	t.Logf("the server answered %q", firstLine(b))
	if n := r.Stats().Running; n != 0 {
		t.Errorf("%d sessions started", n)
	}
}

// TestIdleKeepAliveClosed is a client that keeps its connection after one
// request and sends nothing more: the idle timeout ends it.
func TestIdleKeepAliveClosed(t *testing.T) {
	addr, _ := serveShort(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("the first answer: %s, close %v", resp.Status, resp.Close)
	}
	if rest := closedByServer(t, readerConn{conn, br}, "an idle keep-alive connection"); len(rest) != 0 {
		t.Errorf("the server sent %q on an idle connection", rest)
	}
}

// TestStreamOutlivesTimeouts is a viewer of a step session kept open past
// the server's read and write timeouts: the event stream has none, and a
// step made then still reaches it.
func TestStreamOutlivesTimeouts(t *testing.T) {
	addr, _ := serveShort(t)
	base := "http://" + addr
	resp, err := http.Post(base+"/api/sessions", "application/json",
		strings.NewReader(`{"scenario": "pipe", "params": {"messages": 2}, "pace": "step"}`))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID             string `json:"id"`
		PresenterToken string `json:"presenter_token"`
		EventsURL      string `json:"events_url"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.EventsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(16 << 20)
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// What is under test is time passing: twice the longest timeout.
	time.Sleep(2 * shortTimeouts.write)
	req, _ := http.NewRequest("POST", base+"/api/sessions/"+c.ID+"/control",
		strings.NewReader(`{"action": "step", "value": null}`))
	req.Header.Set("Authorization", "Bearer "+c.PresenterToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("step: %v %v", err, resp)
	}
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatalf("the stream after the timeouts passed: %v", err)
	}
}

// TestDefaultsLetAClassWatch is a class behind one address, as behind a
// school's NAT, all watching one session with the default limits: each
// viewer up to -max-viewers gets the stream, the next is refused in words.
func TestDefaultsLetAClassWatch(t *testing.T) {
	url, _ := startServer(t, t.TempDir())
	id := createSession(t, url, `{"scenario": "pipe", "params": {"messages": 2}, "pace": "step"}`)
	cfg, err := parseFlags([]string{"ipc-playground"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(url, "http") + "/api/sessions/" + id + "/events"
	for i := range cfg.limits.Viewers {
		c, _, err := websocket.Dial(ctx, ws, nil)
		if err != nil {
			t.Fatalf("viewer %d of %d: %v", i+1, cfg.limits.Viewers, err)
		}
		defer c.CloseNow()
	}
	_, resp, err := websocket.Dial(ctx, ws, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("viewer %d: %v %v, want 429", cfg.limits.Viewers+1, err, resp)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "this session has 100 viewers") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the refusal: %s (Retry-After %q)", b, resp.Header.Get("Retry-After"))
	}
}

// readerConn reads through a bufio.Reader that may hold bytes already.
type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

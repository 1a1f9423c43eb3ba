package web

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// newTestServerWith is newTestServer with the web side's config changed
// by set (its Runner is filled in) and the runner's by setRunner.
func newTestServerWith(t testing.TB, set func(*Config), setRunner func(*runner.Config)) *testServer {
	t.Helper()
	rc := runner.Config{StateDir: t.TempDir(), Limits: scenario.ReadLimits()}
	if setRunner != nil {
		setRunner(&rc)
	}
	r, err := runner.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Runner: r, Logger: testLogger(t)}
	if set != nil {
		set(&cfg)
	}
	h := NewServer(cfg)
	ts := &testServer{Server: httptest.NewServer(h), runner: r, web: h}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("runner shutdown: %v", err)
		}
		h.CloseStreams()
		ts.Close()
	})
	return ts
}

// testLogger writes the server's log lines into the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// rawStatus sends one request, written out byte for byte (a Host header
// of its own included), on a new connection, and returns the status and
// the JSON error's text.
func rawStatus(t *testing.T, addr, request string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := conn.Write([]byte(strings.ReplaceAll(request, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer to %q: %v", request, err)
	}
	defer resp.Body.Close()
	var e apiError
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

// TestDNSRebindingRefused is a page on evil.example whose name now
// resolves to the server's address: the browser sends Host and Origin
// evil.example. Nothing may start, open, be controlled or be read.
func TestDNSRebindingRefused(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 3}, "pace": "step"}`)
	addr := ts.Listener.Addr().String()
	body := `{"scenario": "pipe"}`
	ctl := `{"action": "pause"}`
	for _, tc := range []struct{ name, request string }{
		{"POST a session", "POST /api/sessions HTTP/1.1\nHost: evil.example:8080\nOrigin: http://evil.example:8080\nContent-Type: application/json\nContent-Length: " +
			strconv.Itoa(len(body)) + "\nConnection: close\n\n" + body},
		{"WebSocket", "GET /api/sessions/" + c.ID + "/events HTTP/1.1\nHost: evil.example\nOrigin: http://evil.example\nConnection: Upgrade\nUpgrade: websocket\n" +
			"Sec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n\n"},
		{"control", "POST /api/sessions/" + c.ID + "/control HTTP/1.1\nHost: evil.example\nOrigin: http://evil.example\nAuthorization: Bearer " + c.PresenterToken +
			"\nContent-Type: application/json\nContent-Length: " + strconv.Itoa(len(ctl)) + "\nConnection: close\n\n" + ctl},
		{"GET the session", "GET /api/sessions/" + c.ID + " HTTP/1.1\nHost: evil.example\nOrigin: http://evil.example\nConnection: close\n\n"},
		{"GET the page", "GET / HTTP/1.1\nHost: evil.example\nConnection: close\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, msg := rawStatus(t, addr, tc.request)
			if status != http.StatusMisdirectedRequest || !strings.Contains(msg, "does not answer to the name evil.example") {
				t.Errorf("got %d %q, want 421 saying the server does not answer to evil.example", status, msg)
			}
		})
	}
	if snap := ts.runner.Stats(); snap.Running != 1 {
		t.Errorf("%d sessions hold a slot after the refused POST, want the 1 started before", snap.Running)
	}
	status, b := ts.do(t, "GET", "/api/sessions/"+c.ID, "")
	if status != http.StatusOK || strings.Contains(string(b), `"paused": true`) {
		t.Errorf("the session after the refused control: %d %s", status, b)
	}
}

// TestHostPolicy is the rule for Host names, with no server.
func TestHostPolicy(t *testing.T) {
	var own netip.Addr
	if list, err := net.InterfaceAddrs(); err == nil {
		for _, a := range list {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLoopback() && !p.Addr().IsLinkLocalUnicast() {
				own = p.Addr()
				break
			}
		}
	}
	for _, tc := range []struct {
		listen string
		extra  []string
		host   string
		want   bool
	}{
		{"127.0.0.1:8080", nil, "127.0.0.1", true},
		{"127.0.0.1:8080", nil, "localhost", true},
		{"127.0.0.1:8080", nil, "app.localhost", true},
		{"127.0.0.1:8080", nil, "127.3.2.1", true},
		{"127.0.0.1:8080", nil, "::1", true},
		{"127.0.0.1:8080", nil, "evil.example", false},
		{"127.0.0.1:8080", nil, "localhost.evil.example", false},
		{"127.0.0.1:8080", nil, "10.1.2.3", false},
		{"127.0.0.1:8080", []string{"Class.Example."}, "class.example", true},
		{"127.0.0.1:8080", []string{"class.example:443"}, "class.example", true},
		{"127.0.0.1:8080", []string{"10.1.2.3"}, "10.1.2.3", true},
		{"127.0.0.1:8080", []string{"[fd00::1]:80"}, "fd00::1", true},
		{"192.168.7.9:8080", nil, "192.168.7.9", true},
		{"play.example:8080", nil, "play.example", true},
		{"0.0.0.0:8080", nil, "evil.example", false},
		{"0.0.0.0:8080", nil, "203.0.113.77", false},
	} {
		p := newHostPolicy(tc.listen, tc.extra)
		if got := p.allows(tc.host); got != tc.want {
			t.Errorf("listening on %s with %v: allows(%q) = %v, want %v", tc.listen, tc.extra, tc.host, got, tc.want)
		}
	}
	if !own.IsValid() {
		t.Log("the machine has no address but loopback; the interface rows are not checked")
		return
	}
	for listen, want := range map[string]bool{"0.0.0.0:8080": true, "[::]:8080": true, ":8080": true, "127.0.0.1:8080": false} {
		if got := newHostPolicy(listen, nil).allows(own.String()); got != want {
			t.Errorf("listening on %s: allows the machine's own %s = %v, want %v", listen, own, got, want)
		}
	}
}

// TestOriginPolicy is the rule for Origin, scheme included, with no
// server.
func TestOriginPolicy(t *testing.T) {
	s := &Server{hosts: newHostPolicy("127.0.0.1:8080", []string{"class.example"})}
	for _, tc := range []struct {
		host, origin string
		https        bool
		want         bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false, true},
		{"127.0.0.1:8080", "http://localhost:8080", false, true},
		{"127.0.0.1:8080", "https://127.0.0.1:8080", false, false},
		{"127.0.0.1:8080", "http://localhost:3000", false, false},
		{"127.0.0.1:8080", "http://evil.example:8080", false, false},
		{"127.0.0.1:8080", "null", false, false},
		{"127.0.0.1:8080", "http://127.0.0.1:8080.evil.example", false, false},
		{"class.example", "https://class.example", true, true},
		{"class.example", "http://class.example", true, false},
		{"class.example", "https://class.example:8443", true, false},
		{"class.example:80", "http://class.example", false, true},
	} {
		r := httptest.NewRequest("POST", "http://"+tc.host+"/api/sessions", nil)
		r.Host = tc.host
		if tc.https {
			r.TLS = &tls.ConnectionState{}
		}
		if got := s.originAllowed(tc.origin, r); got != tc.want {
			t.Errorf("Host %s (https %v): Origin %s allowed = %v, want %v", tc.host, tc.https, tc.origin, got, tc.want)
		}
	}
}

// TestOriginSchemeRefused is an https page acting on an http server: the
// same host and port, another origin.
func TestOriginSchemeRefused(t *testing.T) {
	ts := newTestServer(t)
	host := ts.Listener.Addr().String()
	status, b := ts.do(t, "POST", "/api/sessions", `{"scenario": "pipe"}`, "Origin", "https://"+host)
	if status != http.StatusForbidden || !strings.Contains(string(b), "must come from the playground's own page") {
		t.Fatalf("got %d %s, want 403", status, b)
	}
	// The server's own page may.
	ts.create(t, `{"scenario": "pipe", "params": {"messages": 1}}`)
	status, b = ts.do(t, "POST", "/api/sessions", `{"scenario": "pipe", "params": {"messages": 1}}`, "Origin", "http://"+host)
	if status != http.StatusCreated {
		t.Fatalf("the server's own origin: %d %s", status, b)
	}
}

// TestAllowedHostsServed is a name given to the server: it is answered.
func TestAllowedHostsServed(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.AllowedHosts = []string{"class.example"} }, nil)
	status, msg := rawStatus(t, ts.Listener.Addr().String(), "GET /healthz HTTP/1.1\nHost: class.example:8080\nConnection: close\n\n")
	if status != http.StatusOK {
		t.Fatalf("an allowed name: %d %q", status, msg)
	}
	status, msg = rawStatus(t, ts.Listener.Addr().String(), "GET /healthz HTTP/1.1\nHost: localhost:80;x\nConnection: close\n\n")
	if status != http.StatusMisdirectedRequest {
		t.Fatalf("a port that is not a number: %d %q", status, msg)
	}
}

// TestLiteralPattern is a host as path.Match must see it to match only
// itself.
func TestLiteralPattern(t *testing.T) {
	for _, host := range []string{"[::1]:8080", "127.0.0.1:8080", "class.example", "a*b?c"} {
		if ok, err := path.Match(literalPattern(host), host); !ok || err != nil {
			t.Errorf("%s does not match itself: %v", host, err)
		}
	}
	if ok, _ := path.Match(literalPattern("[::1]:8080"), ":::8080"); ok {
		t.Error("the brackets are taken for a character class")
	}
}

// TestStreamFromAnotherAllowedName is a page opened by localhost whose
// stream reaches the server by 127.0.0.1: both names are the server's, so
// the stream opens; a page of another port is refused.
func TestStreamFromAnotherAllowedName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, stepPipe)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.EventsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://localhost:" + port}}})
	if err != nil {
		t.Fatalf("a page of localhost: %v", err)
	}
	conn.CloseNow()
	_, resp, err := websocket.Dial(ctx, c.EventsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://localhost:1"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a page of another port: %v %v, want 403", err, resp)
	}
}

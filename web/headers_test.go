package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ipc-playground/ipc-playground/static"
)

// TestSecurityHeaders is every kind of answer carrying the headers that
// keep it from being framed, sniffed or leaking its address, and the page
// a policy that lets only the server's own scripts run, its import map by
// the hash of what the page holds.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 1}}`)
	for _, path := range []string{"/", "/s/" + c.ID, "/s/nosuch", "/api/scenarios", "/api/sessions/nosuch", "/healthz", static.URL("app.js"), "/nothing"} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self' 'sha256-", "frame-ancestors 'none'", "style-src 'self';", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q has no %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: the policy allows inline code: %q", path, csp)
		}
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s is %q, want %q", path, name, got, want)
			}
		}
	}
	// The hash in the policy is the hash of the page's one inline script.
	status, body := ts.do(t, "GET", "/", "")
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("no import map in the page: %d", status)
	}
	if n := strings.Count(string(body), "<script"); n != 2 {
		t.Errorf("the page has %d scripts, want the import map and app.js", n)
	}
	sum := sha256.Sum256(m[1])
	want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	resp, _ := ts.Client().Get(ts.URL + "/")
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
		t.Errorf("the policy %q does not allow the page's import map, %s", csp, want)
	}
}

// TestStreamFromOutOfRange is ?from= past any seq a session can have: a
// 400 in words, where 2^63+1 used to panic the handler.
func TestStreamFromOutOfRange(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 1}}`)
	for _, from := range []string{"9223372036854775809", "18446744073709551615", "18446744073709551616", strconv.Itoa(maxFrom + 1), "0", "-1", "1e3"} {
		status, body := ts.do(t, "GET", "/api/sessions/"+c.ID+"/events?from="+from, "",
			"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if status != http.StatusBadRequest || !strings.Contains(string(body), `"field": "from"`) || !strings.Contains(string(body), "from must be a whole number from 1 to") {
			t.Errorf("from=%s: %d %s, want 400 naming from", from, status, body)
		}
	}
	// The largest taken streams from past the end: nothing, then the close.
	evs := readStream(t, strings.Replace(c.EventsURL, "/events", "/events?from="+strconv.Itoa(maxFrom), 1), 20*time.Second)
	if len(evs) != 0 {
		t.Errorf("from=%d gave %d events", maxFrom, len(evs))
	}
}

// TestBrowserNoCSPViolation opens the page and runs a session in
// Chromium under the server's policy: the page's modules load through the
// import map, the session streams to its end, and the browser reports no
// violation of the policy.
func TestBrowserNoCSPViolation(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 90*time.Second)
	// A script the DevTools protocol adds runs before the page's and is
	// not held to the page's policy: it records every violation.
	run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__csp = [];
			document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`})
		return err
	}))
	startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "5"}, "")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#share")))
	waitFor(t, ctx, "the share dialog's QR code", `document.querySelector('#qr svg') !== null`, 10*time.Second)
	if v := eval[[]string](t, ctx, `window.__csp`); len(v) > 0 {
		t.Errorf("the page broke its policy: %v", v)
	}
}

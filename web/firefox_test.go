package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The Firefox test drives the page in Debian's Firefox ESR over WebDriver
// BiDi, as the browser tests drive Chromium over the DevTools protocol, so
// that the page is known to work in both. The small BiDi client it needs
// is here too, on the WebSocket library the server already uses.

// bidi is a small WebDriver BiDi client. Commands carry an id; one reader
// hands each answer to the command with its id, and each event to onEvent,
// which runs on the reader and so must neither block nor send commands.
type bidi struct {
	conn    *websocket.Conn
	onEvent func(method string, params json.RawMessage)
	stop    context.CancelFunc

	mu      sync.Mutex
	next    int
	waiting map[int]chan bidiMessage

	done chan struct{} // closed when the reader stops
	err  error         // why it stopped; read only after done is closed
}

// bidiMessage is any message from the browser: an answer or an event.
type bidiMessage struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// bidiError is a command the browser refused, with its error code.
type bidiError struct {
	Method, Code, Message string
}

func (e *bidiError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Method, e.Code, e.Message)
}

// dialBiDi connects to a browser's WebDriver BiDi endpoint.
func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidi, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	// Screenshots come back whole, base64 in one message.
	conn.SetReadLimit(64 << 20)
	rctx, stop := context.WithCancel(context.Background())
	b := &bidi{conn: conn, onEvent: onEvent, stop: stop, waiting: map[int]chan bidiMessage{}, done: make(chan struct{})}
	go b.read(rctx)
	return b, nil
}

// read passes every message on until the connection ends.
func (b *bidi) read(ctx context.Context) {
	defer close(b.done)
	for {
		_, data, err := b.conn.Read(ctx)
		if err != nil {
			b.err = fmt.Errorf("read from the browser: %w", err)
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			b.err = fmt.Errorf("decode %.200s: %w", data, err)
			return
		}
		if m.Type == "event" {
			b.onEvent(m.Method, m.Params)
			continue
		}
		if m.ID == nil {
			b.err = fmt.Errorf("the browser could not read a command: %s: %s", m.Error, m.Message)
			return
		}
		// The channel has room for the one answer, so the reader never
		// waits for a command that gave up.
		b.mu.Lock()
		ch := b.waiting[*m.ID]
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends one command and decodes its result into result (if not nil).
func (b *bidi) call(ctx context.Context, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	ch := make(chan bidiMessage, 1)
	b.mu.Lock()
	b.next++
	id := b.next
	b.waiting[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
	}()
	msg, err := json.Marshal(struct {
		ID     int    `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("send %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Type == "error" {
			return &bidiError{Method: method, Code: m.Error, Message: m.Message}
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(m.Result, result); err != nil {
			return fmt.Errorf("decode the result of %s: %w", method, err)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: %w", method, b.err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// close drops the connection and waits for the reader to stop.
func (b *bidi) close() {
	b.conn.CloseNow()
	b.stop()
	<-b.done
}

// firefoxPath finds Debian's Firefox ESR, or ends the test (see
// findBrowser).
func firefoxPath(t *testing.T) string {
	t.Helper()
	return findBrowser(t, "firefox-esr", []string{"firefox-esr", "firefox"})
}

// profilePrefs go into the fresh profile's user.js. Under remote control
// Firefox sets the preferences automation needs by itself (see
// remote.prefs.recommended): no updates, telemetry, Safe Browsing, first-run
// or what's-new pages, and Remote Settings pointed at a dummy address.
// What is left is below.
const profilePrefs = `
// Nimbus still asks the dummy Remote Settings address for experiments and
// logs its failure on every start; the page needs no experiments.
user_pref("messaging-system.rsexperimentloader.enabled", false);
`

// firefox is one headless Firefox with a BiDi session and one tab.
type firefox struct {
	ctx    context.Context
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	bidi   *bidi
	tab    string
	stderr *stderrTail

	mu   sync.Mutex
	errs []string // errors the page's scripts reported
}

// stderrTail keeps the end of the browser's standard error, for failure
// messages, and picks the WebDriver BiDi address out of it.
type stderrTail struct {
	mu    sync.Mutex
	buf   []byte
	found bool
	addr  chan string
}

var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)\n`)

func (s *stderrTail) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if !s.found {
		if m := bidiListening.FindSubmatch(s.buf); m != nil {
			s.found = true
			s.addr <- string(m[1])
		}
	}
	if len(s.buf) > 64<<10 {
		s.buf = append([]byte(nil), s.buf[len(s.buf)-16<<10:]...)
	}
	return len(p), nil
}

func (s *stderrTail) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}

// newFirefox starts Firefox in a fresh profile, opens a BiDi session and
// stops the browser, its whole process group, when the test ends or the
// deadline passes.
func newFirefox(t *testing.T, path string, deadline time.Duration) *firefox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(profilePrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	ff := &firefox{ctx: ctx, exited: make(chan struct{}), stderr: &stderrTail{addr: make(chan string, 1)}}
	ff.cmd = exec.CommandContext(ctx, path, "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0")
	ff.cmd.Stderr = ff.stderr
	// Pdeathsig is the last resort should the test binary die before its
	// cleanup (a panic at -timeout): the browser is killed with it, and its
	// content processes end when they lose their parent. The signal follows
	// the thread that started the browser, not the process (golang/go#27505),
	// and Go ends a thread only when a goroutine exits still locked to it,
	// which nothing in this test binary does.
	ff.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	ff.cmd.Cancel = func() error { return syscall.Kill(-ff.cmd.Process.Pid, syscall.SIGKILL) }
	ff.cmd.WaitDelay = 5 * time.Second
	if err := ff.cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	go func() {
		ff.cmd.Wait()
		close(ff.exited)
	}()
	t.Cleanup(func() { ff.quit(t) })
	var addr string
	select {
	case addr = <-ff.stderr.addr:
	case <-ff.exited:
		t.Fatalf("firefox ended before it listened for WebDriver BiDi: %v; its output:\n%s", ff.cmd.ProcessState, ff.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("firefox did not say where WebDriver BiDi listens; its output:\n%s", ff.stderr)
	}
	b, err := dialBiDi(ctx, addr+"/session", ff.event)
	if err != nil {
		t.Fatal(err)
	}
	ff.bidi = b
	ff.open(t)
	return ff
}

// open starts the session, finds the tab and sizes it as the Chromium
// tests size theirs, and listens for the page's errors.
func (ff *firefox) open(t *testing.T) {
	t.Helper()
	ff.do(t, "session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	ff.do(t, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil)
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	ff.do(t, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("firefox has no tab")
	}
	ff.tab = tree.Contexts[0].Context
	// The page at its own pace, but never stopping at moments: no test
	// here is about them (the Chromium tests are).
	ff.do(t, "script.addPreloadScript", map[string]any{
		"functionDeclaration": `() => { try { localStorage.setItem('ipcpg.stops', 'off'); } catch (e) {} }`}, nil)
	ff.do(t, "browsingContext.setViewport", map[string]any{"context": ff.tab, "viewport": map[string]int{"width": 1280, "height": 720}}, nil)
}

// event keeps every error the page logs: an uncaught exception or
// rejection, or a console.error call.
func (ff *firefox) event(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Type       string `json:"type"`
		Level      string `json:"level"`
		Text       string `json:"text"`
		StackTrace struct {
			CallFrames []struct {
				URL  string `json:"url"`
				Line int    `json:"lineNumber"`
			} `json:"callFrames"`
		} `json:"stackTrace"`
	}
	if json.Unmarshal(params, &e) != nil || e.Level != "error" {
		return
	}
	msg := e.Type + ": " + e.Text
	if f := e.StackTrace.CallFrames; len(f) > 0 {
		msg += fmt.Sprintf(" (at %s:%d)", f[0].URL, f[0].Line+1)
	}
	ff.mu.Lock()
	ff.errs = append(ff.errs, msg)
	ff.mu.Unlock()
}

// takeErrors returns the errors the page logged since the last call.
func (ff *firefox) takeErrors() []string {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	errs := ff.errs
	ff.errs = nil
	return errs
}

// checkErrors fails the test for each error the page logged since the
// last check.
func (ff *firefox) checkErrors(t *testing.T) {
	t.Helper()
	for _, e := range ff.takeErrors() {
		t.Errorf("page error in firefox: %s", e)
	}
}

// quit closes the browser the polite way, then makes sure that nothing of
// its process group is left.
func (ff *firefox) quit(t *testing.T) {
	if ff.bidi != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// browser.close ends the session and quits.
		ff.bidi.call(ctx, "browser.close", nil, nil)
		cancel()
		ff.bidi.close()
	}
	select {
	case <-ff.exited:
	case <-time.After(10 * time.Second):
		t.Logf("firefox did not quit in 10s: killing it")
	}
	// The content processes share the group and may outlive the parent
	// for a moment; a group without members answers ESRCH.
	syscall.Kill(-ff.cmd.Process.Pid, syscall.SIGKILL)
	<-ff.exited
	if t.Failed() {
		t.Logf("firefox's standard error ended with:\n%s", ff.stderr)
	}
}

// do runs one command and fails the test if it fails.
func (ff *firefox) do(t *testing.T, method string, params, result any) {
	t.Helper()
	if err := ff.bidi.call(ff.ctx, method, params, result); err != nil {
		t.Fatalf("firefox: %v", err)
	}
}

// evalJSON evaluates a JavaScript expression (awaited if it is a promise)
// in the tab and decodes its value, which travels as JSON text.
func (ff *firefox) evalJSON(expr string, out any) error {
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := ff.bidi.call(ff.ctx, "script.evaluate", map[string]any{
		"expression":      "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":          map[string]string{"context": ff.tab},
		"awaitPromise":    true,
		"resultOwnership": "none",
	}, &r)
	if err != nil {
		return err
	}
	if r.Type == "exception" {
		return errors.New(r.ExceptionDetails.Text)
	}
	// undefined has no JSON text: out stays as it was.
	if r.Result.Type != "string" {
		return nil
	}
	var text string
	if err := json.Unmarshal(r.Result.Value, &text); err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), out)
}

// ffEval evaluates an expression in Firefox's tab and returns its value.
func ffEval[T any](t *testing.T, ff *firefox, expr string) T {
	t.Helper()
	var v T
	if err := ff.evalJSON(expr, &v); err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (ff *firefox) waitFor(t *testing.T, what, expr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var ok bool
		err := ff.evalJSON("!!("+expr+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ff.ctx.Err() != nil {
			t.Fatalf("waiting for %s in firefox: %s did not hold (last error: %v)", what, expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigate loads a page and waits until it has loaded.
func (ff *firefox) navigate(t *testing.T, url string) {
	t.Helper()
	ff.do(t, "browsingContext.navigate", map[string]any{"context": ff.tab, "url": url, "wait": "complete"}, nil)
}

// click presses and releases the mouse's main button over the middle of
// the element that selector names, as a person would.
func (ff *firefox) click(t *testing.T, selector string) {
	t.Helper()
	var r struct {
		Result struct {
			Type     string `json:"type"`
			SharedID string `json:"sharedId"`
		} `json:"result"`
	}
	ff.do(t, "script.evaluate", map[string]any{
		"expression":      "document.querySelector(" + strconv.Quote(selector) + ")",
		"target":          map[string]string{"context": ff.tab},
		"awaitPromise":    false,
		"resultOwnership": "none",
	}, &r)
	if r.Result.Type != "node" {
		t.Fatalf("no element %s to click", selector)
	}
	ff.do(t, "input.performActions", map[string]any{"context": ff.tab, "actions": []any{map[string]any{
		"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
		"actions": []any{
			map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{"type": "element", "element": map[string]string{"sharedId": r.Result.SharedID}}},
			map[string]any{"type": "pointerDown", "button": 0},
			map[string]any{"type": "pointerUp", "button": 0},
		},
	}}}, nil)
}

// screenshot keeps the tab's viewport as testdata/artifacts/name.
func (ff *firefox) screenshot(t *testing.T, name string) {
	t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	ff.do(t, "browsingContext.captureScreenshot", map[string]any{"context": ff.tab}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatalf("decode screenshot %s: %v", name, err)
	}
	saveArtifact(t, name, png)
}

// fillForm opens the page, picks a scenario and fills its form, with the
// same selectors and events as the Chromium tests.
func (ff *firefox) fillForm(t *testing.T, base, view, scenario string, params map[string]string) {
	t.Helper()
	ff.navigate(t, base+"/?view="+view)
	ff.waitFor(t, "the scenario list", `document.querySelector('#scenario option[value="`+scenario+`"]')`, 10*time.Second)
	ffEval[any](t, ff, fmt.Sprintf(`(() => { const s = document.querySelector('#scenario');
		s.value = %q; s.dispatchEvent(new Event('change')); })()`, scenario))
	for name, v := range params {
		ffEval[any](t, ff, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q;
			el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); })()`, "#param-"+name, v))
	}
}

// pressStart clicks Start and returns the new session's id from the
// address bar.
func (ff *firefox) pressStart(t *testing.T) string {
	t.Helper()
	ff.click(t, "#start")
	ff.waitFor(t, "the session's own address", `location.pathname.startsWith('/s/')`, 10*time.Second)
	return strings.TrimPrefix(ffEval[string](t, ff, `location.pathname`), "/s/")
}

// waitEnd waits until the page shows the session's last event, and then
// until every process box shows its exit.
func (ff *firefox) waitEnd(t *testing.T, limit time.Duration) {
	t.Helper()
	ff.waitFor(t, "the end of the session", sessionEndedJS, limit)
	ff.waitFor(t, "every process box to show its exit", boxesExitedJS, 10*time.Second)
}

// readFacts reads the stage; drawing names the shape the scenario's
// mechanism draws (a tube, a queue, a traffic light).
func (ff *firefox) readFacts(t *testing.T, drawing string) stageFacts {
	t.Helper()
	return ffEval[stageFacts](t, ff, stageFactsJS(drawing))
}

// firefoxCases covers each kind of drawing: a pipe, a queue, shared
// memory, a race on it, a semaphore, datagrams, signals and a deadlock.
// Each runs as in the Chromium test, except socket-udp: here datagrams are
// meant to be lost.
var firefoxCases = []struct {
	scenario string
	scenarioCase
}{
	{"pipe", scenarioCases["pipe"]},
	{"mq-posix", scenarioCases["mq-posix"]},
	{"shm-posix", scenarioCases["shm-posix"]},
	{"race", scenarioCases["race"]},
	{"semaphore", scenarioCases["semaphore"]},
	{"socket-udp", lossyDatagrams},
	{"signal", scenarioCases["signal"]},
	{"deadlock", scenarioCases["deadlock"]},
}

// lossyDatagrams is socket-udp with two fast clients, a tiny receive
// buffer and a slow server, so that the kernel drops datagrams and the
// stage has losses to mark. With two clients the cables slant, so the
// cable line alone must take room both ways.
var lossyDatagrams = scenarioCase{
	params:  map[string]string{"clients": "2", "messages": "150", "size": "64", "buffer": "1024", "reader_delay_ms": "1"},
	drawing: ".cable",
	check:   stageFacts.lostDatagrams,
}

// TestFirefox starts one Firefox and, for a scenario of each kind of
// drawing, fills the form and presses Start as a presenter would, waits for
// the end, checks the stage against the server and keeps a screenshot as
// testdata/artifacts/firefox-SCENARIO.png. Then it checks that the
// animation really runs in Firefox, on a pipe that fills up in projector
// mode. Any error the page's scripts log fails the test.
func TestFirefox(t *testing.T) {
	path := firefoxPath(t)
	ts := newTestServer(t)
	start := time.Now()
	ff := newFirefox(t, path, 4*time.Minute)
	t.Logf("firefox is ready after %v", time.Since(start).Round(time.Millisecond))
	t.Run("error-watch", func(t *testing.T) { firefoxErrorWatch(t, ff, ts.URL) })
	for _, c := range firefoxCases {
		t.Run(c.scenario, func(t *testing.T) {
			ff.fillForm(t, ts.URL, "normal", c.scenario, c.params)
			id := ff.pressStart(t)
			ff.waitEnd(t, 60*time.Second)
			ff.screenshot(t, "firefox-"+c.scenario+".png")
			f := ff.readFacts(t, c.drawing)
			snap := getSession(t, ts.URL, id)
			f.checkCommon(t, ts.URL, id, snap)
			c.check(f, t, snap)
			ff.checkErrors(t)
		})
	}
	t.Run("pipe-projector", func(t *testing.T) { firefoxAnimation(t, ff, ts.URL) })
	t.Logf("the whole run took %v", time.Since(start).Round(time.Millisecond))
}

// firefoxErrorWatch proves that the page's errors reach the test: an
// exception nobody catches, a rejection nobody handles and a
// console.error, raised on purpose, must all be reported.
func firefoxErrorWatch(t *testing.T, ff *firefox, base string) {
	ff.navigate(t, base+"/")
	ffEval[any](t, ff, `(() => {
		setTimeout(() => { throw new Error('raised on purpose: thrown'); });
		Promise.reject(new Error('raised on purpose: rejected'));
		console.error('raised on purpose: logged');
	})()`)
	var seen []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen = append(seen, ff.takeErrors()...)
		all := strings.Join(seen, "\n")
		if strings.Contains(all, "on purpose: thrown") && strings.Contains(all, "on purpose: rejected") && strings.Contains(all, "on purpose: logged") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page's errors do not reach the test; seen so far: %q", seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// animationJS watches the stage on every animation frame: in how many a
// token on its way moved, and each shape the pipe's fill took.
const animationJS = `(() => {
	const a = window.__anim = { frames: 0, moves: 0, fills: [], on: true };
	const last = new Map();
	const tick = () => {
		a.frames++;
		let moved = false;
		for (const el of document.querySelectorAll('#stage .token')) {
			if (el.getAttribute('visibility') !== 'visible') { last.delete(el); continue; }
			const at = el.getAttribute('transform');
			if (last.has(el) && last.get(el) !== at) moved = true;
			last.set(el, at);
		}
		if (moved) a.moves++;
		// The pipe's fill: its page slots' read and unread parts, or,
		// without slots, the bar of its bytes.
		const slots = [...document.querySelectorAll('#stage .tube-slot')].filter((g) => g.getAttribute('visibility') !== 'hidden');
		const fill = document.querySelector('#stage .tube-fill');
		const key = slots.length
			? slots.map((g) => g.querySelector('.slot-read').getAttribute('width') + '/' + g.querySelector('.slot-data').getAttribute('width')).join(' ')
			: fill && fill.getAttribute('width');
		if (key && !a.fills.includes(key)) a.fills.push(key);
		if (a.on) requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})()`

// animation is what animationJS saw.
type animation struct {
	Frames int      `json:"frames"`
	Moves  int      `json:"moves"`
	Fills  []string `json:"fills"`
}

// firefoxAnimation runs a pipe that fills up, in projector mode, as
// TestBrowserProjector does, and checks that the animation really ran:
// tokens travelled frame after frame and the fill level rose and fell.
func firefoxAnimation(t *testing.T, ff *firefox, base string) {
	params := map[string]string{"messages": "12", "size": "1024", "capacity": "4096", "reader_delay_ms": "150"}
	ff.fillForm(t, base, "projector", "pipe", params)
	// Start changes the address with history.pushState, so the watcher
	// stays for the whole session.
	ffEval[any](t, ff, animationJS)
	id := ff.pressStart(t)
	if !ffEval[bool](t, ff, `document.body.classList.contains('projector') && document.body.classList.contains('no-side')`) {
		t.Error("projector mode is not on, or the side panels still show")
	}
	ff.waitFor(t, "the child blocked in write", `document.querySelector('#stage .proc[data-proc="child"][data-state="blocked"]')`, 30*time.Second)
	ff.waitFor(t, "the FULL tag", `document.querySelector('.tube[data-full]')`, 5*time.Second)
	ff.screenshot(t, "firefox-pipe-projector-blocked.png")
	ff.waitEnd(t, 60*time.Second)
	ff.screenshot(t, "firefox-pipe-projector.png")
	anim := ffEval[animation](t, ff, `(() => { window.__anim.on = false; return window.__anim; })()`)
	t.Logf("while the pipe ran: %d frames, a token moved in %d of them, the fill took %d widths", anim.Frames, anim.Moves, len(anim.Fills))
	// Twelve messages each travel for a few hundred milliseconds: dozens
	// of frames with a token on its way. The fill goes through at least
	// empty, one, two, three and four messages.
	if anim.Moves < 30 {
		t.Errorf("a token moved in only %d of %d frames", anim.Moves, anim.Frames)
	}
	if len(anim.Fills) < 5 {
		t.Errorf("the pipe's fill took only the widths %q", anim.Fills)
	}
	f := ff.readFacts(t, scenarioCases["pipe"].drawing)
	snap := getSession(t, base, id)
	f.checkCommon(t, base, id, snap)
	f.receivedAll(t, snap)
	ff.checkErrors(t)
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser tests drive the real page in Debian's Chromium against a real
// server with real worker processes: they press Start as a presenter would,
// wait for the session to end, and check what the stage shows. Each keeps a
// screenshot in testdata/artifacts/ for a person to look at.

// chromium finds Debian's Chromium, or ends the test (see findBrowser).
func chromium(t testing.TB) string {
	t.Helper()
	return findBrowser(t, "chromium", []string{"chromium", "chromium-browser", "google-chrome"})
}

// findBrowser finds the first of names on the PATH, or ends the test: with
// CI set a missing browser is a failure, elsewhere a skip. pkg names the
// Debian package that provides it.
func findBrowser(t testing.TB, pkg string, names []string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser tests are left out of the fast lane (-short)")
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed: the browser tests need Debian's %s package (apt-get install %s)", names[0], pkg, pkg)
	}
	t.Skipf("%s is not installed; install Debian's %s package to run the browser tests", names[0], pkg)
	return ""
}

// newBrowser starts a headless Chromium for one test, in a fresh profile,
// and stops it when the test ends or its deadline passes. Errors thrown by
// the page's scripts fail the test. Its pages show events as they come
// (the page's instant playback) and never stop at moments: a test that is
// not about the pace a person can follow need not wait for it.
// newPacedBrowser keeps the page's pace; newLessonBrowser also its stops
// at moments in projector view.
func newBrowser(t testing.TB, deadline time.Duration) context.Context {
	t.Helper()
	return openBrowser(t, deadline, `localStorage.setItem('ipcpg.playback', 'instant'); localStorage.setItem('ipcpg.stops', 'off');`)
}

// newPacedBrowser is newBrowser with the page's own playback pace.
func newPacedBrowser(t testing.TB, deadline time.Duration) context.Context {
	t.Helper()
	return openBrowser(t, deadline, `localStorage.setItem('ipcpg.stops', 'off');`)
}

// newLessonBrowser is newBrowser with the page as a class sees it: at its
// own pace, stopping at moments in projector view.
func newLessonBrowser(t testing.TB, deadline time.Duration) context.Context {
	t.Helper()
	return openBrowser(t, deadline, "")
}

// openBrowser starts the browser; prefs, if any, is a script that sets
// the page's stored preferences before every document's own scripts.
func openBrowser(t testing.TB, deadline time.Duration, prefs string) context.Context {
	t.Helper()
	ctx := newChromium(t, deadline)
	if prefs != "" {
		run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `try { ` + prefs + ` } catch (e) {}`})
			return err
		}))
	}
	return ctx
}

// newChromium starts the browser itself.
func newChromium(t testing.TB, deadline time.Duration) context.Context {
	t.Helper()
	path := chromium(t)
	base, cancelBase := context.WithTimeout(context.Background(), deadline)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 720),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})
	watchErrors(t, ctx)
	return ctx
}

// watchErrors fails the test on an uncaught exception or console.error in
// the tab of ctx.
func watchErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			for _, a := range ev.Args {
				msg += string(a.Value) + " " + a.Description
			}
		default:
			return
		}
		mu.Lock()
		errs = append(errs, msg)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the page: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("page error: %s", e)
		}
	})
}

// run runs browser actions and fails the test on an error.
func run(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t testing.TB, ctx context.Context, what, expr string, limit time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// screenshot keeps the viewport as testdata/artifacts/name.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	saveArtifact(t, name, png)
}

// startFromPage opens the page, picks a scenario, fills its form and
// presses Start; it returns the new session's id from the address bar.
func startFromPage(t testing.TB, ctx context.Context, base, view, scenario string, params map[string]string, pace string) string {
	t.Helper()
	run(t, ctx,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(base+"/?view="+view),
		chromedp.WaitReady(chromedp.CSS(`#scenario option[value="`+scenario+`"]`)),
	)
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('#scenario');
		s.value = %q; s.dispatchEvent(new Event('change')); })()`, scenario))
	for name, v := range params {
		run(t, ctx, chromedp.SetValue(chromedp.CSS("#param-"+name), v))
	}
	if pace != "" {
		run(t, ctx, chromedp.SetValue(chromedp.CSS("#pace"), pace))
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#start")))
	waitFor(t, ctx, "the session's own address", `location.pathname.startsWith('/s/')`, 10*time.Second)
	return strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/s/")
}

// waitEnd waits until the page shows the session's last event, and then
// until every process box shows its exit, and returns the state the page
// shows.
func waitEnd(t testing.TB, ctx context.Context, limit time.Duration) string {
	t.Helper()
	waitFor(t, ctx, "the end of the session", sessionEndedJS, limit)
	waitFor(t, ctx, "every process box to show its exit", boxesExitedJS, 10*time.Second)
	return eval[string](t, ctx, `document.querySelector('#state').dataset.state`)
}

// sessionSnapshot is GET /api/sessions/{id}.
type sessionSnapshot struct {
	State     string `json:"state"`
	Events    int    `json:"events"`
	Processes []struct {
		Name     string `json:"name"`
		PID      int    `json:"pid"`
		State    string `json:"state"`
		ExitCode *int   `json:"exit_code"`
	} `json:"processes"`
	Result map[string]any `json:"result"`
}

func getSession(t testing.TB, base, id string) sessionSnapshot {
	t.Helper()
	res, err := http.Get(base + "/api/sessions/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s sessionSnapshot
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// procBoxes reads every process box on the stage.
func procBoxes(t *testing.T, ctx context.Context) []procBox {
	t.Helper()
	return eval[[]procBox](t, ctx, procBoxesJS)
}

// readFacts reads the stage; drawing names the shape the scenario's
// mechanism draws.
func readFacts(t *testing.T, ctx context.Context, drawing string) stageFacts {
	t.Helper()
	return eval[stageFacts](t, ctx, stageFactsJS(drawing))
}

// recordedEvent is the part of a recorded event the checks read.
type recordedEvent struct {
	Seq  int    `json:"seq"`
	T    int64  `json:"t"`
	Kind string `json:"kind"`
	Proc string `json:"proc"`
	PID  int    `json:"pid"`
	Code *int   `json:"code"`
	Sig  string `json:"sig"`
}

// recorded reads a session's events.jsonl.
func recorded(t testing.TB, base, id string) []recordedEvent {
	t.Helper()
	res, err := http.Get(base + "/api/sessions/" + id + "/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out []recordedEvent
	dec := json.NewDecoder(res.Body)
	for dec.More() {
		var e recordedEvent
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func derefInt(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func TestBrowserPipe(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "8"}, "")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the page says the session %s: %s", state, eval[string](t, ctx, `document.querySelector('#result').textContent`))
	}
	snap := getSession(t, ts.URL, id)
	checkBoxes(t, procBoxes(t, ctx), ts.URL, id, snap)
	if got := eval[string](t, ctx, `document.querySelector('#count-received').textContent`); got != "8" {
		t.Errorf("received count shows %q, want 8", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#result').textContent`); !strings.Contains(got, "8 of 8 messages received") {
		t.Errorf("result reads %q, want it to say 8 of 8 messages received", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#count-events').textContent`); got != fmt.Sprint(snap.Events) {
		t.Errorf("the page counted %s events, the session logged %d", got, snap.Events)
	}
	// The timeline has a column for every event of a process: two spawns,
	// the open, two closes, 8 writes, 9 reads (the last is end of file),
	// two exits, and any block and unblock.
	if n := eval[int](t, ctx, `Number(document.querySelector('#timeline').dataset.count)`); n < 23 {
		t.Errorf("the timeline has %d columns, want at least 23", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#timeline .tl-arrow').length`); n == 0 {
		t.Error("the timeline draws no message arrows")
	}
	// Its legend says what the marks drawn mean, and only those.
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#tl-legend .tl-key')].map((k) => k.textContent).join(',')`); !strings.Contains(got, "sent,received") || !strings.Contains(got, "ended") || strings.Contains(got, "deadlock") {
		t.Errorf("the timeline's legend lists %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.tube .eof').textContent`); !strings.Contains(got, "end of file") {
		t.Errorf("the pipe does not show end of file: %q", got)
	}
	screenshot(t, ctx, "pipe-normal.png")
	// The test server listens on 127.0.0.1: the Share dialog says that
	// students on their own devices cannot reach it.
	run(t, ctx, chromedp.Click(chromedp.CSS("#share")))
	waitFor(t, ctx, "the share dialog", `document.querySelector('#share-dialog').open && !document.querySelector('#share-local').hidden`, 5*time.Second)
}

// TestBrowserProjector runs a pipe that fills up, in projector mode at
// 1280x720: the writer must show as blocked while the pipe is full.
func TestBrowserProjector(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	params := map[string]string{"messages": "12", "size": "1024", "capacity": "4096", "reader_delay_ms": "150"}
	id := startFromPage(t, ctx, ts.URL, "projector", "pipe", params, "")
	if !eval[bool](t, ctx, `document.body.classList.contains('projector') && document.body.classList.contains('no-side')`) {
		t.Error("projector mode is not on, or the side panels still show")
	}
	// The child blocks and unblocks every 150 ms: its words are read in
	// the same instant as its state, while the pipe shows full.
	var b *procBox
	for deadline := time.Now().Add(30 * time.Second); b == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the child never showed blocked while the pipe showed FULL")
		}
		b = eval[*procBox](t, ctx, `(() => {
			const g = document.querySelector('#stage .proc[data-proc="child"][data-state="blocked"]');
			if (!g || !document.querySelector('.tube[data-full]')) return null;
			return `+procBoxJS+`(g);
		})()`)
	}
	if b.Word != "BLOCKED" || b.Detail != "in write()" {
		t.Errorf("the blocked child reads %q / %q, want BLOCKED / in write()", b.Word, b.Detail)
	}
	screenshot(t, ctx, "pipe-projector-blocked.png")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	checkBoxes(t, procBoxes(t, ctx), ts.URL, id, getSession(t, ts.URL, id))
	// The code panel shows the numbers this session ran with.
	if code := eval[string](t, ctx, `document.querySelector('#code').textContent`); !strings.Contains(code, "SIZE = 1024") ||
		!strings.Contains(code, "F_SETPIPE_SZ, 4096)") {
		t.Errorf("the code panel does not show the session's size and capacity: %.300q", code)
	}
	screenshot(t, ctx, "pipe-projector.png")
}

// TestBrowserFirstVisit opens the page as a first-time visitor would, with
// nothing remembered and no view in the address: the side panels show.
// Hiding them is remembered across a reload, and so is showing them again.
func TestBrowserFirstVisit(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 60*time.Second)
	const shown = `!document.body.classList.contains('no-side') && document.querySelector('#side').offsetWidth > 0`
	run(t, ctx,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("#scenario option")),
	)
	if !eval[bool](t, ctx, shown) || eval[bool](t, ctx, `document.body.classList.contains('projector')`) {
		t.Fatal("a first visit does not show the side panels in normal view")
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#toggle-side")))
	waitFor(t, ctx, "the panels to hide", `document.body.classList.contains('no-side')`, 5*time.Second)
	run(t, ctx, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("#scenario option")))
	if eval[bool](t, ctx, shown) {
		t.Error("the hidden panels show again after a reload")
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#toggle-side")))
	run(t, ctx, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("#scenario option")))
	if !eval[bool](t, ctx, shown) {
		t.Error("the panels shown again are hidden after a reload")
	}
}

// TestBrowserViewer opens a running session's link in a second browser
// profile: it sees the same events and processes, and no presenter
// controls, since the token lives only in the presenter's browser.
func TestBrowserViewer(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	// Long enough (about 2.4 s) to be running still when the presenter's
	// controls are checked: an ended session takes no more orders.
	params := map[string]string{"messages": "60", "reader_delay_ms": "40"}
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", params, "")
	viewer, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	watchErrors(t, viewer)
	run(t, viewer, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts.URL+"/s/"+id))
	if !eval[bool](t, ctx, `document.body.dataset.presenter === 'true'`) {
		t.Error("the presenter's tab shows no presenter controls")
	}
	waitFor(t, viewer, "the viewer's first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	if eval[bool](t, viewer, `document.body.dataset.presenter === 'true' || !!document.querySelector('#stop').offsetParent`) {
		t.Error("the viewer shows presenter controls without the token")
	}
	for _, c := range []context.Context{ctx, viewer} {
		if state := waitEnd(t, c, 60*time.Second); state != "finished" {
			t.Fatalf("a tab says the session %s", state)
		}
	}
	snap := getSession(t, ts.URL, id)
	checkBoxes(t, procBoxes(t, viewer), ts.URL, id, snap)
	want := fmt.Sprint(snap.Events)
	for name, c := range map[string]context.Context{"presenter": ctx, "viewer": viewer} {
		if got := eval[string](t, c, `document.querySelector('#count-events').textContent`); got != want {
			t.Errorf("the %s's page counted %s events, the session logged %s", name, got, want)
		}
		if got := eval[string](t, c, `document.querySelector('#result').textContent`); !strings.Contains(got, "60 of 60 messages received") {
			t.Errorf("the %s's result reads %q", name, got)
		}
	}
	screenshot(t, viewer, "pipe-viewer.png")
}

// TestBrowserViewerFollowsSpeed: when the presenter moves the speed
// slider, a viewer's page follows it, as the processes do.
func TestBrowserViewerFollowsSpeed(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 60*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "20"}, "slow")
	viewer, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	watchErrors(t, viewer)
	run(t, viewer, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts.URL+"/s/"+id))
	waitFor(t, viewer, "first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	eval[chromedp.Void](t, ctx, `(() => { const r = document.querySelector('#speed'); r.value = String(Number(r.value) + 1); r.dispatchEvent(new Event('input')); })()`)
	want := eval[string](t, ctx, `document.querySelector('#speed-out').textContent`)
	waitFor(t, viewer, "the viewer to follow "+want, `document.querySelector('#speed-out').textContent === `+"`"+want+"`", 10*time.Second)
}

// TestBrowserStep runs a pipe in step pace with the keyboard: each arrow
// right lets the process that waits longest make its next call.
func TestBrowserStep(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "2"}, "step")
	waitFor(t, ctx, "the parent waiting for a step", `document.querySelector('#stage .proc[data-proc="parent"][data-state="ready"]')`, 20*time.Second)
	if got := eval[string](t, ctx, `document.querySelector('#stage .proc[data-proc="parent"] .detail').textContent`); got != "next: pipe2()" {
		t.Errorf("the waiting parent reads %q, want next: pipe2()", got)
	}
	// The code panel marks the line the parent will run next.
	waitFor(t, ctx, "the code panel marking the parent's next line", `document.querySelector('#code .line[data-how="next"]')`, 10*time.Second)
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#code .line[data-how]')].map((l) => l.dataset.who + ': ' + l.textContent.trim())`); len(got) != 1 || !strings.HasPrefix(got[0], "parent: ") || !strings.Contains(got[0], "pipe2(fd, 0);") {
		t.Errorf("the code panel marks %q, want only the parent's pipe2 line", got)
	}
	screenshot(t, ctx, "pipe-step.png")
	lost := 0
	for i := 0; i < 40; i++ {
		if eval[bool](t, ctx, `document.querySelector('#state').dataset.state === 'finished'`) {
			break
		}
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](
			`document.querySelector('#state').dataset.state === 'finished' || !document.querySelector('#step').disabled`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			t.Fatalf("step %d: no process became ready: %v", i, err)
		}
		if eval[bool](t, ctx, `!document.querySelector('#step').disabled`) {
			// Count before the press: the stepped call may show before an
			// eval after it returns, and the next event waits for a press.
			seq := eval[int](t, ctx, eventsShownJS)
			run(t, ctx, chromedp.KeyEvent(kb.ArrowRight))
			// Wait for the stepped call to show before the next press. A
			// press that shows nothing is told apart: what the page and
			// the server said then is logged, and the step is pressed again.
			_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`%s > %d`, eventsShownJS, seq),
				chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second)))
			if err != nil {
				lost++
				snap := getSession(t, ts.URL, id)
				t.Logf("press %d showed no event in 8 s: the page at %s, its processes %s, its control error %q; the server at %d events, its processes %+v",
					i, eval[string](t, ctx, `document.querySelector('#t-pos').textContent`),
					eval[string](t, ctx, `[...document.querySelectorAll('#stage .proc')].map((p) => p.dataset.proc + ':' + p.dataset.state).join(' ')`),
					eval[string](t, ctx, `document.querySelector('#control-error').textContent`), snap.Events, snap.Processes)
			}
		}
	}
	if lost > 2 {
		t.Errorf("%d presses of the step key showed no event", lost)
	}
	if state := waitEnd(t, ctx, 30*time.Second); state != "finished" {
		t.Fatalf("the stepped session %s", state)
	}
	checkBoxes(t, procBoxes(t, ctx), ts.URL, id, getSession(t, ts.URL, id))
}

// TestBrowserFieldError asks for a bad parameter: the server's sentence
// shows next to the field it blames, and no session starts.
func TestBrowserFieldError(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 60*time.Second)
	run(t, ctx,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("#param-messages")),
		chromedp.SetValue(chromedp.CSS("#param-messages"), "0"),
		chromedp.Click(chromedp.CSS("#start")),
	)
	waitFor(t, ctx, "the field's error", `document.querySelector('#param-messages').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
	got := eval[string](t, ctx, `document.querySelector('#param-messages').closest('label').querySelector('.field-error').textContent`)
	if !strings.Contains(got, "between 1 and") {
		t.Errorf("the error next to messages reads %q", got)
	}
	if p := eval[string](t, ctx, `location.pathname`); p != "/" {
		t.Errorf("the page moved to %s after a refused start", p)
	}
	screenshot(t, ctx, "field-error.png")
}

// TestBrowserFieldErrorsAtOnce fills three number fields wrongly: each
// gets its own sentence at once, the focus goes to the first, and the page
// sends no request the server would refuse anyway.
func TestBrowserFieldErrorsAtOnce(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 60*time.Second)
	run(t, ctx,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("#param-messages")),
		chromedp.SetValue(chromedp.CSS("#param-messages"), "0"),
		chromedp.SetValue(chromedp.CSS("#param-size"), "2.5"),
		chromedp.SetValue(chromedp.CSS("#param-capacity"), "99999999"),
	)
	eval[bool](t, ctx, `(() => {
		window.posts = 0;
		const send = window.fetch;
		window.fetch = (url, opts) => {
			if (opts && opts.method === 'POST') window.posts++;
			return send(url, opts);
		};
		return true;
	})()`)
	run(t, ctx, chromedp.Click(chromedp.CSS("#start")))
	waitFor(t, ctx, "the fields' errors", `document.querySelectorAll('#params [aria-invalid="true"]').length === 3`, 10*time.Second)
	errText := func(name string) string {
		return eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#param-%s').closest('label').querySelector('.field-error').textContent`, name))
	}
	for name, want := range map[string]string{
		"messages": "messages must be between 1 and 10000, not 0",
		"size":     "size must be a whole number, not 2.5",
		"capacity": "capacity must be between 4096 and 1048576 bytes, not 99999999",
	} {
		if got := errText(name); got != want {
			t.Errorf("the error next to %s reads %q, want %q", name, got, want)
		}
	}
	if n := eval[int](t, ctx, `window.posts`); n != 0 {
		t.Errorf("the page sent %d requests for a form it could see was wrong", n)
	}
	if f := eval[string](t, ctx, `document.activeElement.id`); f != "param-messages" {
		t.Errorf("the focus is on %q, want the first wrong field", f)
	}
	if p := eval[string](t, ctx, `location.pathname`); p != "/" {
		t.Errorf("the page moved to %s", p)
	}
	screenshot(t, ctx, "field-errors.png")
	// Put right, the form goes through and the errors are gone.
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS("#param-messages"), "3"),
		chromedp.SetValue(chromedp.CSS("#param-size"), "64"),
		chromedp.SetValue(chromedp.CSS("#param-capacity"), "65536"),
		chromedp.Click(chromedp.CSS("#start")),
	)
	waitFor(t, ctx, "the session's page", `location.pathname.startsWith('/s/')`, 10*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('#params [aria-invalid="true"]').length`); n != 0 {
		t.Errorf("%d fields still marked wrong after a good start", n)
	}
	waitEnd(t, ctx, 30*time.Second)
}

// TestPageUnderLoad streams a pipe session of 3,000 messages, read about
// one per millisecond, into the page and logs how smooth the page stayed:
// the longest task the main thread ran (PerformanceObserver longtask) and
// the frame times (requestAnimationFrame deltas). It never fails on
// timing: the figures are for the docs.
//
// In "steady" the pipe holds 4 KiB (64 messages), so after a short first
// burst the reader sets the pace: a steady stream of a few thousand events
// a second. In "burst" the pipe holds 64 KiB: the writer first puts about
// a thousand messages in at once, so the first fifth of a second brings
// some 3,000 events, and the server, the workers and the browser all want
// the CPU at the same moment.
func TestPageUnderLoad(t *testing.T) {
	for _, c := range []struct{ name, capacity string }{{"steady", "4096"}, {"burst", "65536"}} {
		t.Run(c.name, func(t *testing.T) { pageUnderLoad(t, "3000", "1", c.capacity) })
	}
}

// BenchmarkPageSustained is the page fed a steady stream for about twenty
// seconds: a pipe of 10,000 messages read one every 2 ms, some 1,000 to
// 1,500 events a second. Besides the figures of TestPageUnderLoad it
// reports the page's JavaScript heap at Start, halfway and at the end
// (Chromium's performance.memory).
//
//	go test -run '^$' -bench PageSustained -benchtime 1x ./web
func BenchmarkPageSustained(b *testing.B) {
	for b.Loop() {
		pageUnderLoad(b, "10000", "2", "4096")
	}
}

func pageUnderLoad(t testing.TB, messages, readerDelay, capacity string) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 180*time.Second)
	run(t, ctx,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(ts.URL+"/?view=normal&scenario=pipe&perf"),
		chromedp.WaitReady(chromedp.CSS("#param-messages")),
	)
	eval[chromedp.Void](t, ctx, `(() => {
		const p = window.__perf = { long: [], frames: [], loaf: [], gc: [], recording: true };
		// A collection the test forces (keptHeapMiB) is no task of the
		// page's: what starts within a second of one is not counted.
		const byGC = (t) => p.gc.some((g) => t >= g && t < g + 1000);
		// Only what happens after Start counts: page load is not streaming.
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) if (p.t0 && e.startTime >= p.t0 && !byGC(e.startTime)) p.long.push(e.duration);
		}).observe({ type: 'longtask', buffered: true });
		// Long animation frames say where a slow frame went: which scripts,
		// and how long style, layout and paint took after them.
		if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) {
			new PerformanceObserver((list) => {
				for (const e of list.getEntries()) {
					if (!p.t0 || e.startTime < p.t0 || byGC(e.startTime)) continue;
					const render = e.renderStart ? e.startTime + e.duration - e.renderStart : 0;
					const layout = e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0;
					const r = Math.round;
					const scripts = e.scripts.map((x) => ' ' + (x.invoker || x.invokerType) + ' ' + (x.sourceFunctionName || '') + '@' +
						(x.sourceURL || '').split('/').pop().split('?')[0] + ' ' + r(x.duration) + ' ms');
					p.loaf.push({ d: e.duration, text: 'at +' + r(e.startTime - p.t0) + ' ms, frame ' + r(e.duration) + ' ms (blocking ' + r(e.blockingDuration) + '): render ' + r(render) +
						' ms, style and layout ' + r(layout) + ' ms;' + scripts.join(';') });
				}
			}).observe({ type: 'long-animation-frame', buffered: true });
		}
		// The heap, in MiB, as Chromium reports it: at Start, then every
		// second.
		const heap = () => (performance.memory ? performance.memory.usedJSHeapSize / 1048576 : 0);
		p.heap = [];
		document.querySelector('#start').addEventListener('click', () => {
			p.t0 = performance.now(); p.frames = []; p.heap = [heap()];
			const every = setInterval(() => { if (!p.recording) { clearInterval(every); return; } p.heap.push(heap()); }, 1000);
		});
		let last = performance.now();
		const tick = (now) => { if (!byGC(now)) p.frames.push(now - last); last = now; if (p.recording) requestAnimationFrame(tick); };
		requestAnimationFrame(tick);
	})()`)
	// The heap the page keeps, after a full collection: before Start,
	// every 5 s of the run, and at the end.
	kept := []float64{keptHeapMiB(t, ctx)}
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS("#param-messages"), messages),
		chromedp.SetValue(chromedp.CSS("#param-reader_delay_ms"), readerDelay),
		chromedp.SetValue(chromedp.CSS("#param-capacity"), capacity),
		chromedp.Click(chromedp.CSS("#start")),
	)
	waitFor(t, ctx, "the session's own address", `location.pathname.startsWith('/s/')`, 10*time.Second)
	id := strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/s/")
	start := time.Now()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](sessionEndedJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err == nil {
			break
		}
		if time.Since(start) > 150*time.Second {
			t.Fatalf("the session did not end in 150 s: %v", err)
		}
		kept = append(kept, keptHeapMiB(t, ctx))
	}
	if state := waitEnd(t, ctx, 10*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	wall := time.Since(start)
	kept = append(kept, keptHeapMiB(t, ctx))
	type perf struct {
		Heap   []float64 `json:"heap"`
		Long   []float64 `json:"long"`
		Frames []float64 `json:"frames"`
		Loaf   []struct {
			D    float64 `json:"d"`
			Text string  `json:"text"`
		} `json:"loaf"`
	}
	p := eval[perf](t, ctx, `(() => { window.__perf.recording = false; return window.__perf; })()`)
	snap := getSession(t, ts.URL, id)
	frames := p.Frames
	if len(frames) > 1 {
		frames = frames[1:]
	}
	sorted := append([]float64(nil), frames...)
	slices.Sort(sorted)
	maxLong := 0.0
	for _, d := range p.Long {
		maxLong = max(maxLong, d)
	}
	secs := sessionSeconds(t, ts.URL, id)
	t.Logf("page under load: %d events, the session ran %.2f s (%.0f events/s), the page showed its end %v after Start; "+
		"long tasks: %d, longest %.0f ms; frames: %d, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms",
		snap.Events, secs, float64(snap.Events)/secs, wall.Round(time.Millisecond),
		len(p.Long), maxLong, len(sorted), pct(sorted, 50), pct(sorted, 95), pct(sorted, 99), pct(sorted, 100))
	slices.SortFunc(p.Loaf, func(a, b struct {
		D    float64 `json:"d"`
		Text string  `json:"text"`
	}) int {
		return int(b.D - a.D)
	})
	t.Logf("time per part of a frame (ms): %s", eval[string](t, ctx, `Object.entries(window.ipcpgPerf || {}).filter(([k]) => k !== 'slow').map(([k, v]) =>
		k + ' n=' + v.n + ' mean=' + (v.sum / v.n).toFixed(2) + ' max=' + v.max.toFixed(1)).join('; ')`))
	t.Logf("slow parts (t0 %s): %s", eval[string](t, ctx, `String(Math.round(window.__perf.t0))`), eval[string](t, ctx, `((window.ipcpgPerf || {}).slow || []).join('; ')`))
	if n := len(p.Heap); n > 0 {
		each := make([]string, n)
		for i, h := range p.Heap {
			each[i] = fmt.Sprintf("%.1f", h)
		}
		t.Logf("JS heap in use (MiB, garbage included): at Start %.1f, halfway %.1f, at the end %.1f, most %.1f; every second: %s",
			p.Heap[0], p.Heap[n/2], p.Heap[n-1], slices.Max(p.Heap), strings.Join(each, " "))
	}
	each := make([]string, len(kept))
	for i, h := range kept {
		each[i] = fmt.Sprintf("%.2f", h)
	}
	t.Logf("JS heap kept after a full collection (MiB): before Start %.2f, at the end %.2f; every 5 s: %s",
		kept[0], kept[len(kept)-1], strings.Join(each, " "))
	for i, f := range p.Loaf {
		if i == 5 {
			break
		}
		t.Logf("long animation frame: %s", f.Text)
	}
	if got := eval[string](t, ctx, `document.querySelector('#count-events').textContent.replace(/,/g, '')`); got != fmt.Sprint(snap.Events) {
		t.Errorf("the page counted %s events, the session logged %d", got, snap.Events)
	}
	screenshot(t, ctx, "pipe-load-"+capacity+".png")
}

// keptHeapMiB collects the page's garbage and reports the JavaScript heap
// still in use, in MiB: what the page holds on to.
func keptHeapMiB(t testing.TB, ctx context.Context) float64 {
	t.Helper()
	eval[chromedp.Void](t, ctx, `window.__perf && window.__perf.gc.push(performance.now())`)
	if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatalf("collect the page's garbage: %v", err)
	}
	u, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatalf("the page's heap: %v", err)
	}
	return u.UsedSize / (1 << 20)
}

// sessionSeconds is the time from a session's first event to its last.
func sessionSeconds(t testing.TB, base, id string) float64 {
	t.Helper()
	evs := recorded(t, base, id)
	if len(evs) == 0 {
		return 0
	}
	return float64(evs[len(evs)-1].T) / 1e9
}

// pct is the p-th percentile of sorted values.
func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// cutProxy forwards TCP connections to a server and can cut every
// connection open at a moment, as a network that drops would.
type cutProxy struct {
	ln    net.Listener
	to    string
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	cuts  int
}

// newCutProxy listens on a loopback port in front of the address to and
// stops when the test ends.
func newCutProxy(t *testing.T, to string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, to: to, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *cutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

// pipe copies both ways between the browser's connection and one to the
// server, until either side closes.
func (p *cutProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.to)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// cut closes every connection open now and says how many there were.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		c.Close()
		n++
	}
	p.cuts++
	return n
}

// TestBrowserReconnect drops the viewer's connection in the middle of a
// session, twice: the page's own reconnect code opens the stream again
// with ?from= the next event it needs, and in the end the page has shown
// every event exactly once (the model reports a skipped or repeated seq as
// a page error) and the same result as the server.
func TestBrowserReconnect(t *testing.T) {
	ts := newTestServer(t)
	proxy := newCutProxy(t, ts.Listener.Addr().String())
	ctx := newBrowser(t, 120*time.Second)
	// Every WebSocket the page opens is recorded, to see the reconnects.
	run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__sockets = [];
			const Real = window.WebSocket;
			window.WebSocket = class extends Real {
				constructor(url, p) { super(url, p); window.__sockets.push(String(url)); }
			};`})
		return err
	}))
	params := map[string]string{"messages": "60", "reader_delay_ms": "40"}
	id := startFromPage(t, ctx, proxy.URL(), "normal", "pipe", params, "")
	for i, at := range []int{15, 60} {
		// The page shows events at a pace one can follow, behind the
		// stream: the cut is timed by the events it has received.
		waitFor(t, ctx, "events before the cut", fmt.Sprintf(`Number(document.querySelector('#t-scrub').max) >= %d`, at), 30*time.Second)
		if eval[bool](t, ctx, `document.querySelector('#state').dataset.state === 'finished'`) {
			t.Fatalf("the session ended before cut %d; make it longer", i+1)
		}
		n := proxy.cut()
		t.Logf("cut %d: %d connections dropped", i+1, n)
		waitFor(t, ctx, "the page reconnecting", fmt.Sprintf(`window.__sockets.length >= %d`, i+2), 20*time.Second)
	}
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	snap := getSession(t, ts.URL, id)
	sockets := eval[[]string](t, ctx, `window.__sockets`)
	t.Logf("the page opened %v", sockets)
	if len(sockets) < 3 {
		t.Fatalf("the page opened %d streams, want 3 (the first and two reconnects)", len(sockets))
	}
	for _, u := range sockets[1:] {
		if !strings.Contains(u, "?from=") {
			t.Errorf("a reconnect asked for %s, without ?from=", u)
		}
	}
	if got := eval[string](t, ctx, `document.querySelector('#count-events').textContent.replace(/,/g, '')`); got != fmt.Sprint(snap.Events) {
		t.Errorf("the page counted %s events, the session logged %d", got, snap.Events)
	}
	if got := eval[string](t, ctx, `document.querySelector('#result').textContent`); !strings.Contains(got, "60 of 60 messages received") {
		t.Errorf("the result reads %q", got)
	}
	if n := eval[int](t, ctx, `Number(document.querySelector('#timeline').dataset.count)`); n < 120 {
		t.Errorf("the timeline has %d columns, want at least 120 (60 writes, 60 reads)", n)
	}
	checkBoxes(t, procBoxes(t, ctx), ts.URL, id, snap)
	screenshot(t, ctx, "pipe-reconnect.png")
}

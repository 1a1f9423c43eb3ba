package web

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The line under the stage sums a session up when it ends, and the line
// above it counts while it runs. Both are read from the back of a room:
// the result in words a student knows, the most telling first; the counts
// whole, every one the session has, on a laptop with the side panels and
// on a projector.

// resultCase is one scenario run to its end, and the phrases its result
// must say, in this order.
type resultCase struct {
	scenario string
	params   map[string]string
	says     []string
}

// resultCases have results with different fields: messages and bytes, a
// flag said as a sentence, a counter with its lock, a deadlock's victim
// and the one that finished, a semaphore's most inside, signals merged or
// not.
var resultCases = []resultCase{
	{"pipe", map[string]string{"messages": "8", "size": "64"},
		[]string{"Finished. ", "8 of 8 messages received", "(512 bytes)"}},
	{"fifo", map[string]string{"messages": "6", "size": "64", "reader_arrives_ms": "300"},
		[]string{"6 of 6 messages received", "(384 bytes)", " · the writer waited in open() for a reader"}},
	{"race", map[string]string{"workers": "2", "increments": "200", "sync": "semaphore"},
		[]string{"Final counter 400, expected 400: no update lost", " · a semaphore locked each read and write together",
			" waited for the lock"}},
	{"deadlock", map[string]string{"hold_ms": "300"},
		[]string{"Deadlock: the server killed worker-", " to break it", " · worker-", " finished"}},
	{"semaphore", map[string]string{"processes": "3", "permits": "1", "rounds": "1", "hold_ms": "80"},
		[]string{"At most 1 inside at once, with 1 permit", " · processes went in 3 times (1 round each)", " after a wait"}},
	{"signal", map[string]string{"signals": "5", "signal": "SIGRTMIN+1"},
		[]string{"5 of 5 signals delivered, none merged"}},
}

// rawKey is a result field's own name, which the page must never show;
// holeWord is what a value missing from a sentence reads as.
var (
	rawKey   = regexp.MustCompile(`[a-z]+_[a-z_]+`)
	holeWord = regexp.MustCompile(`undefined|NaN|\[object`)
)

// resultShownJS reads the result line: its text, and whether it shows
// whole in its two lines.
const resultShownJS = `(() => {
	const r = document.querySelector('#result');
	return { text: r.textContent, whole: !r.hidden && r.scrollHeight <= r.clientHeight + 1 };
})()`

type resultShown struct {
	Text  string `json:"text"`
	Whole bool   `json:"whole"`
}

// TestBrowserResultWords runs scenarios whose results have different
// fields to their end and reads the result line at 1366x768 in normal
// view: the plain phrases in the order a student looks for them, no field
// under its raw name, nothing cut off. Then the same line in projector
// view at 1280x720 must show whole too. Each leaves a screenshot of both.
func TestBrowserResultWords(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 300*time.Second)
	for _, c := range resultCases {
		t.Run(c.scenario, func(t *testing.T) {
			startFromPage(t, ctx, ts.URL, "normal", c.scenario, c.params, "")
			run(t, ctx, chromedp.EmulateViewport(1366, 768))
			if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
				t.Fatalf("the session %s: %s", state, eval[string](t, ctx, `document.querySelector('#result').textContent`))
			}
			got := waitResultWhole(t, ctx, "normal view at 1366x768")
			screenshot(t, ctx, "result-"+c.scenario+"-normal.png")
			checkSays(t, got.Text, c.says)
			if k := rawKey.FindString(got.Text); k != "" {
				t.Errorf("the result shows the raw field name %q: %q", k, got.Text)
			}
			if hole := holeWord.FindString(got.Text); hole != "" {
				t.Errorf("the result has a hole (%q): %q", hole, got.Text)
			}
			run(t, ctx, chromedp.EmulateViewport(1280, 720), chromedp.KeyEvent("p"))
			waitFor(t, ctx, "projector mode", `document.body.classList.contains('projector')`, 5*time.Second)
			if again := waitResultWhole(t, ctx, "projector view at 1280x720"); again.Text != got.Text {
				t.Errorf("the projector's result reads %q, the normal view's %q", again.Text, got.Text)
			}
			screenshot(t, ctx, "result-"+c.scenario+"-projector.png")
		})
	}
}

// waitResultWhole waits until the result line shows whole, which may take
// a frame after the view changed, and returns it.
func waitResultWhole(t *testing.T, ctx context.Context, view string) resultShown {
	t.Helper()
	var r resultShown
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r = eval[resultShown](t, ctx, resultShownJS); r.Whole {
			return r
		}
		if time.Now().After(deadline) {
			t.Errorf("in %s the result does not fit its lines: %q", view, r.Text)
			return r
		}
	}
}

// checkSays checks that text says each phrase, in order.
func checkSays(t *testing.T, text string, says []string) {
	t.Helper()
	rest := text
	for _, p := range says {
		i := strings.Index(rest, p)
		if i < 0 {
			where := "at all"
			if strings.Contains(text, p) {
				where = "in its place"
			}
			t.Errorf("the result does not say %q %s: %q", p, where, text)
			return
		}
		rest = rest[i+len(p):]
	}
}

// countsFitJS watches the status line in every frame until the page shows
// the session ended, and records in window.__countsFit each count that
// shows (not hidden, not left out by the view's style) outside the
// counts' box or the status line, or under the presenter's buttons, and
// how many frames showed all the counts named in need beside the buttons.
func countsFitJS(need []string) string {
	list, _ := json.Marshal(need)
	return `((need) => {
	const rec = window.__countsFit = { frames: 0, full: 0, bad: [] };
	const ended = () => ['finished', 'failed', 'stopped'].includes(document.querySelector('#state').dataset.state);
	const inside = (r, o) => r.left >= o.left - 0.5 && r.right <= o.right + 0.5 && r.top >= o.top - 0.5 && r.bottom <= o.bottom + 0.5;
	const px = (r) => Math.round(r.left) + '..' + Math.round(r.right) + ' x ' + Math.round(r.top) + '..' + Math.round(r.bottom);
	const tick = () => {
		if (ended()) return;
		rec.frames++;
		const status = document.querySelector('.status').getBoundingClientRect();
		const counts = document.querySelector('#counts').getBoundingClientRect();
		const controls = document.querySelector('#controls');
		const buttons = controls.offsetParent ? controls.getBoundingClientRect() : null;
		const shown = [...document.querySelectorAll('#counts .count')].filter((c) => !c.hidden && getComputedStyle(c).display !== 'none');
		for (const c of shown) {
			const r = c.getBoundingClientRect();
			if (r.width > 0 && r.height > 0 && inside(r, counts) && inside(r, status) && (!buttons || r.right <= buttons.left)) continue;
			if (rec.bad.length < 8) {
				rec.bad.push('"' + c.textContent + '" at ' + px(r) + '; counts ' + px(counts) + ', status ' + px(status) +
					(buttons ? ', buttons from ' + Math.round(buttons.left) : '') + ' (' + document.querySelector('#state').dataset.state + ')');
			}
		}
		const names = shown.map((c) => c.querySelector('b').id.replace('count-', ''));
		if (buttons && need.every((n) => names.includes(n))) rec.full++;
		requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})(` + string(list) + `)`
}

type countsFit struct {
	Frames int      `json:"frames"`
	Full   int      `json:"full"`
	Bad    []string `json:"bad"`
}

// TestBrowserStatusCounts runs a UDP session whose datagrams mostly fall
// off a full buffer, so that it has every count there is (events, sent,
// received, lost, and blocks for the server's waits), and checks in every
// frame while it runs that each count shows whole on the status line,
// beside the presenter's buttons: in normal view at 1366x768 with the side
// panels, and in projector view at 1280x720.
func TestBrowserStatusCounts(t *testing.T) {
	ts := newTestServer(t)
	// Few enough events for the page to show each in turn, rather than
	// catch up many a frame: the lost ones, which come last, stay on the
	// line for a while before the end.
	params := map[string]string{"clients": "1", "messages": "20", "size": "64", "buffer": "1", "reader_delay_ms": "20"}
	// The projector leaves the event count to the log, on purpose.
	for _, v := range []struct {
		view          string
		width, height int64
		need          []string
	}{
		{"normal", 1366, 768, []string{"events", "sent", "received", "lost", "blocks"}},
		{"projector", 1280, 720, []string{"sent", "received", "lost", "blocks"}},
	} {
		t.Run(v.view, func(t *testing.T) {
			ctx := newPacedBrowser(t, 120*time.Second)
			startFromPage(t, ctx, ts.URL, v.view, "socket-udp", params, "")
			run(t, ctx, chromedp.EmulateViewport(v.width, v.height))
			eval[chromedp.Void](t, ctx, countsFitJS(v.need))
			waitFor(t, ctx, "a lost count", `document.querySelector('#count-lost')?.parentElement.hidden === false`, 60*time.Second)
			screenshot(t, ctx, fmt.Sprintf("status-counts-%s.png", v.view))
			if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
				t.Fatalf("the session %s", state)
			}
			rec := eval[countsFit](t, ctx, `window.__countsFit`)
			t.Logf("%d frames watched, %d with every count", rec.Frames, rec.Full)
			for _, b := range rec.Bad {
				t.Errorf("a count does not show whole: %s", b)
			}
			if rec.Full == 0 {
				t.Errorf("no frame showed the counts %v beside the presenter's buttons (%d frames watched)", v.need, rec.Frames)
			}
		})
	}
}

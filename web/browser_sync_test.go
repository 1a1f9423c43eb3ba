package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The synchronisation scenarios draw text between the two columns of
// process boxes: the race's counter and the additions under it, the
// semaphore's queue and who is inside, the bytes of the shared memory.
// These tests run them with many processes, in projector and in normal
// view, and check while they run that none of it runs under a process box
// (or its halo, the frame a blocked or waiting process gets) or off the
// stage, and that no line is cut short.

// syncLayoutJS installs a check that runs on every animation frame until
// the session ends and keeps in window.__sync every problem it sees, once each, and
// the longest queue it saw beside a semaphore's light.
const syncLayoutJS = `(() => {
	const seen = new Set();
	const s = window.__sync = { problems: [], queue: 0, pairs: 0 };
	const note = (p) => { if (!seen.has(p)) { seen.add(p); s.problems.push(p); } };
	const hidden = (el) => { for (let e = el; e && e.getAttribute; e = e.parentNode) if (e.getAttribute('visibility') === 'hidden') return true; return false; };
	const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
	const nums = (t) => (t.match(/[\d,]+/g) || []).map((x) => Number(x.replace(/,/g, '')));
	const check = () => {
		const svg = document.querySelector('#stage svg');
		if (!svg || !svg.getScreenCTM()) return;
		const m = svg.getScreenCTM();
		const vb = svg.viewBox.baseVal;
		const panel = document.querySelector('#stage').getBoundingClientRect();
		const stage = { left: Math.max(m.e, panel.left), top: Math.max(m.f, panel.top),
			right: Math.min(m.e + vb.width * m.a, panel.right), bottom: Math.min(m.f + vb.height * m.d, panel.bottom) };
		let queue = 0;
		const halos = [...svg.querySelectorAll('.proc .halo')].map((h) => [h.closest('.proc').dataset.proc, h.getBoundingClientRect()]);
		const sels = ['.counter', '.counter-sub', '.shm .obj-label', '.shm .cell', '.shm-sem', '.light .obj-label', '.light .sem-value',
			'.light .end-label', '.sem-queue', '.sem-inside', '.housing', '.slot-name'];
		for (const sel of sels) {
			for (const g of svg.querySelectorAll(sel)) {
				// The queue beside a light may be one line or a group of them.
				for (const el of g.tagName === 'g' && sel === '.sem-queue' ? g.querySelectorAll('text') : [g]) {
					const text = el.textContent;
					if (hidden(el) || (el.tagName === 'text' && !text)) continue;
					const r = el.getBoundingClientRect();
					if (!r.width) continue;
					const what = sel + (text ? ' "' + text + '"' : '');
					if (r.left < stage.left - 1 || r.right > stage.right + 1 || r.top < stage.top - 1 || r.bottom > stage.bottom + 1) note('off the stage: ' + what);
					for (const [name, h] of halos) if (hit(r, h)) note('under ' + name + "'s box: " + what);
					if ((sel === '.counter' || sel === '.counter-sub' || sel === '.sem-queue') && text.includes('…')) note('cut short: ' + what);
					if (sel === '.sem-queue') queue += (text.match(/worker-\d+/g) || []).length;
				}
			}
		}
		s.queue = Math.max(s.queue, queue);
		// With a lock the counter is the number of additions made: a
		// line that gives the additions exactly never shows fewer.
		const c = svg.querySelector('.counter');
		const sub = svg.querySelector('.counter-sub');
		if (c && sub && /^[\d,]+ of [\d,]+ additions made$/.test(sub.textContent)) {
			s.pairs++;
			if (nums(c.textContent)[0] > nums(sub.textContent)[0]) note('the counter reads more than the additions made: ' + c.textContent + ' / ' + sub.textContent);
		}
	};
	const tick = () => {
		check();
		if (!['finished', 'failed', 'stopped'].includes(document.querySelector('#state').dataset.state)) requestAnimationFrame(tick);
	};
	requestAnimationFrame(() => requestAnimationFrame(tick));
})()`

// syncLayout is what the check saw.
type syncLayout struct {
	Problems []string `json:"problems"`
	Queue    int      `json:"queue"`
	Pairs    int      `json:"pairs"`
}

// syncViews are the screens the tests use: a classroom projector and a
// laptop with the side panels.
var syncViews = []struct {
	view string
	w, h int64
}{{"projector", 1280, 720}, {"normal", 1366, 768}}

// startSync starts a scenario from the page in a view, brings the window to
// the view's size and starts the layout check.
func startSync(t *testing.T, ctx context.Context, base, view string, w, h int64, scenario string, params map[string]string, pace string) {
	t.Helper()
	startFromPage(t, ctx, base, view, scenario, params, pace)
	run(t, ctx, chromedp.EmulateViewport(w, h))
	eval[chromedp.Void](t, ctx, syncLayoutJS)
}

// endSync waits for the session to end, checks the stage once more, keeps
// a screenshot and returns what the check saw.
func endSync(t *testing.T, ctx context.Context, name string) syncLayout {
	t.Helper()
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	screenshot(t, ctx, name)
	got := eval[syncLayout](t, ctx, `window.__sync`)
	for _, p := range got.Problems {
		t.Error(p)
	}
	return got
}

// TestBrowserSyncLayout runs the race with eight workers and a futex lock
// (progress reports, then every read and write an event), the semaphore
// with eight processes and one permit (a queue of up to seven), and the race
// stepped with two workers (full-size boxes beside the grid).
func TestBrowserSyncLayout(t *testing.T) {
	ts := newTestServer(t)
	t.Run("race-reports", func(t *testing.T) {
		ctx := newBrowser(t, 90*time.Second)
		startSync(t, ctx, ts.URL, "projector", 1280, 720, "race", map[string]string{"workers": "8", "increments": "300000", "sync": "futex"}, "")
		endSync(t, ctx, "sync-race-reports-projector.png")
		if got := eval[string](t, ctx, `(document.querySelector('#stage .counter-sub') || {}).textContent || ''`); got != "expected 2,400,000: no update lost" {
			t.Errorf("at the end the line under the counter reads %q", got)
		}
	})
	t.Run("race-detail", func(t *testing.T) {
		// At the page's own pace: the check reads the counter's line
		// frame by frame while the additions are shown.
		ctx := newPacedBrowser(t, 90*time.Second)
		startSync(t, ctx, ts.URL, "normal", 1366, 768, "race", map[string]string{"workers": "4", "increments": "3", "sync": "futex"}, "")
		got := endSync(t, ctx, "sync-race-detail-normal.png")
		t.Logf("the additions made were checked against the counter %d times", got.Pairs)
		if got.Pairs == 0 {
			t.Error("the line under the counter never gave the additions made")
		}
	})
	for _, v := range syncViews {
		t.Run("semaphore-"+v.view, func(t *testing.T) {
			ctx := newBrowser(t, 90*time.Second)
			params := map[string]string{"processes": "8", "permits": "1", "rounds": "1", "hold_ms": "150"}
			startSync(t, ctx, ts.URL, v.view, v.w, v.h, "semaphore", params, "")
			if got := endSync(t, ctx, "sync-semaphore-"+v.view+".png"); got.Queue < 4 {
				t.Errorf("the longest queue the light showed had %d processes; the check wants four or more", got.Queue)
			}
		})
	}
	// A ring of small cells squeezed between two full-size boxes on a
	// laptop with the side panels open: slot names, which only large cells
	// have room for, once ran under the writer's box.
	t.Run("shm-ring-narrow", func(t *testing.T) {
		ctx := newBrowser(t, 90*time.Second)
		startSync(t, ctx, ts.URL, "normal", 1280, 720, "shm-sysv", map[string]string{"messages": "6"}, "slow")
		endSync(t, ctx, "sync-shm-ring-narrow-normal.png")
	})
	t.Run("race-step", func(t *testing.T) {
		ctx := newBrowser(t, 90*time.Second)
		startSync(t, ctx, ts.URL, "normal", 1366, 768, "race", map[string]string{"workers": "2", "increments": "2", "sync": "none"}, "step")
		for i := 0; i < 60 && !eval[bool](t, ctx, `document.querySelector('#state').dataset.state === 'finished'`); i++ {
			waitFor(t, ctx, "a process ready for a step", `document.querySelector('#state').dataset.state === 'finished' || !document.querySelector('#step').disabled`, 20*time.Second)
			if eval[bool](t, ctx, `document.querySelector('#step').disabled`) {
				continue
			}
			if i == 12 {
				screenshot(t, ctx, "sync-race-step-normal.png")
			}
			seq := eval[int](t, ctx, eventsShownJS)
			run(t, ctx, chromedp.Click(chromedp.CSS("#step")))
			waitFor(t, ctx, "the step's event", fmt.Sprintf(`%s > %d || document.querySelector('#state').dataset.state === 'finished'`, eventsShownJS, seq), 20*time.Second)
		}
		endSync(t, ctx, "sync-race-step-end-normal.png")
		if got := eval[string](t, ctx, `document.querySelector('#stage .counter').textContent`); !strings.HasPrefix(got, "counter = ") {
			t.Errorf("the stepped race's counter reads %q", got)
		}
	})
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The playback tests check the page's one clock for live and replay: a
// run over on the server before the page drew it is still played in
// full, a step back shows the frame the page showed live at that seq, a
// viewer watches without the form, and projector view offers Run again.

// recordFramesJS starts recording, once a frame, the stage as drawn at
// each seq the page shows (window.liveFrames), when the drawing has
// stayed the same for two frames: a settled frame, not one half built.
// The travelling tokens are left out; they fly between frames.
const recordFramesJS = `(() => {
	window.liveFrames = {};
	let last = '', lastSeq = -1;
	const tick = () => {
		const seq = Number(document.querySelector('#t-scrub').value);
		const sig = stageSig();
		if (seq === lastSeq && sig === last && !(seq in window.liveFrames)) window.liveFrames[seq] = sig;
		last = sig; lastSeq = seq;
		requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})()`

// stageSigJS defines stageSig: the stage's drawing as seen, without its
// tokens and without the hidden elements the drawing keeps for reuse.
const stageSigJS = `window.stageSig = () => {
	const svg = document.querySelector('#stage svg');
	if (!svg) return '';
	const c = svg.cloneNode(true);
	c.querySelector('.layer-tokens')?.remove();
	for (const el of c.querySelectorAll('[visibility="hidden"]')) el.remove();
	return c.outerHTML;
}`

// shownSeqJS is the seq of the event the page shows.
const shownSeqJS = `Number(document.querySelector('#t-scrub').value)`

// settledSigJS waits two frames and returns the seq shown and the stage,
// if the stage did not change between them.
const settledSigJS = `new Promise((resolve) => requestAnimationFrame(() => { const a = stageSig();
	requestAnimationFrame(() => requestAnimationFrame(() => { const b = stageSig();
	resolve(JSON.stringify({ seq: Number(document.querySelector('#t-scrub').value), same: a === b, sig: b })); })); }))`

// settled is a stage that stayed the same over two frames, and its seq.
type settled struct {
	Seq  int    `json:"seq"`
	Same bool   `json:"same"`
	Sig  string `json:"sig"`
}

// settledStage waits for the stage to settle and returns it; where says
// when, for the failure.
func settledStage(t *testing.T, ctx context.Context, where string) settled {
	t.Helper()
	var got settled
	for i := 0; i < 20 && !got.Same; i++ {
		if err := json.Unmarshal([]byte(evalAwait[string](t, ctx, settledSigJS)), &got); err != nil {
			t.Fatal(err)
		}
	}
	if !got.Same {
		t.Fatalf("the stage did not settle %s", where)
	}
	return got
}

// TestBrowserStepBack plays a pipe session while recording each settled
// frame, then steps back three events with the arrow key: the stage must
// be the frame shown live at that seq.
func TestBrowserStepBack(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 120*time.Second)
	startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "12"}, "realtime")
	eval[chromedp.Void](t, ctx, stageSigJS)
	eval[chromedp.Void](t, ctx, recordFramesJS)
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	end := eval[int](t, ctx, shownSeqJS)
	for i := 0; i < 3; i++ {
		run(t, ctx, chromedp.KeyEvent(kb.ArrowLeft))
	}
	waitFor(t, ctx, "three events back", fmt.Sprintf(`%s < %d`, shownSeqJS, end), 5*time.Second)
	got := settledStage(t, ctx, "after the step back")
	live := eval[string](t, ctx, fmt.Sprintf(`window.liveFrames[%d] ?? ''`, got.Seq))
	if live == "" {
		t.Fatalf("no settled live frame was seen at seq %d (seen: %s)", got.Seq, eval[string](t, ctx, `Object.keys(window.liveFrames).join(',')`))
	}
	if live != got.Sig {
		t.Errorf("the stage at seq %d after a step back differs from the live frame:\nlive: %s\nback: %s", got.Seq, live, got.Sig)
	}
	if got.Seq >= end || end-got.Seq > 40 {
		t.Errorf("three steps back went from seq %d to %d", end, got.Seq)
	}
	if state := eval[string](t, ctx, `document.querySelector('#state').dataset.state`); state == "finished" {
		t.Errorf("three events before the end the badge says %s", state)
	}
	if !eval[bool](t, ctx, `document.querySelector('#result').hidden`) {
		t.Error("three events before the end the result line is shown")
	}
	screenshot(t, ctx, "step-back.png")
	// Forward again to the end: the result comes back.
	eval[chromedp.Void](t, ctx, `document.querySelector('#t-mnext').click()`)
	waitFor(t, ctx, "the end again", sessionEndedJS, 10*time.Second)
}

// TestBrowserFastRunPlaysInFull: a UDP session is over on the server in a
// fraction of a second; the page still plays every event at a pace one can
// follow, says the processes have finished while it plays them back, and
// draws the datagrams lost.
func TestBrowserFastRunPlaysInFull(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 150*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "socket-udp", fastLossyDatagrams, "realtime")
	waitFor(t, ctx, "the page saying it plays back what happened",
		`document.querySelector('#behind').textContent.includes('the processes finished at')`, 20*time.Second)
	// Well into the run: the cables are up and datagrams travel.
	waitFor(t, ctx, "datagrams on their way", fmt.Sprintf(`%s > 60`, shownSeqJS), 30*time.Second)
	mid := eval[string](t, ctx, `document.querySelector('#behind').textContent`)
	snap := getSession(t, ts.URL, id)
	shown := eval[int](t, ctx, shownSeqJS)
	if shown >= snap.Events {
		t.Fatalf("the page was already at seq %d of %d when it said %q", shown, snap.Events, mid)
	}
	if pos := eval[string](t, ctx, `document.querySelector('#t-pos').textContent`); !strings.HasSuffix(pos, fmt.Sprintf("/ %d", snap.Events)) {
		t.Errorf("the transport bar says %q, not where it is of %d events", pos, snap.Events)
	}
	screenshot(t, ctx, "udp-playing-back.png")
	if state := waitEnd(t, ctx, 120*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	if got := eval[int](t, ctx, eventsShownJS); got != snap.Events {
		t.Errorf("the page counted %d events, the session logged %d", got, snap.Events)
	}
	screenshot(t, ctx, "udp-played-in-full.png")
	facts := readFacts(t, ctx, ".cables > g")
	snap = getSession(t, ts.URL, id)
	facts.lostDatagrams(t, snap)
	if lost, _ := snap.Result["lost"].(float64); lost == 0 {
		t.Error("no datagram was lost: the run did not test that drops are drawn")
	}
}

// fastLossyDatagrams is a UDP run the kernel drops datagrams in (a tiny
// receive buffer, a slow server), over in a fraction of a second, short
// enough to be shown event by event without moments.
var fastLossyDatagrams = map[string]string{"clients": "2", "messages": "50", "size": "64", "buffer": "1024", "reader_delay_ms": "1"}

// TestBrowserViewerWatches: a shared link opened without the presenter's
// token watches: no form to start a session, until the viewer asks to try.
func TestBrowserViewerWatches(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 90*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "6"}, "realtime")
	viewer, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	watchErrors(t, viewer)
	run(t, viewer, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts.URL+"/s/"+id))
	waitFor(t, viewer, "the viewer's first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	if eval[bool](t, viewer, `!!document.querySelector('#setup').offsetParent || !!document.querySelector('#start').offsetParent`) {
		t.Error("the viewer's page shows the Start form")
	}
	if !eval[bool](t, ctx, `!!document.querySelector('#setup').offsetParent`) {
		t.Error("the presenter's page lost its form")
	}
	screenshot(t, viewer, "viewer-watches.png")
	run(t, viewer, chromedp.Click(chromedp.CSS("#try")))
	waitFor(t, viewer, "the form after Try it yourself", `!!document.querySelector('#start').offsetParent`, 5*time.Second)
}

// TestBrowserRunAgain: in projector view, once a run has been shown, Run
// again starts another with the same parameters, on its own address.
func TestBrowserRunAgain(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	first := startFromPage(t, ctx, ts.URL, "projector", "pipe", map[string]string{"messages": "5"}, "realtime")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	waitFor(t, ctx, "Run again", `!!document.querySelector('#run-again').offsetParent && !!document.querySelector('#new-session').offsetParent`, 5*time.Second)
	screenshot(t, ctx, "projector-run-again.png")
	run(t, ctx, chromedp.Click(chromedp.CSS("#run-again")))
	waitFor(t, ctx, "a new session's address", fmt.Sprintf(`location.pathname.startsWith('/s/') && location.pathname !== '/s/%s'`, first), 10*time.Second)
	second := strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/s/")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the second session %s", state)
	}
	a, b := getSession(t, ts.URL, first), getSession(t, ts.URL, second)
	if len(a.Processes) != len(b.Processes) || eval[bool](t, ctx, `!document.body.classList.contains('projector')`) {
		t.Errorf("Run again made another session: %d processes, then %d", len(a.Processes), len(b.Processes))
	}
}

// evalAwait evaluates a JavaScript expression that gives a promise, and
// decodes what it resolves to.
func evalAwait[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// TestBrowserLongRunSummarized: a run of thousands of events is shown in
// detail at its start and end and summarized in between, counts rolling,
// with Skip ahead; on a 1280x720 projector the timeline's Back to live
// stays inside its panel and the scenario's Watch for text is shown whole.
func TestBrowserLongRunSummarized(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 150*time.Second)
	startFromPage(t, ctx, ts.URL, "projector", "pipe", map[string]string{"messages": "3000"}, "realtime")
	waitFor(t, ctx, "a summary", `document.querySelector('#behind').textContent.includes('summarizing')`, 60*time.Second)
	a := eval[int](t, ctx, shownSeqJS)
	waitFor(t, ctx, "the counts rolling", fmt.Sprintf(`%s > %d + 50`, shownSeqJS, a), 10*time.Second)
	if !eval[bool](t, ctx, `!!document.querySelector('#skip').offsetParent`) {
		t.Error("no Skip ahead while the page summarizes")
	}
	if !eval[bool](t, ctx, `(() => { const s = document.querySelector('#summary'); return !!s.offsetParent && s.scrollHeight <= s.clientHeight + 1 && s.textContent.length > 20; })()`) {
		t.Error("projector view does not show the scenario's Watch for text whole")
	}
	screenshot(t, ctx, "summary-projector-1280.png")
	// Scrolled back, the timeline offers Back to live, inside its panel.
	// (A scroll of the page's own, to follow, may come between: scroll
	// again until the timeline has let go.)
	waitFor(t, ctx, "Back to live", `(() => { const r = document.querySelector('#timeline');
		if (r.scrollLeft > 0) { r.scrollLeft = 0; r.dispatchEvent(new Event('scroll')); }
		return !!document.querySelector('#follow').offsetParent; })()`, 5*time.Second)
	if !eval[bool](t, ctx, insideJS("#follow", "#timeline-panel")) {
		t.Errorf("Back to live is off its panel: %s", eval[string](t, ctx, `JSON.stringify([document.querySelector('#follow').getBoundingClientRect(), document.querySelector('#timeline-panel').getBoundingClientRect()])`))
	}
	for _, sel := range []string{"#transport", "#t-moments", "#t-stop"} {
		if !eval[bool](t, ctx, insideJS(sel, "#stage-panel")) {
			t.Errorf("%s is off the stage panel", sel)
		}
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#follow")))
	run(t, ctx, chromedp.Click(chromedp.CSS("#skip")))
	if state := waitEnd(t, ctx, 90*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	if got := eval[string](t, ctx, `document.querySelector('#result').textContent`); !strings.Contains(got, "3,000 of 3,000 messages received") {
		t.Errorf("the result reads %q", got)
	}
}

// TestBrowserSimpleNames: a POSIX queue's generated name is shown on the
// stage by the name the code uses, not larger than the processes' names;
// the kernel's name is a pointer away. Screenshots at 1920x1080 in
// projector view and at 1280x720 in normal view.
func TestBrowserSimpleNames(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	startFromPage(t, ctx, ts.URL, "projector", "mq-posix", map[string]string{"messages": "8"}, "realtime")
	run(t, ctx, chromedp.EmulateViewport(1920, 1080))
	waitFor(t, ctx, "the queue on the stage", `!!document.querySelector('#stage [data-real^="mq:"]')`, 30*time.Second)
	type label struct {
		Text, Real string
		Px, Most   float64
	}
	l := eval[label](t, ctx, `(() => {
		const el = document.querySelector('#stage [data-real^="mq:"]');
		const px = (e) => e.getBoundingClientRect().height;
		const names = [...document.querySelectorAll('#stage .proc .name')].map(px);
		return { text: el.textContent, real: el.dataset.real, px: px(el), most: Math.max(...names) };
	})()`)
	if l.Text != "mq:/demo" || !strings.Contains(l.Real, "ipcpg.") {
		t.Errorf("the queue is shown as %q (the kernel's name %q), not as the code names it", l.Text, l.Real)
	}
	if l.Px > l.Most {
		t.Errorf("the queue's name is %.0f px tall, larger than the processes' names (%.0f px)", l.Px, l.Most)
	}
	eval[chromedp.Void](t, ctx, `document.querySelector('#stage [data-real^="mq:"]').dispatchEvent(new PointerEvent('pointerover', { bubbles: true }))`)
	if title := eval[string](t, ctx, `document.querySelector('#stage').title`); !strings.Contains(title, l.Real) {
		t.Errorf("the pointer on the name shows %q", title)
	}
	screenshot(t, ctx, "mq-projector-1920.png")
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	screenshot(t, ctx, "mq-projector-1920-end.png")
	run(t, ctx, chromedp.EmulateViewport(1280, 720))
	eval[chromedp.Void](t, ctx, `document.querySelector('#toggle-projector').click()`)
	waitFor(t, ctx, "normal view", `!document.body.classList.contains('projector')`, 5*time.Second)
	// The stage redraws at its new size within a few frames.
	evalAwait[bool](t, ctx, `new Promise((r) => { let n = 0; const f = () => (++n > 5 ? r(true) : requestAnimationFrame(f)); requestAnimationFrame(f); })`)
	screenshot(t, ctx, "mq-normal-1280-end.png")
}

// insideJS holds when the element sel lies within the element box.
func insideJS(sel, box string) string {
	return fmt.Sprintf(`(() => { const a = document.querySelector(%q).getBoundingClientRect(), b = document.querySelector(%q).getBoundingClientRect();
		return a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5; })()`, sel, box)
}

// TestBrowserPhoneSideways: a phone following a share link gets a larger
// stage when turned sideways, in normal and in projector view.
func TestBrowserPhoneSideways(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 90*time.Second)
	c := ts.create(t, `{"scenario":"pipe","params":{"messages":4}}`)
	stage := func(name string) (w, h float64) {
		evalAwait[bool](t, ctx, `new Promise((r) => { let n = 0; const f = () => (++n > 5 ? r(true) : requestAnimationFrame(f)); requestAnimationFrame(f); })`)
		screenshot(t, ctx, name)
		r := eval[[]float64](t, ctx, `(() => { const r = document.querySelector('#stage').getBoundingClientRect(); return [r.width, r.height]; })()`)
		return r[0], r[1]
	}
	for _, view := range []string{"normal", "projector"} {
		run(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(ts.URL+"/s/"+c.ID+"?view="+view))
		waitFor(t, ctx, "the stage", `!!document.querySelector('#stage svg')`, 10*time.Second)
		pw, ph := stage("phone-portrait-" + view + ".png")
		run(t, ctx, chromedp.EmulateViewport(844, 390, chromedp.EmulateMobile, chromedp.EmulateLandscape))
		lw, lh := stage("phone-landscape-" + view + ".png")
		t.Logf("%s view: portrait stage %.0fx%.0f, sideways %.0fx%.0f", view, pw, ph, lw, lh)
		if lw*lh <= pw*ph || lh < 250 {
			t.Errorf("%s view: sideways the stage is %.0fx%.0f, upright %.0fx%.0f", view, lw, lh, pw, ph)
		}
	}
}

// TestBrowserBackStops: Back in the middle of the presenter's session
// stops it, so that none goes on unseen, and shows the start page.
func TestBrowserBackStops(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 90*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "40"}, "slow")
	waitFor(t, ctx, "the first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	if s := getSession(t, ts.URL, id); s.State != "running" {
		t.Fatalf("the session is %s before Back; make it longer", s.State)
	}
	run(t, ctx, chromedp.NavigateBack())
	// The history entry may be loaded as a new document: a check made
	// while it loads loses its page ("Inspected target navigated or
	// closed", "Cannot find context") and is made again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`location.pathname === '/' && !!document.querySelector('#start').offsetParent`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for the start page: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		s := getSession(t, ts.URL, id)
		if s.State == "stopped" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Back the session is %s, not stopped", s.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserGoBackFar plays a session of about 20,000 events to its end:
// the page lets go of the events far behind, and the timeline of its
// oldest columns, so going to seq 40 fetches them back from the recording
// and fills the timeline again from the start. The stage there equals the
// one a second page shows at seq 40, reached by playing the events in
// order.
func TestBrowserGoBackFar(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 150*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "10000"}, "realtime")
	eval[chromedp.Void](t, ctx, stageSigJS)
	if state := waitEnd(t, ctx, 90*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	goTo := func(c context.Context, seq int) string {
		t.Helper()
		run(t, c, chromedp.SetValue(chromedp.CSS("#t-seq"), fmt.Sprint(seq)))
		eval[chromedp.Void](t, c, `document.querySelector('#t-goto').requestSubmit()`)
		waitFor(t, c, fmt.Sprintf("seq %d shown", seq), fmt.Sprintf(`%s === %d`, shownSeqJS, seq), 20*time.Second)
		return settledStage(t, c, fmt.Sprintf("at seq %d", seq)).Sig
	}
	tl := `(() => { const t = document.querySelector('#timeline').dataset; return [Number(t.count), Number(t.before || 0)]; })()`
	if got := eval[[]int](t, ctx, tl); got[0] > 20000 || got[1] == 0 {
		t.Errorf("after 20,000 events the timeline holds %d columns, %d let go of; want at most 20,000, some let go of", got[0], got[1])
	}
	far := goTo(ctx, 40)
	waitFor(t, ctx, "the timeline filled again from the start", `document.querySelector('#timeline').dataset.before === '0'`, 20*time.Second)
	fetched := eval[int](t, ctx, `performance.getEntriesByType('resource').filter((e) => /events\.jsonl\?from=\d+&to=\d+/.test(e.name)).length`)
	if fetched == 0 {
		t.Error("going back 20,000 events fetched nothing back: the page held every event")
	}
	second, cancel := chromedp.NewContext(ctx)
	defer cancel()
	watchErrors(t, second)
	run(t, second, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts.URL+"/s/"+id))
	waitFor(t, second, "the recording's first events", `Number(document.querySelector('#t-scrub').max) > 40`, 20*time.Second)
	eval[chromedp.Void](t, second, stageSigJS)
	if near := goTo(second, 40); near != far {
		t.Errorf("at seq 40 the stage fetched back differs from the one played:\nplayed:  %s\nfetched: %s", near, far)
	}
}

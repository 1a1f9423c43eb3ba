package web

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

// parentWaitJS reads the race's parent box while it shows a wait for its
// children, with the states the workers' boxes show in the same frame; or
// null while it shows something else.
const parentWaitJS = `(() => {
	const g = document.querySelector('#stage .proc[data-proc="parent"][data-state="waiting"]');
	if (!g) return null;
	const workers = [...document.querySelectorAll('#stage .proc')].filter((w) => w.dataset.proc.startsWith('worker-'));
	return { box: ` + procBoxJS + `(g), label: g.getAttribute('aria-label'),
		fill: getComputedStyle(g.querySelector('.box')).fill, workers: workers.map((w) => w.dataset.state) };
})()`

// parentWait is what parentWaitJS reads.
type parentWait struct {
	Box     procBox  `json:"box"`
	Label   string   `json:"label"`
	Fill    string   `json:"fill"`
	Workers []string `json:"workers"`
}

// TestBrowserParentWaits runs the race in slow pace: the parent starts
// its workers and waits for them to end, which takes seconds while each
// of their calls waits its turn. Its box must say that it waits, for whom,
// while the workers still run, drawn unlike a process the kernel blocked
// in a call; and once the workers have ended, it must no longer say so.
func TestBrowserParentWaits(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 150*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "race", map[string]string{"workers": "2", "increments": "3"}, "slow")
	var w *parentWait
	for deadline := time.Now().Add(40 * time.Second); w == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the parent's box never showed it waiting for its workers: %+v", procBoxes(t, ctx))
		}
		w = eval[*parentWait](t, ctx, parentWaitJS)
	}
	screenshot(t, ctx, "race-parent-waiting.png")
	// The kernel panel's ps lists it asleep, waiting for a worker's end.
	waitFor(t, ctx, "the parent asleep in the kernel panel's ps",
		`/^\d+\s+S\s+end of worker-\d\s+parent$/m.test(document.querySelector('#kernel').textContent)`, 5*time.Second)
	said := regexp.MustCompile(`^parent: waiting for (worker-\d to end|its children, now worker-\d)$`)
	if w.Box.Word != "WAITING" || !said.MatchString(w.Label) {
		t.Errorf("the waiting parent reads %q and is labelled %q, want WAITING and waiting for a worker to end", w.Box.Word, w.Label)
	}
	if !slices.ContainsFunc(w.Workers, func(s string) bool { return s != "exited" }) {
		t.Errorf("the parent shows it waiting while every worker has ended: %v", w.Workers)
	}
	blockedFill := eval[string](t, ctx, `(() => {
		const g = document.querySelector('#stage .proc[data-proc="parent"]');
		const was = g.dataset.state;
		g.dataset.state = 'blocked';
		const fill = getComputedStyle(g.querySelector('.box')).fill;
		g.dataset.state = was;
		return fill;
	})()`)
	if w.Fill == blockedFill {
		t.Errorf("the waiting parent is drawn as a blocked process is (%s)", w.Fill)
	}
	// The workers' exits end the wait: the frame that shows both ended
	// shows the parent doing something else.
	waitFor(t, ctx, "both workers to show their exit",
		`[...document.querySelectorAll('#stage .proc')].filter((w) => w.dataset.proc.startsWith('worker-')).every((w) => w.dataset.state === 'exited')`,
		60*time.Second)
	if eval[*parentWait](t, ctx, parentWaitJS) != nil {
		t.Error("the parent's box still says it waits after both workers ended")
	}
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	checkBoxes(t, procBoxes(t, ctx), ts.URL, id, getSession(t, ts.URL, id))
}

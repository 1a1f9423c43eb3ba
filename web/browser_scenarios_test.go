package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserScenarios starts every scenario of the catalogue from the
// page, waits for its end and checks the stage: one box per process with
// its real pid, each exit as its event says, every event counted, the
// result shown, the mechanism's drawing on the screen, and what is
// particular to the scenario. Each leaves a screenshot in normal and in
// projector mode.
func TestBrowserScenarios(t *testing.T) {
	ts := newTestServer(t)
	for _, name := range catalogue(t, ts.URL) {
		if name == "compare" || name == "copy-cost" {
			continue // measuring runs: TestBrowserCompare draws them
		}
		t.Run(name, func(t *testing.T) {
			c, ok := scenarioCases[name]
			if !ok {
				t.Fatalf("scenario %s has no browser test case: add one to scenarioCases", name)
			}
			ctx := newBrowser(t, 90*time.Second)
			id := startFromPage(t, ctx, ts.URL, "normal", name, c.params, "")
			waitEnd(t, ctx, 60*time.Second)
			snap := getSession(t, ts.URL, id)
			screenshot(t, ctx, name+"-normal.png")
			f := readFacts(t, ctx, c.drawing)
			f.checkCommon(t, ts.URL, id, snap)
			c.check(f, t, snap)
			checkSentences(t, ctx, id)
			run(t, ctx, chromedp.KeyEvent("p"))
			waitFor(t, ctx, "projector mode", `document.body.classList.contains('projector')`, 5*time.Second)
			screenshot(t, ctx, name+"-projector.png")
		})
	}
}

// catalogue lists the scenario names the server offers.
func catalogue(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/api/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(list))
	for i, sc := range list {
		names[i] = sc.Name
	}
	return names
}

// checkSentences puts every recorded event of the session into the page's
// own words (words.js, as the log and the line under the stage say them)
// and looks for holes: a field a sentence needs that the event did not
// carry reads "undefined" or "NaN".
func checkSentences(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		window.sentenceHoles = null;
		Promise.all([import('/static/js/words.js'), fetch('/api/sessions/%s/events.jsonl').then((r) => r.text())])
			.then(([words, text]) => {
				const lines = text.split('\n').filter(Boolean);
				const said = lines.map((l) => words.sentence(JSON.parse(l)));
				window.sentenceHoles = { n: said.length, bad: said.filter((s) => /undefined|NaN|\[object /.test(s)) };
			})
			.catch((err) => { window.sentenceHoles = { n: 0, bad: [String(err)] }; });
		return true;
	})()`, id))
	waitFor(t, ctx, "the events in words", `window.sentenceHoles !== null`, 10*time.Second)
	type holes struct {
		N   int      `json:"n"`
		Bad []string `json:"bad"`
	}
	h := eval[holes](t, ctx, `window.sentenceHoles`)
	if h.N == 0 && len(h.Bad) == 0 {
		t.Errorf("no recorded event to put into words")
	}
	for _, s := range h.Bad {
		t.Errorf("an event in words has a hole: %q", s)
	}
}

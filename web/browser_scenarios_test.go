package web

import (
	"encoding/json"
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

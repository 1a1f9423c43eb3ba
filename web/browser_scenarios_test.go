package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// scenarioCase says how to run one scenario from the page and what its
// stage must show at the end, beyond what every scenario shows.
type scenarioCase struct {
	params map[string]string
	check  func(t *testing.T, ctx context.Context, snap sessionSnapshot)
}

// scenarioCases holds small runs of every scenario in the catalogue.
var scenarioCases = map[string]scenarioCase{
	"pipe":        {params: map[string]string{"messages": "8"}, check: receivedAll},
	"fifo":        {params: map[string]string{"messages": "6", "reader_arrives_ms": "100"}, check: receivedAll},
	"mq-posix":    {params: map[string]string{"producers": "1", "consumers": "1", "messages": "10", "maxmsg": "4", "consumer_delay_ms": "30"}, check: receivedAll},
	"mq-sysv":     {params: map[string]string{"messages": "10"}, check: receivedAll},
	"shm-posix":   {params: map[string]string{"messages": "6"}, check: showsCells},
	"shm-sysv":    {params: map[string]string{"messages": "6"}, check: showsCells},
	"semaphore":   {params: map[string]string{"processes": "3", "permits": "1", "rounds": "1", "hold_ms": "80"}, check: showsLight},
	"socket-unix": {params: map[string]string{"clients": "1", "messages": "6"}, check: receivedAll},
	"socket-tcp":  {params: map[string]string{"clients": "1", "messages": "6"}, check: receivedAll},
	"socket-udp":  {params: map[string]string{"clients": "1", "messages": "20"}, check: receivedAll},
	"signal":      {params: map[string]string{"signals": "5"}, check: showsSignals},
	"race":        {params: map[string]string{"workers": "2", "increments": "200"}, check: showsRace},
	"deadlock":    {params: map[string]string{"hold_ms": "300"}, check: showsCycle},
}

// TestBrowserScenarios starts every scenario of the catalogue from the
// page, waits for its end and checks the stage: one box per process with
// its real pid, each exit as its event says, every event counted, the
// result shown, and what is particular to the scenario. Each leaves a
// screenshot in normal and in projector mode.
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
			state := waitEnd(t, ctx, 60*time.Second)
			snap := getSession(t, ts.URL, id)
			screenshot(t, ctx, name+"-normal.png")
			if state != snap.State {
				t.Errorf("the page says %s, the server %s", state, snap.State)
			}
			if state != "finished" {
				t.Errorf("the session %s: %s", state, eval[string](t, ctx, `document.querySelector('#result').textContent`))
			}
			checkProcesses(t, ctx, ts.URL, id, snap)
			if got := eval[string](t, ctx, `document.querySelector('#count-events').textContent.replace(/,/g, '')`); got != fmt.Sprint(snap.Events) {
				t.Errorf("the page counted %s events, the session logged %d", got, snap.Events)
			}
			if c.check != nil {
				c.check(t, ctx, snap)
			}
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

func resultText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.querySelector('#result').textContent`)
}

// receivedAll: the result says how many of the messages arrived, and the
// count above the stage agrees with it.
func receivedAll(t *testing.T, ctx context.Context, snap sessionSnapshot) {
	t.Helper()
	sent, _ := snap.Result["messages_sent"].(float64)
	got, _ := snap.Result["messages_received"].(float64)
	want := fmt.Sprintf("%d of %d messages received", int(got), int(sent))
	if r := resultText(t, ctx); !strings.Contains(r, want) {
		t.Errorf("the result reads %q, want %q", r, want)
	}
	if n := eval[string](t, ctx, `document.querySelector('#count-received').textContent`); n != fmt.Sprint(int(got)) {
		t.Errorf("the received count shows %s, the result says %d", n, int(got))
	}
}

func showsCells(t *testing.T, ctx context.Context, _ sessionSnapshot) {
	t.Helper()
	if n := eval[int](t, ctx, `document.querySelectorAll('#stage .cell[data-set]').length`); n == 0 {
		t.Error("no shared-memory cell shows a byte")
	}
}

func showsLight(t *testing.T, ctx context.Context, _ sessionSnapshot) {
	t.Helper()
	if v := eval[string](t, ctx, `(document.querySelector('#stage .light .sem-value') || {}).textContent || ''`); !strings.HasPrefix(v, "value ") {
		t.Errorf("the semaphore's light reads %q", v)
	}
}

func showsSignals(t *testing.T, ctx context.Context, snap sessionSnapshot) {
	t.Helper()
	if v := eval[string](t, ctx, `[...document.querySelectorAll('#stage .sig-line text')].map((x) => x.textContent).join('; ')`); !strings.Contains(v, "sent") {
		t.Errorf("no signal line on the stage: %q", v)
	}
}

// showsRace: the counter's final value and the lost updates, as the
// result reports them.
func showsRace(t *testing.T, ctx context.Context, snap sessionSnapshot) {
	t.Helper()
	exp, _ := snap.Result["expected"].(float64)
	act, _ := snap.Result["actual"].(float64)
	want := fmt.Sprintf("counter %d, expected %d", int(act), int(exp))
	if r := resultText(t, ctx); !strings.Contains(r, want) {
		t.Errorf("the result reads %q, want %q", r, want)
	}
	if v := eval[string](t, ctx, `(document.querySelector('#stage .counter') || {}).textContent || ''`); !strings.Contains(v, "counter = ") {
		t.Errorf("the shared counter reads %q", v)
	}
}

// showsCycle: the deadlock's wait-for cycle is drawn in red, and the
// victim the server killed shows so.
func showsCycle(t *testing.T, ctx context.Context, _ sessionSnapshot) {
	t.Helper()
	if n := eval[int](t, ctx, `document.querySelectorAll('#stage .edge.hot:not([visibility="hidden"])').length`); n < 4 {
		t.Errorf("the cycle has %d red arrows, want at least 4 (two waits, two holds)", n)
	}
	if !eval[bool](t, ctx, `[...document.querySelectorAll('#stage .proc .state')].some((x) => x.textContent.startsWith('killed'))`) {
		t.Error("no process shows it was killed to break the deadlock")
	}
}

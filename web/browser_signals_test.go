package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// TestBrowserSignalPending sends SIGUSR1 eight times, in slow pace, to a
// receiver whose handler is slow. While it works, the kernel holds SIGUSR1
// pending (the server reads /proc/PID/status), and the stage says so;
// signals sent meanwhile merge into the pending one. At the end, the values the stage
// shows as merged are exactly those never handled, and as many as the
// receiver counted.
func TestBrowserSignalPending(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "signal",
		map[string]string{"signals": "8", "signal": "SIGUSR1", "handler_delay_ms": "400"}, "slow")
	waitFor(t, ctx, "SIGUSR1 pending as the kernel reports it",
		`(() => { const k = document.querySelector('#stage .sig-kernel'); return k && k.dataset.pending.split(' ').includes('10') && k.textContent.includes('SIGUSR1'); })()`, 30*time.Second)
	screenshot(t, ctx, "signal-pending.png")
	if k := eval[string](t, ctx, `document.querySelector('#kernel').textContent`); !strings.Contains(k, "ShdPnd") || !strings.Contains(k, "USR1") {
		t.Errorf("the kernel panel does not list the pending signal: %q", k)
	}
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	screenshot(t, ctx, "signal-merged.png")
	_, body := ts.do(t, "GET", "/api/sessions/"+id+"/events.jsonl", "")
	var handled []int
	var sent int
	for _, e := range decodeJSONL(t, body) {
		if e.Attrs["marker"] != nil {
			continue
		}
		v, _ := e.Attrs["value"].(float64)
		switch e.Kind {
		case event.KindSignal:
			sent++
		case event.KindDeliver:
			handled = append(handled, int(v))
		}
	}
	var never []string
	for v := 1; v <= sent; v++ {
		if !slices.Contains(handled, v) {
			never = append(never, fmt.Sprint(v))
		}
	}
	merged := eval[string](t, ctx, `document.querySelector('#stage .sig-merged').textContent`)
	count := eval[string](t, ctx, `document.querySelector('#stage .sig-merged').dataset.count`)
	t.Logf("%d sent, handled %v; the stage: %q", sent, handled, merged)
	if len(never) == 0 {
		t.Skip("no signal merged this run")
	}
	want := fmt.Sprintf("merged, never handled: %s (%d)", strings.Join(never, ", "), len(never))
	if len(never) > 12 || merged != want || count != fmt.Sprint(len(never)) {
		t.Errorf("the stage reads %q (count %s), want %q", merged, count, want)
	}
	if r := getSession(t, ts.URL, id).Result; fmt.Sprint(r["merged"]) != fmt.Sprint(len(never)) {
		t.Errorf("the receiver counted %v merged, the stage %d", r["merged"], len(never))
	}
}

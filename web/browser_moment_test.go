package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// seenMoment is what the page showed of one moment: the question, then the
// sentence.
type seenMoment struct {
	name     string
	asked    bool
	revealed string
}

// followMoments plays a session in projector view, where the page stops at
// each moment: it notes what each stop shows, and lets the page go on with
// space, until the session has ended. stopAt, when it returns true for a
// revealed moment, ends the loop there, the page held at that moment.
func followMoments(t *testing.T, ctx context.Context, limit time.Duration, stopAt func(seenMoment) bool) []seenMoment {
	t.Helper()
	var seen []seenMoment
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		type view struct {
			Shown bool   `json:"shown"`
			Stage string `json:"stage"`
			Name  string `json:"name"`
			Text  string `json:"text"`
			Ended bool   `json:"ended"`
		}
		v := eval[view](t, ctx, `(() => { const m = document.querySelector('#moment');
			return { shown: !m.hidden, stage: m.dataset.stage || '', name: document.querySelector('#moment-name').textContent,
				text: document.querySelector('#moment-text').offsetParent ? document.querySelector('#moment-text').textContent : '',
				ended: `+sessionEndedJS+` }; })()`)
		switch {
		case v.Shown && v.Stage == "predict":
			seen = append(seen, seenMoment{name: v.Name, asked: true})
			if len(seen) == 1 {
				screenshot(t, ctx, "moment-predict.png")
			}
			run(t, ctx, chromedp.KeyEvent(" "))
		case v.Shown && v.Stage == "reveal":
			if n := len(seen); n > 0 && seen[n-1].revealed == "" && seen[n-1].name == v.Name {
				seen[n-1].revealed = v.Text
			} else {
				seen = append(seen, seenMoment{name: v.Name, revealed: v.Text})
			}
			if len(seen) == 1 {
				screenshot(t, ctx, "moment-reveal.png")
			}
			if stopAt != nil && stopAt(seen[len(seen)-1]) {
				return seen
			}
			run(t, ctx, chromedp.KeyEvent(" "))
		case v.Ended && !v.Shown:
			return seen
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the session did not end within %v; moments seen: %+v", limit, seen)
	return nil
}

// loggedMoments reads the moments the server logged for a session.
func loggedMoments(t *testing.T, ts *testServer, id string) []event.Event {
	t.Helper()
	_, body := ts.do(t, "GET", "/api/sessions/"+id+"/events.jsonl", "")
	var out []event.Event
	for _, e := range decodeJSONL(t, body) {
		if e.Kind == event.KindMoment {
			out = append(out, e)
		}
	}
	return out
}

// TestBrowserMomentPredictReveal: in projector view the page stops at the
// server's moments, first asking what the class expects, then saying what
// happened; the dropped datagram is one of them, flagged and listed.
func TestBrowserMomentPredictReveal(t *testing.T) {
	ts := newTestServer(t)
	ctx := newLessonBrowser(t, 150*time.Second)
	id := startFromPage(t, ctx, ts.URL, "projector", "socket-udp", fastLossyDatagrams, "realtime")
	seen := followMoments(t, ctx, 120*time.Second, nil)
	var dropped *seenMoment
	for i := range seen {
		if strings.Contains(strings.ToLower(seen[i].revealed), "dropped") {
			dropped = &seen[i]
		}
	}
	if dropped == nil || !dropped.asked {
		t.Fatalf("no dropped datagram asked about, then revealed: %+v", seen)
	}
	logged := loggedMoments(t, ts, id)
	if len(logged) == 0 || len(seen) < len(logged) {
		t.Fatalf("the page stopped at %d moments, the server logged %d", len(seen), len(logged))
	}
	if got := eval[string](t, ctx, `document.querySelector('#t-mcount').textContent`); got != fmt.Sprintf("(%d)", len(logged)) {
		t.Errorf("the list of moments counts %s, the server logged %d", got, len(logged))
	}
}

// TestBrowserRaceLostUpdate runs the race in realtime and projector view:
// the page holds at the first lost update, and the stage says which store
// overwrote which, with both values the server logged, in its text and on
// the storing worker's box.
func TestBrowserRaceLostUpdate(t *testing.T) {
	ts := newTestServer(t)
	ctx := newLessonBrowser(t, 150*time.Second)
	for try := 1; try <= 3; try++ {
		id := startFromPage(t, ctx, ts.URL, "projector", "race",
			map[string]string{"workers": "2", "increments": "100", "sync": "none"}, "realtime")
		seen := followMoments(t, ctx, 120*time.Second, func(m seenMoment) bool {
			return strings.Contains(strings.ToLower(m.revealed), "lost") || strings.Contains(m.revealed, "overwr")
		})
		var lost *event.Event
		for _, m := range loggedMoments(t, ts, id) {
			if m.Name == "lost_update" {
				lost = &m
				break
			}
		}
		if lost == nil {
			t.Logf("run %d lost no update; again", try)
			waitFor(t, ctx, "the end of the session", sessionEndedJS, 60*time.Second)
			continue
		}
		last := seen[len(seen)-1]
		stored, over := fmt.Sprint(lost.Attrs["stored"]), fmt.Sprint(lost.Attrs["overwrote"])
		if !strings.Contains(last.revealed, stored) || !strings.Contains(last.revealed, over) {
			b, _ := json.Marshal(lost)
			t.Fatalf("held at %+v; the server's moment %s", last, b)
		}
		if !eval[bool](t, ctx, `!document.querySelector('#moment').hidden`) {
			t.Fatal("the page did not hold at the lost update")
		}
		// The box of the worker whose store lost updates says so, with
		// the values its store logged.
		proc, _ := lost.Attrs["proc"].(string)
		badge := eval[string](t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector('#stage .proc[data-proc=%q] .pbadge');
			return b && b.dataset.kind === 'lost' ? b.querySelector('text').textContent : ''; })()`, proc))
		if want := fmt.Sprintf("stored %s over %s: ", stored, over); !strings.HasPrefix(badge, want) {
			t.Errorf("%s's box reads %q, want %q…", proc, badge, want)
		}
		screenshot(t, ctx, "race-lost-update.png")
		return
	}
	t.Fatal("three races lost no update")
}

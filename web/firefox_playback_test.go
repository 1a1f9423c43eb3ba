package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFirefoxPlayback runs the playback checks of browser_playback_test.go
// in Firefox: a step back shows the frame shown live at that seq, a fast
// UDP run is played in full with its drops drawn, a viewer watches without
// the form, and projector view offers Run again.
func TestFirefoxPlayback(t *testing.T) {
	path := firefoxPath(t)
	ts := newTestServer(t)
	ff := newFirefox(t, path, 5*time.Minute)
	t.Run("step-back", func(t *testing.T) { firefoxStepBack(t, ff, ts.URL) })
	t.Run("udp-in-full", func(t *testing.T) { firefoxFastRun(t, ff, ts.URL) })
	t.Run("viewer", func(t *testing.T) { firefoxViewer(t, ff, ts.URL) })
	t.Run("run-again", func(t *testing.T) { firefoxRunAgain(t, ff, ts.URL) })
}

// key presses and releases one key; value is a character or one of the
// WebDriver key codes ("\uE012" is arrow left).
func (ff *firefox) key(t *testing.T, value string) {
	t.Helper()
	ff.do(t, "input.performActions", map[string]any{"context": ff.tab, "actions": []any{map[string]any{
		"type": "key", "id": "keyboard",
		"actions": []any{map[string]any{"type": "keyDown", "value": value}, map[string]any{"type": "keyUp", "value": value}},
	}}}, nil)
}

const arrowLeft = "\uE012"

func firefoxStepBack(t *testing.T, ff *firefox, base string) {
	ff.fillForm(t, base, "normal", "pipe", map[string]string{"messages": "12"})
	ff.pressStart(t)
	ffEval[any](t, ff, stageSigJS)
	ffEval[any](t, ff, recordFramesJS)
	ff.waitEnd(t, 60*time.Second)
	end := ffEval[int](t, ff, shownSeqJS)
	for i := 0; i < 3; i++ {
		ff.key(t, arrowLeft)
	}
	ff.waitFor(t, "three events back", fmt.Sprintf(`%s < %d`, shownSeqJS, end), 5*time.Second)
	var got struct {
		Seq  int    `json:"seq"`
		Same bool   `json:"same"`
		Sig  string `json:"sig"`
	}
	for i := 0; i < 20 && !got.Same; i++ {
		if err := json.Unmarshal([]byte(ffEval[string](t, ff, settledSigJS)), &got); err != nil {
			t.Fatal(err)
		}
	}
	live := ffEval[string](t, ff, fmt.Sprintf(`window.liveFrames[%d] ?? ''`, got.Seq))
	switch {
	case !got.Same:
		t.Fatal("the stage did not settle after the step back")
	case live == "":
		t.Fatalf("no settled live frame was seen at seq %d", got.Seq)
	case live != got.Sig:
		t.Errorf("the stage at seq %d after a step back differs from the live frame:\nlive: %s\nback: %s", got.Seq, live, got.Sig)
	}
	if got.Seq >= end || !ffEval[bool](t, ff, `document.querySelector('#result').hidden`) {
		t.Errorf("three steps back from seq %d: seq %d, the result line still up", end, got.Seq)
	}
	ff.screenshot(t, "firefox-step-back.png")
	ff.checkErrors(t)
}

func firefoxFastRun(t *testing.T, ff *firefox, base string) {
	ff.fillForm(t, base, "normal", "socket-udp", fastLossyDatagrams)
	id := ff.pressStart(t)
	ff.waitFor(t, "the page saying it plays back what happened",
		`document.querySelector('#behind').textContent.includes('the processes finished at')`, 20*time.Second)
	snap := getSession(t, base, id)
	if shown := ffEval[int](t, ff, shownSeqJS); shown >= snap.Events {
		t.Fatalf("the page was already at seq %d of %d", shown, snap.Events)
	}
	ff.waitEnd(t, 120*time.Second)
	if got := ffEval[int](t, ff, eventsShownJS); got != snap.Events {
		t.Errorf("the page counted %d events, the session logged %d", got, snap.Events)
	}
	f := ff.readFacts(t, ".cables > g")
	snap = getSession(t, base, id)
	f.lostDatagrams(t, snap)
	if lost, _ := snap.Result["lost"].(float64); lost == 0 {
		t.Error("no datagram was lost: the run did not test that drops are drawn")
	}
	ff.screenshot(t, "firefox-udp-in-full.png")
	ff.checkErrors(t)
}

func firefoxViewer(t *testing.T, ff *firefox, base string) {
	ff.fillForm(t, base, "normal", "pipe", map[string]string{"messages": "6"})
	id := ff.pressStart(t)
	// The same browser without the session's token is a viewer's.
	ffEval[any](t, ff, fmt.Sprintf(`localStorage.removeItem('ipcpg.token.%s')`, id))
	ff.navigate(t, base+"/s/"+id)
	ff.waitFor(t, "the viewer's first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	if ffEval[bool](t, ff, `!!document.querySelector('#setup').offsetParent`) {
		t.Error("the viewer's page shows the Start form")
	}
	ff.click(t, "#try")
	ff.waitFor(t, "the form after Try it yourself", `!!document.querySelector('#start').offsetParent`, 5*time.Second)
	ff.checkErrors(t)
}

func firefoxRunAgain(t *testing.T, ff *firefox, base string) {
	ff.fillForm(t, base, "projector", "pipe", map[string]string{"messages": "5"})
	first := ff.pressStart(t)
	ff.waitEnd(t, 60*time.Second)
	ff.waitFor(t, "Run again", `!!document.querySelector('#run-again').offsetParent`, 5*time.Second)
	ff.screenshot(t, "firefox-run-again.png")
	ff.click(t, "#run-again")
	ff.waitFor(t, "a new session's address", fmt.Sprintf(`location.pathname.startsWith('/s/') && location.pathname !== '/s/%s'`, first), 10*time.Second)
	ff.waitEnd(t, 60*time.Second)
	if path := ffEval[string](t, ff, `location.pathname`); !strings.HasPrefix(path, "/s/") {
		t.Errorf("after Run again the page is at %s", path)
	}
	ff.checkErrors(t)
}

package web

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserShareLinkAfterRestart follows a share link after the server
// has stopped and started again: the page replays the recording from disk,
// every event of it, to the session's end.
func TestBrowserShareLinkAfterRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	ts, stop := serverOn(t, dataDir)
	c := ts.create(t, `{"scenario": "pipe", "params": {"messages": 8, "size": 64}}`)
	live := readStream(t, wsURL(ts, c.ID, 1), 30*time.Second)
	stop()

	ts2, _ := serverOn(t, dataDir)
	ctx := newBrowser(t, 90*time.Second)
	run(t, ctx, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts2.URL+"/s/"+c.ID))
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the recording replayed after the restart ends %s", state)
	}
	waitFor(t, ctx, "every recorded event shown", fmt.Sprintf(`%s === %d`, eventsShownJS, len(live)), 10*time.Second)
	screenshot(t, ctx, "pipe-after-restart.png")
}

package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPresenterLink hands a session's controls to another browser:
// the presenter's share dialog has the presenter link, and a browser that
// never held the token opens it as the presenter, the token gone from the
// address bar. The plain link still only watches.
func TestBrowserPresenterLink(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 90*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "pipe", map[string]string{"messages": "20"}, "step")
	run(t, ctx, chromedp.Click(chromedp.CSS(`#share`)))
	waitFor(t, ctx, "the presenter link in the share dialog",
		`!document.querySelector('#share-presenter').hidden && document.querySelector('#presenter-link').value.includes('#presenter=')`, 10*time.Second)
	link := eval[string](t, ctx, `document.querySelector('#presenter-link').value`)
	if !strings.HasPrefix(link, ts.URL+"/s/"+id+"#presenter=") {
		t.Fatalf("presenter link %q", link)
	}

	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	watchErrors(t, other)
	run(t, other, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(link))
	waitFor(t, other, "the other computer holding the controls", `document.body.dataset.presenter === 'true'`, 20*time.Second)
	if hash := eval[string](t, other, `location.hash`); hash != "" {
		t.Fatalf("the token stays in the address bar: %q", hash)
	}
	run(t, other, chromedp.Click(chromedp.CSS(`#share`)))
	waitFor(t, other, "the handed-over page's own presenter link", `!document.querySelector('#share-presenter').hidden`, 10*time.Second)

	viewer, cancel2 := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel2()
	run(t, viewer, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(ts.URL+"/s/"+id))
	waitFor(t, viewer, "the viewer's first events", `Number(document.querySelector('#timeline').dataset.count) > 0`, 20*time.Second)
	if eval[bool](t, viewer, `document.body.dataset.presenter === 'true'`) {
		t.Fatal("the plain link gave the controls")
	}
	run(t, viewer, chromedp.Click(chromedp.CSS(`#share`)))
	time.Sleep(300 * time.Millisecond)
	if !eval[bool](t, viewer, `document.querySelector('#share-presenter').hidden`) {
		t.Fatal("a viewer's share dialog offers the presenter link")
	}
	// The other computer drives the session: it stops it.
	run(t, other, chromedp.Click(chromedp.CSS(`#share-dialog form button`)), chromedp.Click(chromedp.CSS(`#stop`)))
	waitFor(t, other, "the end of the session", sessionEndedJS, 30*time.Second)
	if state := eval[string](t, other, `document.querySelector('#state').dataset.state`); state != "stopped" {
		t.Fatalf("the session %s after the other computer's Stop", state)
	}
}

package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// momentStreamJS makes the page's event stream carry a moment after the
// first datagram lost, as the server marks one (kind moment, about_seq the
// lost event), and numbers the events after it one higher. The page is
// what is tested here: the server's moments are tested with the server.
const momentStreamJS = `(() => {
	const Real = window.WebSocket;
	let shift = 0;
	const inject = (batch) => {
		const out = [];
		for (const e of (Array.isArray(batch) ? batch : [batch])) {
			e.seq += shift;
			out.push(e);
			if (e.kind === 'lost' && !shift) {
				out.push({ seq: e.seq + 1, t: e.t, kind: 'moment', name: 'datagram_dropped', obj: e.obj,
					text: 'the kernel dropped datagram ' + e.msg + ': the receive buffer was full', attrs: { about_seq: e.seq } });
				shift = 1;
			}
		}
		return out;
	};
	window.WebSocket = class extends Real {
		set onmessage(fn) { super.onmessage = (m) => fn({ data: JSON.stringify(inject(JSON.parse(m.data))) }); }
	};
})()`

// TestBrowserMomentPredictReveal: in projector view the page stops before
// the event a moment is about and asks; space plays on to the moment and
// says it; space again goes on. The moment is flagged on the timeline and
// listed.
func TestBrowserMomentPredictReveal(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: momentStreamJS})
		return err
	}))
	startFromPage(t, ctx, ts.URL, "projector", "socket-udp", fastLossyDatagrams, "realtime")
	waitFor(t, ctx, "the question before the datagram is lost",
		`!document.querySelector('#moment').hidden && document.querySelector('#moment').dataset.stage === 'predict'`, 60*time.Second)
	if lost := eval[int](t, ctx, `Number(document.querySelector('#count-lost')?.textContent || 0)`); lost != 0 {
		t.Errorf("asked to predict, the page already counts %d lost", lost)
	}
	if eval[bool](t, ctx, `!!document.querySelector('#moment-text').offsetParent`) {
		t.Error("the moment's sentence shows before it is revealed")
	}
	screenshot(t, ctx, "moment-predict.png")
	run(t, ctx, chromedp.KeyEvent(" "))
	waitFor(t, ctx, "the moment revealed", `document.querySelector('#moment').dataset.stage === 'reveal' && !!document.querySelector('#moment-text').offsetParent`, 10*time.Second)
	if text := eval[string](t, ctx, `document.querySelector('#moment-text').textContent`); !strings.Contains(text, "dropped datagram") {
		t.Errorf("the moment says %q", text)
	}
	if lost := eval[int](t, ctx, `Number(document.querySelector('#count-lost')?.textContent || 0)`); lost != 1 {
		t.Errorf("at the moment the page counts %d lost, want 1", lost)
	}
	waitFor(t, ctx, "the moment flagged and listed", `!!document.querySelector('#timeline .tl-mark.k-moment') && document.querySelector('#t-mcount').textContent === '(1)'`, 5*time.Second)
	screenshot(t, ctx, "moment-reveal.png")
	run(t, ctx, chromedp.KeyEvent(" "))
	waitFor(t, ctx, "the page going on", `document.querySelector('#moment').hidden`, 5*time.Second)
	if state := waitEnd(t, ctx, 90*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
}

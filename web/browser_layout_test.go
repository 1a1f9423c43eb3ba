package web

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The layout tests read what a class at the back of a room would see: how
// large the crowded boxes' words are on the screen, and whether a socket's
// cable and number say what the kernel says.

// compactBox is what the screen shows of one compact process box: the
// size in pixels of the words a reader sees (the face the view shows).
type compactBox struct {
	Proc     string  `json:"proc"`
	State    string  `json:"state"`
	Name     float64 `json:"name"`
	PID      float64 `json:"pid"`
	Word     float64 `json:"word"`
	WordText string  `json:"wordText"`
	Inside   bool    `json:"inside"`
	Details  int     `json:"details"`
	Stripes  bool    `json:"stripes"`
}

// compactBoxesJS reads every compact box on the stage: the on-screen font
// size of its visible name, pid and state, whether they stay inside the
// box, how many detail lines show, and whether the box is striped.
const compactBoxesJS = `[...document.querySelectorAll('#stage .proc-compact')].map((g) => {
	const shown = (sel) => [...g.querySelectorAll(sel)].find((e) => e.getBoundingClientRect().width > 0);
	const px = (el) => (el ? parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a : 0);
	const box = g.querySelector('.box').getBoundingClientRect();
	const inside = (el) => {
		if (!el) return false;
		const r = el.getBoundingClientRect();
		return r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
	};
	const name = shown('.name'), pid = shown('.pid'), state = shown('.state');
	return { proc: g.dataset.proc, state: g.dataset.state, name: px(name), pid: px(pid), word: px(state),
		wordText: state ? state.textContent : '', inside: [name, pid, state].every(inside),
		details: [...g.querySelectorAll('.detail')].filter((e) => e.textContent && e.getBoundingClientRect().width > 0).length,
		stripes: getComputedStyle(g.querySelector('.box')).fill.includes('stripes') };
})`

// Smallest sizes on the screen, in CSS pixels. In projector view at
// 1280x720 a name must be at least 18 px, a fortieth of the picture's
// height and about the size of the projector's status line (17 px badge,
// 20 px counts); the state word 16 px; the pid, a number read when needed,
// 11 px. A laptop at 1366x768 is read from arm's length: there a name is at
// least the page's body text, 15 px. Before compact boxes had a projector
// face, eight workers in projector view got names of 12 px and pids of 8.
const (
	projectorName  = 18
	projectorWord  = 16
	projectorPID   = 11
	laptopName     = 15
	laptopPIDFloor = 9
)

// TestBrowserCrowdedBoxes runs the race with eight workers, the largest
// crowd of the catalogue, and checks the compact boxes' type in projector
// view at 1280x720 and in normal view at 1366x768: large enough, inside its
// box, and a blocked box still striped and saying BLOCKED. In projector
// view a compact box leaves out the detail line to give its words the room.
func TestBrowserCrowdedBoxes(t *testing.T) {
	ts := newTestServer(t)
	params := map[string]string{"workers": "8", "increments": "20000", "sync": "semaphore"}
	for _, view := range []string{"projector", "normal"} {
		t.Run(view, func(t *testing.T) {
			ctx := newPacedBrowser(t, 120*time.Second)
			startFromPage(t, ctx, ts.URL, view, "race", params, "")
			minName, minPID := float64(laptopName), float64(laptopPIDFloor)
			if view == "normal" {
				run(t, ctx, chromedp.EmulateViewport(1366, 768))
			} else {
				minName, minPID = projectorName, projectorPID
			}
			waitFor(t, ctx, "a compact box that shows blocked", `document.querySelector('#stage .proc-compact[data-state="blocked"]')`, 30*time.Second)
			boxes := eval[[]compactBox](t, ctx, compactBoxesJS)
			screenshot(t, ctx, "race-crowded-"+view+".png")
			if len(boxes) < 8 {
				t.Fatalf("%d compact boxes for 8 workers and a parent", len(boxes))
			}
			blocked := 0
			for _, b := range boxes {
				if b.Name < minName || b.PID < minPID || !b.Inside {
					t.Errorf("%s (%s): name %.1f px, pid %.1f px, inside its box %v; want name >= %v px, pid >= %v px, inside",
						b.Proc, b.State, b.Name, b.PID, b.Inside, minName, minPID)
				}
				if view == "projector" && b.Details > 0 {
					t.Errorf("%s shows %d detail lines in projector view, where its words need the room", b.Proc, b.Details)
				}
				if b.State != "blocked" {
					continue
				}
				blocked++
				if b.WordText != "BLOCKED" || !b.Stripes || (view == "projector" && b.Word < projectorWord) {
					t.Errorf("blocked %s reads %q at %.1f px, striped %v: a blocked box must be unmistakable", b.Proc, b.WordText, b.Word, b.Stripes)
				}
			}
			if blocked == 0 {
				t.Error("no blocked box left to check by the time the boxes were read")
			}
			if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
				t.Fatalf("the session %s", state)
			}
			for _, b := range eval[[]compactBox](t, ctx, compactBoxesJS) {
				if b.Name < minName || !b.Inside || !strings.HasPrefix(b.WordText, "exited") {
					t.Errorf("at the end %s reads %q, name %.1f px, inside %v", b.Proc, b.WordText, b.Name, b.Inside)
				}
			}
		})
	}
}

// cableFacts is what the stage shows of a socket's connections and number.
type cableFacts struct {
	Level  string   `json:"level"`
	Words  []string `json:"words"`
	Closed []string `json:"closed"`
	Dashed []bool   `json:"dashed"`
}

const cableFactsJS = `(() => {
	const cables = [...document.querySelectorAll('#stage .cables > g')].filter((g) => g.getAttribute('visibility') !== 'hidden');
	return {
		level: (document.querySelector('#stage .obj-level') || {}).textContent || '',
		words: cables.map((g) => g.querySelector('.cable-word').textContent),
		closed: cables.map((g) => g.dataset.closed || ''),
		dashed: cables.map((g) => getComputedStyle(g.querySelector('.cable-outer')).strokeDasharray !== 'none'),
	};
})()`

var unreadLevel = regexp.MustCompile(`^unread: ([0-9,]+) bytes$`)

// TestBrowserSocketCables runs a Unix stream socket with two clients whose
// small send buffers fill while the server reads slowly, in projector view.
// The socket's number is the unread data, in bytes, and never more than
// was sent: a Unix socket's SIOCOUTQ, the kernel memory a sender's unread
// messages take (some 768 bytes for a 64-byte message), is not shown as
// bytes queued. While a client waits, its cable says its send buffer is
// full; once the connections are closed, every cable says "closed" and is
// drawn dashed.
func TestBrowserSocketCables(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 120*time.Second)
	const clients, messages, size = 2, 12, 64
	params := map[string]string{"clients": strconv.Itoa(clients), "messages": strconv.Itoa(messages), "size": strconv.Itoa(size),
		"buffer": "2048", "reader_delay_ms": "60"}
	startFromPage(t, ctx, ts.URL, "projector", "socket-unix", params, "")
	waitFor(t, ctx, "a cable that says its sender waits", `[...document.querySelectorAll('#stage .cable-word')].some((w) => w.textContent.startsWith('send buffer full'))`, 30*time.Second)
	mid := eval[cableFacts](t, ctx, cableFactsJS)
	screenshot(t, ctx, "socket-unix-cables-full.png")
	for i, w := range mid.Words {
		if strings.HasPrefix(w, "send buffer full") && mid.Closed[i] != "" {
			t.Errorf("cable %d says %q and is marked closed %q", i, w, mid.Closed[i])
		}
	}
	// The number, read while the session runs: unread bytes, never more
	// than the clients sent in all.
	most := 0
	for deadline := time.Now().Add(60 * time.Second); !eval[bool](t, ctx, sessionEndedJS); {
		if time.Now().After(deadline) {
			t.Fatal("the page never showed the session's end")
		}
		level := eval[string](t, ctx, `(document.querySelector('#stage .obj-level') || {}).textContent || ''`)
		if level != "" {
			m := unreadLevel.FindStringSubmatch(level)
			if m == nil {
				t.Fatalf("the socket's number reads %q, want \"unread: N bytes\"", level)
			}
			n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
			most = max(most, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if most == 0 || most > clients*messages*size {
		t.Errorf("the socket showed at most %d unread bytes; want some, and at most the %d bytes sent", most, clients*messages*size)
	}
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
	end := eval[cableFacts](t, ctx, cableFactsJS)
	screenshot(t, ctx, "socket-unix-cables-closed.png")
	if len(end.Words) != clients {
		t.Fatalf("%d cables for %d clients", len(end.Words), clients)
	}
	for i := range end.Words {
		if end.Words[i] != "closed" || end.Closed[i] != "both" || !end.Dashed[i] {
			t.Errorf("cable %d after the end reads %q, closed %q, dashed %v; want closed, both, dashed", i, end.Words[i], end.Closed[i], end.Dashed[i])
		}
	}
}

// TestBrowserQueueTag fills a POSIX queue with more producers than its
// FULL tag has room to name, in projector view, and checks that the tag's
// words lie inside its pill and are never cut: the stylesheet once set the
// tag's size, which overrode the smaller size the drawing chose, and the
// names ran out of the pill at both ends.
func TestBrowserQueueTag(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 90*time.Second)
	startFromPage(t, ctx, ts.URL, "projector", "mq-posix", map[string]string{"producers": "4", "maxmsg": "2"}, "slow")
	waitFor(t, ctx, "a FULL tag with three senders waiting", `(() => {
		const g = document.querySelector('#stage .full-tag');
		return !!g && g.getAttribute('visibility') === 'visible' && g.dataset.kind === 'full' &&
			[...document.querySelectorAll('#stage .proc[data-state="blocked"]')].filter((p) => p.dataset.proc.startsWith('producer')).length >= 3;
	})()`, 60*time.Second)
	type tag struct {
		Text   string `json:"text"`
		Inside bool   `json:"inside"`
	}
	got := eval[tag](t, ctx, `(() => {
		const g = document.querySelector('#stage .full-tag');
		const pill = g.querySelector('rect').getBoundingClientRect();
		const words = g.querySelector('text').getBoundingClientRect();
		return { text: g.querySelector('text').textContent,
			inside: words.left >= pill.left && words.right <= pill.right && words.width > 0 };
	})()`)
	screenshot(t, ctx, "mq-posix-full-tag-projector.png")
	if !got.Inside || strings.HasSuffix(got.Text, "…") || !strings.HasPrefix(got.Text, "FULL: ") || !strings.HasSuffix(got.Text, "must wait") {
		t.Fatalf("FULL tag %q, inside its pill: %v", got.Text, got.Inside)
	}
}

// TestBrowserProjectorPanels brings the side panels back in projector view
// at 1280x720 and checks that the code panel gets the height the list of
// keys would take: with the keys shown it had room for about ten lines.
func TestBrowserProjectorPanels(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 60*time.Second)
	startFromPage(t, ctx, ts.URL, "projector", "mq-sysv", nil, "slow")
	run(t, ctx, chromedp.KeyEvent("s"))
	waitFor(t, ctx, "the side panels", `getComputedStyle(document.querySelector('.side')).display !== 'none'`, 5*time.Second)
	keys := eval[string](t, ctx, `getComputedStyle(document.querySelector('.keys')).display`)
	lines := eval[float64](t, ctx, `(() => { const c = document.querySelector('.code');
		return c.clientHeight / parseFloat(getComputedStyle(c).lineHeight); })()`)
	screenshot(t, ctx, "projector-side-panels.png")
	if keys != "none" || lines < 16 {
		t.Fatalf("projector view with side panels: keys panel display %q, the code panel holds %.1f lines; want the keys aside and 16 lines or more", keys, lines)
	}
}

// TestBrowserReplayPause starts a session that is over on the server in a
// fraction of a second while the page takes seconds to show it, and checks
// that the page says so (REPLAY, not RUNNING) and that space holds the
// replay, arrow right shows one more event, and space again lets it end.
// Twelve messages keep the page under 100 events behind: further behind,
// it catches up at once and the replay is over before it can be seen.
func TestBrowserReplayPause(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 90*time.Second)
	startFromPage(t, ctx, ts.URL, "normal", "mq-sysv", map[string]string{"messages": "12"}, "realtime")
	waitFor(t, ctx, "the page replaying a session over on the server", `document.querySelector('#state').dataset.state === 'replay'`, 20*time.Second)
	if eval[bool](t, ctx, `document.querySelector('#pause').disabled`) {
		t.Fatal("Pause is off while the page replays")
	}
	run(t, ctx, chromedp.KeyEvent(" "))
	waitFor(t, ctx, "the replay held", `document.querySelector('#state').dataset.state === 'paused'`, 5*time.Second)
	shown := eval[int](t, ctx, eventsShownJS)
	time.Sleep(time.Second)
	if now := eval[int](t, ctx, eventsShownJS); now != shown {
		t.Fatalf("held, the page went on from %d to %d events", shown, now)
	}
	screenshot(t, ctx, "replay-held.png")
	run(t, ctx, chromedp.KeyEvent(kb.ArrowRight))
	waitFor(t, ctx, "one more event shown", fmt.Sprintf(`%s > %d`, eventsShownJS, shown), 5*time.Second)
	stepped := eval[int](t, ctx, eventsShownJS)
	time.Sleep(time.Second)
	if now := eval[int](t, ctx, eventsShownJS); now != stepped || eval[string](t, ctx, `document.querySelector('#state').dataset.state`) != "paused" {
		t.Fatalf("after one step the page shows %d events, then %d", stepped, now)
	}
	run(t, ctx, chromedp.KeyEvent(" "))
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
}

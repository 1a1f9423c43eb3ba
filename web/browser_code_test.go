package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The code panel shows each scenario's program with the numbers the
// session runs with, and the code of the choices it made (a lock, a
// signal, an order); while the session runs, a line is marked for a
// process.

// codeCase is a session to start from the page and what its code panel
// must show: lines holding each of want, none holding any of not, and, in
// Go, lines holding each of goWant.
type codeCase struct {
	scenario string
	params   map[string]string
	want     []string
	not      []string
	goWant   []string
}

// The sessions last a second or more, so that the page shows them running.
var codeCases = []codeCase{
	{
		scenario: "mq-sysv",
		params: map[string]string{"consumers": "2", "messages": "8", "size": "48", "queue_bytes": "200",
			"order": "round-robin", "consumer_delay_ms": "250"},
		want: []string{"N = 8,", "SIZE = 48,", "C = 2,", "ds.msg_qbytes = 200;", "m.type = 1 + i % C;", "usleep(250 * 1000);"},
		not:  []string{"for (m.type = t; k > 0; k--)"},
	},
	{
		scenario: "shm-sysv",
		params:   map[string]string{"messages": "12", "slots": "3", "size": "80", "reader_delay_ms": "100"},
		want:     []string{"N = 12,", "SIZE = 80,", "SLOTS = 3,", "semctl(s, EMPTY, SETVAL, SLOTS);", "usleep(100 * 1000);"},
		not:      []string{"shm_open(", "sem_wait("},
	},
	{
		scenario: "semaphore",
		params:   map[string]string{"processes": "3", "permits": "1", "rounds": "2", "hold_ms": "200"},
		want:     []string{"PROCS = 3,", "PERMITS = 1,", "ROUNDS = 2,", "usleep(200 * 1000);"},
	},
	{
		scenario: "socket-tcp",
		params:   map[string]string{"clients": "3", "messages": "6", "size": "256", "buffer": "8192", "reader_delay_ms": "60"},
		want:     []string{"CLIENTS = 3,", "N = 6,", "SIZE = 256,", "int rcv = 8192;", "int snd = 8192;", "usleep(60 * 1000);"},
		goWant:   []string{"n       = 6 // per client", "tc.SetReadBuffer(8192)"},
	},
	{
		scenario: "signal",
		params:   map[string]string{"signals": "12", "signal": "SIGRTMIN+2", "handler_delay_ms": "100"},
		want:     []string{"#define SIG (SIGRTMIN+2)", "enum { N = 12 };", "/* real-time: each one queues */", "usleep(100 * 1000);"},
		not:      []string{"more merge"},
		goWant:   []string{"sig := ipc.SigRTFree + 1 // SIGRTMIN+2", "const n = 12 // signals"},
	},
}

// codeLinesJS reads the code panel, one string a line.
const codeLinesJS = `[...document.querySelectorAll('#code .line')].map((l) => l.textContent)`

// markedJS reads the code panel's marked lines as "who how: text".
const markedJS = `[...document.querySelectorAll('#code .line[data-how]')].map((l) => l.dataset.who + ' ' + l.dataset.how + ': ' + l.textContent.trim())`

// markedWhileRunningJS holds while the page shows the session running (live,
// or played back once the processes have ended) and a line is marked.
const markedWhileRunningJS = `['running', 'replay'].includes(document.querySelector('#state').dataset.state) && !!document.querySelector('#code .line[data-how]')`

func TestBrowserCodePanel(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range codeCases {
		t.Run(c.scenario, func(t *testing.T) {
			ctx := newBrowser(t, 90*time.Second)
			startFromPage(t, ctx, ts.URL, "normal", c.scenario, c.params, "")
			waitFor(t, ctx, "a marked code line while the session runs", markedWhileRunningJS, 20*time.Second)
			checkCode(t, eval[[]string](t, ctx, codeLinesJS), c.want, c.not)
			if len(c.goWant) > 0 {
				run(t, ctx, chromedp.Click(chromedp.CSS(`#code-langs button[data-lang="go"]`)))
				waitFor(t, ctx, "the Go code", `document.querySelector('#code-langs button[data-lang="go"]').getAttribute('aria-selected') === 'true'`, 5*time.Second)
				checkCode(t, eval[[]string](t, ctx, codeLinesJS), c.goWant, nil)
			}
			waitEnd(t, ctx, 60*time.Second)
		})
	}
}

// checkCode says which of want no line holds, and which of not one does.
func checkCode(t *testing.T, lines, want, not []string) {
	t.Helper()
	holds := func(s string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, s) })
	}
	for _, w := range want {
		if !holds(w) {
			t.Errorf("no line of the code reads %q; the code:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	for _, n := range not {
		if holds(n) {
			t.Errorf("the code reads %q, which this session does not run", n)
		}
	}
}

// TestBrowserCodeStep steps a race with a semaphore as its lock: the code
// shows the semaphore, and a worker's next call is marked in turn on the
// line that takes the semaphore, the load, the store and the line that
// gives it back, though both semaphore lines make the same call (semop).
func TestBrowserCodeStep(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	startFromPage(t, ctx, ts.URL, "normal", "race", map[string]string{"workers": "2", "increments": "1", "sync": "semaphore"}, "step")
	waitFor(t, ctx, "a process waiting for a step", `!document.querySelector('#step').disabled`, 20*time.Second)
	waitFor(t, ctx, "a marked code line", `!!document.querySelector('#code .line[data-how="next"]')`, 10*time.Second)
	checkCode(t, eval[[]string](t, ctx, codeLinesJS),
		[]string{"WORKERS = 2, N = 1 };", "semop(lock, &p, 1);", "semop(lock, &v, 1);"},
		[]string{"atomic_fetch_add", "pthread_mutex_lock"})
	for _, line := range []string{"semop(lock, &p, 1);", "long got = *c;", "*c = got + 1;", "semop(lock, &v, 1);"} {
		stepUntilMarked(t, ctx, line)
	}
}

// stepUntilMarked steps the session until a worker's next call is marked
// on the line holding text.
func stepUntilMarked(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	marked := fmt.Sprintf(`[...document.querySelectorAll('#code .line[data-how="next"]')].some((l) =>
		/^worker-\d/.test(l.dataset.who) && l.textContent.includes(%q))`, text)
	for i := 0; i < 40; i++ {
		// The panel redraws a few times a second: give it the time.
		if holdsWithin(ctx, marked, 600*time.Millisecond) {
			return
		}
		waitFor(t, ctx, "a process waiting for a step", `!document.querySelector('#step').disabled || `+
			`document.querySelector('#state').dataset.state === 'finished'`, 20*time.Second)
		if eval[bool](t, ctx, `document.querySelector('#step').disabled`) {
			break // the session ended
		}
		seq := eval[int](t, ctx, eventsShownJS)
		run(t, ctx, chromedp.Click(chromedp.CSS("#step")))
		waitFor(t, ctx, "the step's event", fmt.Sprintf(`%s > %d`, eventsShownJS, seq), 20*time.Second)
	}
	t.Fatalf("no worker was ever marked to run %q next; marked now: %q", text, eval[[]string](t, ctx, markedJS))
}

// holdsWithin polls a JavaScript condition for at most d and says whether
// it came to hold.
func holdsWithin(ctx context.Context, expr string, d time.Duration) bool {
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(d)))
	return err == nil
}

// TestBrowserCodeWhere runs the TCP scenario at laptop size, where the
// server's accept() line is wider than the panel and cuts its own marker
// off: the strip above the code still names the server, its state and
// its line, in full view, and a press on it shows that line.
func TestBrowserCodeWhere(t *testing.T) {
	ts := newTestServer(t)
	ctx := newPacedBrowser(t, 90*time.Second)
	startFromPage(t, ctx, ts.URL, "normal", "socket-tcp", map[string]string{"clients": "2", "messages": "2"}, "slow")
	run(t, ctx, chromedp.EmulateViewport(1366, 768))
	chip := `[...document.querySelectorAll('#code-where button')].find((b) => b.textContent.startsWith('server blocked · line'))`
	waitFor(t, ctx, "the server's place above the code", "!!"+chip, 20*time.Second)
	type place struct {
		Text     string `json:"text"`
		Line     int    `json:"line"`
		Marked   string `json:"marked"`
		Inside   bool   `json:"inside"`
		Overflow bool   `json:"overflow"`
	}
	p := eval[place](t, ctx, `(() => {
		const b = `+chip+`;
		const panel = document.querySelector('.code-panel').getBoundingClientRect();
		const r = b.getBoundingClientRect();
		const line = document.querySelectorAll('#code .line')[Number(b.dataset.line) - 1];
		const pre = document.querySelector('#code');
		return { text: b.textContent, line: Number(b.dataset.line), marked: line.dataset.who || '',
			inside: r.left >= panel.left && r.right <= panel.right && r.top >= panel.top && r.bottom <= panel.bottom,
			overflow: line.scrollWidth > pre.clientWidth };
	})()`)
	if !p.Inside {
		t.Errorf("%q is not inside the code panel", p.Text)
	}
	if !strings.Contains(p.Marked, "server") {
		t.Errorf("%q points at line %d, which is marked for %q", p.Text, p.Line, p.Marked)
	}
	if !p.Overflow {
		t.Logf("line %d fits the panel at this size; the strip is checked all the same", p.Line)
	}
	// However many processes, the strip is one row, a blocked one first.
	if rows := eval[float64](t, ctx, `(() => { const w = document.querySelector('#code-where'); return w.clientHeight / w.firstElementChild.offsetHeight; })()`); rows >= 2 {
		t.Errorf("the strip above the code takes %.1f rows", rows)
	}
	if first := eval[string](t, ctx, `document.querySelector('#code-where button').dataset.how`); first != "blocked" {
		t.Errorf("the strip starts with a process that is %s, not the blocked one", first)
	}
	// Scroll the code away, then press the chip: the line comes back.
	eval[bool](t, ctx, `(() => { const pre = document.querySelector('#code'); pre.scrollTop = pre.scrollHeight; return true; })()`)
	eval[bool](t, ctx, "("+chip+").click() ?? true")
	waitFor(t, ctx, "the server's line in view", fmt.Sprintf(`(() => {
		const pre = document.querySelector('#code').getBoundingClientRect();
		const r = document.querySelectorAll('#code .line')[%d].getBoundingClientRect();
		return r.top >= pre.top && r.bottom <= pre.bottom;
	})()`, p.Line-1), 5*time.Second)
	screenshot(t, ctx, "code-where.png")
	waitEnd(t, ctx, 90*time.Second)
}

package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/bench"
)

// The compare view in the browsers: a bar per mechanism, filled in from
// the measure events, the same numbers in a table, and the sentences that
// say what the chart shows and how it was measured.

func init() {
	scenarioCases["compare"] = scenarioCase{compareParams, ".cmp-chart", stageFacts.noResultCheck}
	scenarioCases["copy-cost"] = scenarioCase{map[string]string{"count": "200", "reps": "1"}, ".cmp-chart", stageFacts.noResultCheck}
}

// compareParams is a quick compare: every mechanism's round trip at 64 B.
var compareParams = map[string]string{"mode": "rtt", "sizes": "64", "count": "100", "reps": "1"}

// noResultCheck: the compare scenarios count no messages; the chart's
// own checks are in compareFacts.
func (f stageFacts) noResultCheck(*testing.T, sessionSnapshot) {}

// compareFacts is what the compare view shows.
type compareFacts struct {
	Bars   []compareBar `json:"bars"`
	Rows   int          `json:"rows"`
	Says   string       `json:"says"`
	Now    string       `json:"now"`
	Method string       `json:"method"`
	Mode   string       `json:"mode"`
}

type compareBar struct {
	Mech  string  `json:"mech"`
	Value float64 `json:"value"`
	Width float64 `json:"width"`
}

const compareFactsJS = `(() => {
	const q = (sel) => document.querySelector('#stage ' + sel);
	return {
		bars: [...document.querySelectorAll('#stage .cmp-bar')].map((b) => ({
			mech: b.dataset.mech, value: Number(b.dataset.value), width: b.getBoundingClientRect().width })),
		rows: document.querySelectorAll('#stage .cmp-table tbody tr').length,
		says: q('.cmp-says').textContent,
		now: q('.cmp-now').textContent,
		method: q('.cmp-method').textContent,
		mode: q('.cmp-mode').value,
	};
})()`

// rttMechanisms lists the mechanisms with a round trip at 64 B: all.
func rttMechanisms() []string {
	var out []string
	for _, m := range bench.Mechanisms() {
		if m.Skip(bench.RoundTrip, 64) == "" {
			out = append(out, m.Name)
		}
	}
	return out
}

// check holds the view to a bar per mechanism in want, each drawn and
// with its value, a table row for each, and its sentences.
func (f compareFacts) check(t *testing.T, want []string) {
	t.Helper()
	got := map[string]bool{}
	for _, b := range f.Bars {
		got[b.Mech] = true
		if b.Value <= 0 || b.Width < 1 {
			t.Errorf("bar of %s: value %v, %v pixels wide", b.Mech, b.Value, b.Width)
		}
	}
	if len(f.Bars) != len(want) || f.Rows != len(want) {
		t.Errorf("%d bars and %d table rows for %d mechanisms: %+v", len(f.Bars), f.Rows, len(want), f.Bars)
	}
	for _, m := range want {
		if !got[m] {
			t.Errorf("no bar for %s", m)
		}
	}
	if f.Says == "" || !strings.Contains(f.Method, "repetitions") || !strings.Contains(f.Now, "Every cell is done") {
		t.Errorf("the view says %q, %q, %q", f.Says, f.Now, f.Method)
	}
}

// TestBrowserCompare runs the compare scenario from the page in Chromium
// and the copy-cost lesson after it.
func TestBrowserCompare(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 150*time.Second)
	id := startFromPage(t, ctx, ts.URL, "normal", "compare", compareParams, "")
	if state := waitEnd(t, ctx, 90*time.Second); state != "finished" {
		t.Fatalf("the page says the session %s", state)
	}
	f := eval[compareFacts](t, ctx, compareFactsJS)
	f.check(t, rttMechanisms())
	if f.Mode != bench.RoundTrip || !strings.Contains(f.Says, "Round trips of 64 B") {
		t.Errorf("mode %q, sentence %q", f.Mode, f.Says)
	}
	checkCommonCompare(t, ctx, ts, id)
	screenshot(t, ctx, "compare-normal.png")
	eval[bool](t, ctx, `(window.compareRules = null, `+compareRulesJS+`.then((r) => { window.compareRules = r; }), true)`)
	waitFor(t, ctx, "the compare view's rules", `window.compareRules !== null`, 10*time.Second)
	eval[compareRules](t, ctx, `window.compareRules`).check(t)

	startFromPage(t, ctx, ts.URL, "normal", "copy-cost", map[string]string{"count": "300"}, "")
	waitEnd(t, ctx, 90*time.Second)
	f = eval[compareFacts](t, ctx, compareFactsJS)
	f.check(t, []string{"pipe", "shmfutex"})
	checkCopyCost(t, f)
	screenshot(t, ctx, "copy-cost-normal.png")
}

func checkCommonCompare(t *testing.T, ctx context.Context, ts *testServer, id string) {
	t.Helper()
	readFacts(t, ctx, ".cmp-chart").checkCommon(t, ts.URL, id, getSession(t, ts.URL, id))
	checkSentences(t, ctx, id)
}

// checkCopyCost: the two bars are drawn to scale, the longer for the
// larger value, and the sentence names the one that moves the most. Which
// one that is, TestCompareCopyCost checks over more repetitions: one slow
// spell of the machine can reverse a pair of medians.
func checkCopyCost(t *testing.T, f compareFacts) {
	t.Helper()
	by := map[string]compareBar{}
	for _, b := range f.Bars {
		by[b.Mech] = b
	}
	shm, pipe := by["shmfutex"], by["pipe"]
	if (shm.Value > pipe.Value) != (shm.Width > pipe.Width) {
		t.Errorf("64 KiB one way: shared memory %v MB/s (%v px), pipe %v MB/s (%v px)", shm.Value, shm.Width, pipe.Value, pipe.Width)
	}
	first := "pipe moves the most"
	if shm.Value > pipe.Value {
		first = "shared memory + futex moves the most"
	}
	if !strings.Contains(f.Says, first) {
		t.Errorf("the sentence reads %q, want it to say %q", f.Says, first)
	}
}

// TestFirefoxCompare runs the same two in Firefox.
func TestFirefoxCompare(t *testing.T) {
	path := firefoxPath(t)
	ts := newTestServer(t)
	ff := newFirefox(t, path, 3*time.Minute)
	ff.fillForm(t, ts.URL, "normal", "compare", compareParams)
	id := ff.pressStart(t)
	ff.waitEnd(t, 90*time.Second)
	f := ffEval[compareFacts](t, ff, compareFactsJS)
	f.check(t, rttMechanisms())
	ff.readFacts(t, ".cmp-chart").checkCommon(t, ts.URL, id, getSession(t, ts.URL, id))
	ff.screenshot(t, "firefox-compare.png")
	ffEval[compareRules](t, ff, compareRulesJS).check(t)
	ff.checkErrors(t)

	ff.fillForm(t, ts.URL, "normal", "copy-cost", map[string]string{"count": "300"})
	ff.pressStart(t)
	ff.waitEnd(t, 90*time.Second)
	f = ffEval[compareFacts](t, ff, compareFactsJS)
	f.check(t, []string{"pipe", "shmfutex"})
	checkCopyCost(t, f)
	ff.screenshot(t, "firefox-copy-cost.png")
	ff.checkErrors(t)
}

// compareRulesJS runs the compare view's pure rules in the page: when the
// chart turns logarithmic, how values are written, and what the sentence
// says of the best and the worst.
const compareRulesJS = `(async () => {
	const m = await import('/static/js/mechanisms/compare.js');
	const rtt = (mechanism, title, p50) => ({ mechanism, title, mode: 'rtt', size: 64, rtt_p50_ns: p50, mb_per_s: 1 });
	const stream = (mechanism, title, mb) => ({ mechanism, title, mode: 'stream', size: 65536, mb_per_s: mb });
	const lin = m.scaleFor([5000, 10000, 20000]);
	const log = m.scaleFor([1, 100, 1000]);
	return {
		linear: [lin.log, lin.len(20000), lin.len(10000), lin.len(0)],
		log: [log.log, log.len(1000), log.len(1) > 0.2, log.len(100) > log.len(1)],
		values: [m.fmtValue(4500, 'rtt'), m.fmtValue(39000, 'rtt'), m.fmtValue(2500000, 'rtt'), m.fmtValue(6534, 'stream'), m.fmtValue(42.5, 'stream')],
		rttSays: m.sentenceFor([rtt('pipe', 'pipe', 7000), rtt('tcp', 'TCP loopback', 21000), rtt('shmfutex', 'shared memory', 3500)], 'rtt', 64),
		streamSays: m.sentenceFor([stream('pipe', 'pipe', 1200), stream('shmfutex', 'shared memory', 6000)], 'stream', 65536),
		skippedOnly: m.sentenceFor([{ mechanism: 'udp', mode: 'stream', size: 64, skipped: 'drops' }], 'stream', 64),
	};
})()`

type compareRules struct {
	Linear      []any    `json:"linear"`
	Log         []any    `json:"log"`
	Values      []string `json:"values"`
	RttSays     string   `json:"rttSays"`
	StreamSays  string   `json:"streamSays"`
	SkippedOnly string   `json:"skippedOnly"`
}

// check holds the rules to what the view promises.
func (r compareRules) check(t *testing.T) {
	t.Helper()
	if fmt.Sprint(r.Linear) != "[false 1 0.5 0]" {
		t.Errorf("values within 20 times of each other: scale %v, want linear", r.Linear)
	}
	if fmt.Sprint(r.Log) != "[true 1 true true]" {
		t.Errorf("values 1000 times apart: scale %v, want logarithmic with the smallest still seen", r.Log)
	}
	if want := "[4.5 µs 39 µs 2.50 ms 6.53 GB/s 43 MB/s]"; fmt.Sprint(r.Values) != want {
		t.Errorf("values written %v, want %s", r.Values, want)
	}
	if want := "Round trips of 64 B: shared memory is quickest at 3.5 µs; TCP loopback takes 6.0× as long (21 µs)."; !strings.HasPrefix(r.RttSays, want) {
		t.Errorf("round-trip sentence %q, want it to start %q", r.RttSays, want)
	}
	if want := "Messages of 64 KiB one way: shared memory moves the most, 6.00 GB/s; pipe moves 5.0× less (1.20 GB/s)."; !strings.HasPrefix(r.StreamSays, want) {
		t.Errorf("stream sentence %q, want it to start %q", r.StreamSays, want)
	}
	if r.SkippedOnly != "" {
		t.Errorf("with no cell measured the sentence reads %q", r.SkippedOnly)
	}
}

package web

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// drawnFacts is what the stage shows of the kernel's numbers at the seq
// the page holds: each object's fill or value, each signalled process's
// pending set, a UDP port's drop count, and the event the kernel panel
// says it shows.
type drawnFacts struct {
	At     string      `json:"at"`
	Kernel string      `json:"kernel"`
	Objs   []drawnObj  `json:"objs"`
	Sigs   []drawnSigs `json:"sigs"`
	Drops  string      `json:"drops"`
}

type drawnObj struct {
	Obj   string `json:"obj"`
	Fill  string `json:"fill"`
	Value string `json:"value"`
}

type drawnSigs struct {
	Proc    string `json:"proc"`
	Pending string `json:"pending"`
}

const drawnFactsJS = `(() => {
	const shown = (el) => !el.closest('[visibility="hidden"]');
	const mark = document.querySelector('#stage .lost-mark');
	return {
		at: document.querySelector('#t-pos').textContent,
		kernel: document.querySelector('#kernel').textContent.split('\n')[0],
		objs: [...document.querySelectorAll('#stage [data-obj]')].filter(shown)
			.map((g) => ({ obj: g.dataset.obj, fill: g.dataset.fill || '', value: g.dataset.value || '' })),
		sigs: [...document.querySelectorAll('#stage .sig-panel')].filter(shown)
			.map((g) => ({ proc: g.dataset.proc, pending: g.querySelector('.sig-kernel').dataset.pending || '' })),
		drops: (mark && mark.dataset.drops) || '',
	};
})()`

// kernelAt is what the log says the kernel reported, up to a seq: the
// last fill and value of each object, the last pending set of each
// process, the last drop count of each port.
type kernelAt struct {
	fill, value, drops map[string]int64
	pending            map[string]string
}

func kernelUpTo(evs []event.Event, seq uint64) kernelAt {
	k := kernelAt{fill: map[string]int64{}, value: map[string]int64{}, drops: map[string]int64{}, pending: map[string]string{}}
	for _, e := range evs {
		if e.Seq > seq {
			break
		}
		if e.Kind == event.KindMoment {
			continue
		}
		if e.Obj != "" && e.Fill != nil {
			k.fill[e.Obj] = *e.Fill
		}
		if e.Obj != "" && e.Value != nil {
			k.value[e.Obj] = *e.Value
		}
		if d, ok := e.Attrs["drops"].(float64); ok && e.Obj != "" {
			k.drops[e.Obj] = int64(d)
		}
		if p, ok := e.Attrs["sig_pending"].([]any); ok && e.Kind == event.KindSample {
			var s []string
			for _, n := range p {
				s = append(s, fmt.Sprint(n))
			}
			k.pending[e.Proc] = strings.Join(s, " ")
		}
	}
	return k
}

// TestBrowserPictureIsTheKernels runs scenarios whose lesson is a kernel
// number (a pipe's fill, a queue's messages, a semaphore's value, the
// signals pending for a process, the datagrams a port dropped), then
// steps the page to seqs spread over the run and to each reading of the
// kernel: at every one, the stage draws the numbers the log's last
// reports give, and the kernel panel says it shows that same event.
func TestBrowserPictureIsTheKernels(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		scenario, pace string
		params         map[string]string
	}{
		{"pipe", "realtime", map[string]string{"messages": "16", "size": "1024", "capacity": "4096", "reader_delay_ms": "20"}},
		{"mq-posix", "realtime", map[string]string{"messages": "8", "maxmsg": "4", "consumer_delay_ms": "40"}},
		{"semaphore", "realtime", nil},
		{"signal", "slow", map[string]string{"signals": "6", "signal": "SIGUSR1", "handler_delay_ms": "300"}},
		{"socket-udp", "realtime", fastLossyDatagrams},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			// A browser of its own: the last one was left held at a seq.
			ctx := newBrowser(t, 120*time.Second)
			id := startFromPage(t, ctx, ts.URL, "normal", c.scenario, c.params, c.pace)
			if state := waitEnd(t, ctx, 90*time.Second); state != "finished" {
				t.Fatalf("the session %s", state)
			}
			_, body := ts.do(t, "GET", "/api/sessions/"+id+"/events.jsonl", "")
			evs := decodeJSONL(t, body)
			n := uint64(len(evs))
			var seqs []uint64
			for i := uint64(1); i <= 8; i++ {
				seqs = append(seqs, n*i/9)
			}
			for _, e := range evs {
				if e.Kind == event.KindSample && (e.Attrs["sig_pending"] != nil || e.Attrs["drops"] != nil) && len(seqs) < 20 {
					seqs = append(seqs, e.Seq)
				}
			}
			slices.Sort(seqs)
			seqs = slices.Compact(seqs)
			checked := map[string]int{}
			for _, seq := range seqs {
				if seq == 0 {
					continue
				}
				f := holdAt(t, ctx, seq)
				k := kernelUpTo(evs, seq)
				for _, o := range f.Objs {
					if want, ok := k.fill[o.Obj]; ok && o.Fill != "" {
						checked["fill"]++
						if o.Fill != strconv.FormatInt(want, 10) {
							t.Errorf("at %d %s is drawn holding %s, the kernel reported %d", seq, o.Obj, o.Fill, want)
						}
					}
					if want, ok := k.value[o.Obj]; ok && o.Value != "" {
						checked["value"]++
						if o.Value != strconv.FormatInt(want, 10) {
							t.Errorf("at %d %s is drawn with value %s, the kernel reported %d", seq, o.Obj, o.Value, want)
						}
					}
				}
				for _, s := range f.Sigs {
					if want, ok := k.pending[s.Proc]; ok {
						checked["pending"]++
						if s.Pending != want {
							t.Errorf("at %d %s is drawn with %q pending, the kernel reported %q", seq, s.Proc, s.Pending, want)
						}
					}
				}
				for _, d := range k.drops {
					checked["drops"]++
					if got, _ := strconv.ParseInt(f.Drops, 10, 64); got != d {
						t.Errorf("at %d the stage shows %q dropped, the kernel reported %d", seq, f.Drops, d)
					}
				}
			}
			t.Logf("%d seqs; numbers checked: %v", len(seqs), checked)
			if len(checked) == 0 {
				t.Error("no number of the kernel was drawn to check")
			}
			screenshot(t, ctx, "truth-"+c.scenario+".png")
		})
	}
}

// holdAt moves the page to seq, through the transport bar's box, and
// reads the stage once the page holds there.
func holdAt(t *testing.T, ctx context.Context, seq uint64) drawnFacts {
	t.Helper()
	eval[any](t, ctx, fmt.Sprintf(`(() => { document.querySelector('#t-seq').value = %d; document.querySelector('#t-goto').requestSubmit(); return null; })()`, seq))
	at := commas(int(seq))
	waitFor(t, ctx, "the page held at "+at, fmt.Sprintf(`document.querySelector('#t-pos').textContent.startsWith(%q) && document.querySelector('#kernel').textContent.startsWith(%q)`,
		at+" /", "# at event "+at+","), 10*time.Second)
	// A few frames more, so every part has drawn the held seq.
	time.Sleep(80 * time.Millisecond)
	return eval[drawnFacts](t, ctx, drawnFactsJS)
}

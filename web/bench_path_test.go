package web

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The event path, measured whole: worker processes make real calls and
// report them, the server orders, numbers and records them, and a viewer
// receives them over a real WebSocket. Run with
//
//	go test -run '^$' -bench EventPath -benchtime 3x ./web
//
// The figures are in docs/BENCHMARKS.md. BenchmarkEventPath/pipe runs the
// pipe scenario at full speed (10,000 messages of 64 bytes) and reports the
// events per second the viewer received and the messages per second the
// processes moved; with CBENCH_SRC naming the C yardstick's source it runs
// the yardstick's pipe stream of 64 bytes in the same run and reports the
// ratio. BenchmarkEventPath/steady runs four sessions that together make
// about 10,000 events a second and reports how long events took from the
// worker's clock to the viewer.

// viewed is what one viewer saw of a session.
type viewed struct {
	events  int
	delays  []time.Duration // receipt minus the event's time, on the shared clock
	firstT  int64           // the first data event's time
	lastT   int64           // the last data event's time
	msgs    int
	elapsed time.Duration
	endT    int64         // the last event's t: the session's length on its own clock
	recvOne time.Duration // from the first event received to the last
}

// watch reads a session's stream to its end, noting each event's delay
// when the session said when its clock started.
func watch(ctx context.Context, url string) (viewed, error) {
	var v viewed
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return v, err
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 20)
	start := int64(-1)
	t0 := time.Now()
	var first time.Time
	// One buffer for every message: the viewer shares the machine with the
	// server, and a fresh allocation per message would be charged to it.
	var msg bytes.Buffer
	for {
		_, r, err := c.Reader(ctx)
		if err == nil {
			msg.Reset()
			_, err = msg.ReadFrom(r)
		}
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				v.elapsed = time.Since(t0)
				return v, nil
			}
			return v, err
		}
		b := msg.Bytes()
		now := ipc.Monotonic()
		if first.IsZero() {
			first = time.Now()
		}
		v.recvOne = time.Since(first)
		// Read only what is measured: a full decode in this process would
		// measure the viewer, not the server.
		if start < 0 {
			if i := bytes.Index(b, []byte(`"clock_start":`)); i >= 0 {
				start, _ = leadingInt(b[i+len(`"clock_start":`):])
			}
		}
		err = scanEvents(b, func(_ uint64, t int64, kind string, ev []byte) {
			v.events++
			v.endT = t
			if start >= 0 && kind != event.KindSession {
				v.delays = append(v.delays, time.Duration(now-(start+t)))
			}
			if kind == event.KindWrite || kind == event.KindRead {
				if v.firstT == 0 {
					v.firstT = t
				}
				v.lastT = t
				if kind == event.KindRead && bytes.Contains(ev, []byte(`"msg":`)) {
					v.msgs++
				}
			}
		})
		if err != nil {
			return v, err
		}
	}
}

// scanEvents calls fn for each event of a stream message, with its seq, t
// and kind, which the server writes first in every event, and the event's
// own text. It decodes nothing else.
func scanEvents(b []byte, fn func(seq uint64, t int64, kind string, ev []byte)) error {
	const open = `{"seq":`
	for i := bytes.Index(b, []byte(open)); i >= 0; {
		rest := b[i+len(open):]
		seq, n := leadingInt(rest)
		rest = rest[n:]
		if !bytes.HasPrefix(rest, []byte(`,"t":`)) {
			return fmt.Errorf("an event without t after seq %d", seq)
		}
		t, n := leadingInt(rest[len(`,"t":`):])
		rest = rest[len(`,"t":`)+n:]
		kind := ""
		if k, ok := bytes.CutPrefix(rest, []byte(`,"kind":"`)); ok {
			if j := bytes.IndexByte(k, '"'); j >= 0 {
				kind = string(k[:j])
			}
		}
		next := bytes.Index(rest, []byte(open))
		end := len(rest)
		if next >= 0 {
			end = next
		}
		fn(uint64(seq), t, kind, rest[:end])
		if next < 0 {
			break
		}
		i = len(b) - len(rest) + next
	}
	return nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func BenchmarkEventPath(b *testing.B) {
	b.Run("pipe", func(b *testing.B) {
		ts := newTestServer(b)
		var evs, msgs, secs, sessMS, recvMS float64
		var cMsgs float64
		cbench := buildCBench(b)
		for b.Loop() {
			c := ts.create(b, `{"scenario": "pipe", "params": {"messages": 10000, "size": 64}}`)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			v, err := watch(ctx, c.EventsURL)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			evs += float64(v.events)
			secs += v.elapsed.Seconds()
			sessMS += float64(v.endT) / 1e6
			recvMS += float64(v.recvOne.Microseconds()) / 1000
			msgs += float64(v.msgs) / (float64(v.lastT-v.firstT) / 1e9)
			if r := cPipeStream(b, cbench); r > 0 {
				cMsgs += r
			}
		}
		n := float64(b.N)
		b.ReportMetric(evs/secs, "events/s")
		b.ReportMetric(msgs/n, "msgs/s")
		b.ReportMetric(sessMS/n, "session-ms")
		b.ReportMetric(recvMS/n, "received-in-ms")
		if cMsgs > 0 {
			b.ReportMetric(cMsgs/n, "C-msgs/s")
			b.ReportMetric((cMsgs/n)/(msgs/n), "C/Go")
		}
	})
	b.Run("steady", func(b *testing.B) {
		ts := newTestServer(b)
		var all []time.Duration
		var evs, secs float64
		for b.Loop() {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for range 4 {
				c := ts.create(b, `{"scenario": "pipe", "params": {"messages": 2000, "size": 64, "reader_delay_ms": 1}}`)
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					defer cancel()
					v, err := watch(ctx, c.EventsURL)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					all = append(all, v.delays...)
					evs += float64(v.events)
					secs = max(secs, v.elapsed.Seconds())
					mu.Unlock()
				})
			}
			wg.Wait()
		}
		b.ReportMetric(evs/secs/float64(b.N), "events/s")
		b.ReportMetric(float64(percentile(all, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(all, 0.99).Microseconds())/1000, "p99-ms")
	})
}

// buildCBench builds the C yardstick once, if CBENCH_SRC names its source,
// and returns the program's path ("" without it).
func buildCBench(b *testing.B) string {
	src := os.Getenv("CBENCH_SRC")
	if src == "" {
		return ""
	}
	bin := filepath.Join(b.TempDir(), "cbench")
	if out, err := exec.Command("gcc", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		b.Fatalf("build the C yardstick: %v\n%s", err, out)
	}
	return bin
}

// cPipeStream runs the C yardstick's pipe stream of 10,000 messages of 64
// bytes, if bin names it, and returns its messages per second (0 without
// it).
func cPipeStream(b *testing.B, bin string) float64 {
	if bin == "" {
		return 0
	}
	out, err := exec.Command(bin, "pipe", "stream", "64", "10000").Output()
	if err != nil {
		b.Fatalf("run the C yardstick: %v", err)
	}
	// RESULT impl=c mech=pipe ... msg_s=N MB_s=M
	for _, f := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(f, "="); ok && k == "msg_s" {
			r, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return r
			}
		}
	}
	b.Fatalf("no messages per second in the C yardstick's output: %s", out)
	return 0
}

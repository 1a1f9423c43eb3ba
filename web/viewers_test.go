package web

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// A class: many viewers of one session. The session is paused at its
// start while the viewers connect, then resumed, so every viewer sees it
// live. Each viewer checks that it got every event once, in seq order, and
// notes how long each event took from the worker's clock to it.

// classSession is a session of about 10,000 events a second: four
// producers and four consumers on a POSIX queue, each consumer pausing a
// millisecond before each receive.
const classSession = `{"scenario": "mq-posix", "params": {"producers": 4, "consumers": 4, "messages": %d,
	"consumer_delay_ms": 1, "maxmsg": 10}}`

// leadingInt parses the whole number at the start of b and says how many
// bytes it took.
func leadingInt(b []byte) (int64, int) {
	neg, i := false, 0
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var v int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	if neg {
		v = -v
	}
	return v, i
}

// classResult is what one viewer saw.
type classResult struct {
	events int
	delays []time.Duration
	err    error
}

// watchClass reads a stream to its end; delays are noted for events made
// after live, on the shared clock.
func watchClass(ctx context.Context, url string, ready *sync.WaitGroup, live *atomic.Int64) classResult {
	var r classResult
	c, _, err := websocket.Dial(ctx, url, nil)
	ready.Done()
	if err != nil {
		r.err = err
		return r
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 20)
	start := int64(-1)
	want := uint64(1)
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				r.err = fmt.Errorf("after %d events: %w", r.events, err)
			}
			return r
		}
		now := ipc.Monotonic()
		// A hundred viewers decoding every event in full, on the same two
		// cores as the server, would measure the viewers: each reads only
		// the seq and t that start every event the server encodes.
		if start < 0 {
			if i := bytes.Index(b, []byte(`"clock_start":`)); i >= 0 {
				start, _ = leadingInt(b[i+len(`"clock_start":`):])
			}
		}
		err = scanEvents(b, func(seq uint64, t int64, _ string, _ []byte) {
			if r.err != nil {
				return
			}
			if seq != want {
				r.err = fmt.Errorf("seq %d where %d was due", seq, want)
				return
			}
			want++
			r.events++
			if l := live.Load(); start >= 0 && l > 0 && t > l-start {
				r.delays = append(r.delays, time.Duration(now-(start+t)))
			}
		})
		if err != nil && r.err == nil {
			r.err = err
		}
		if r.err != nil {
			return r
		}
	}
}

// runClass starts a class session paused, connects viewers, resumes it and
// waits for every viewer to see it end. It returns what each saw, the
// events per second the session made, and the server's heap growth per
// viewer while they watched.
func runClass(t testing.TB, ts *testServer, viewers, messages int) ([]classResult, float64, float64) {
	t.Helper()
	c := ts.create(t, fmt.Sprintf(classSession, messages))
	auth := []string{"Authorization", "Bearer " + c.PresenterToken}
	if status, b := ts.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "pause"}`, auth...); status != 200 {
		t.Fatalf("pause: %d %s", status, b)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var ready, done sync.WaitGroup
	var live atomic.Int64
	results := make([]classResult, viewers)
	ready.Add(viewers)
	for i := range viewers {
		done.Go(func() { results[i] = watchClass(ctx, c.EventsURL, &ready, &live) })
	}
	ready.Wait()
	time.Sleep(200 * time.Millisecond) // every viewer has read what was logged so far
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	live.Store(ipc.Monotonic())
	t0 := time.Now()
	if status, b := ts.do(t, "POST", "/api/sessions/"+c.ID+"/control", `{"action": "resume"}`, auth...); status != 200 {
		t.Fatalf("resume: %d %s", status, b)
	}
	done.Wait()
	elapsed := time.Since(t0)
	perViewer := float64(int64(during.HeapInuse+during.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(viewers)
	n := 0
	if len(results) > 0 {
		n = results[0].events
	}
	return results, float64(n) / elapsed.Seconds(), perViewer
}

// TestClassWatchesLive is the class at a small size, in every run: 20 viewers,
// each of which must get every event once and in order.
func TestClassWatchesLive(t *testing.T) {
	ts := newTestServer(t)
	results, _, _ := runClass(t, ts, 20, 400)
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("viewer %d: %v", i, r.err)
		}
		if r.events != results[0].events || r.events < 400 {
			t.Fatalf("viewer %d got %d events, viewer 0 %d", i, r.events, results[0].events)
		}
	}
}

// BenchmarkViewers is the class at full size: 100 viewers of a session of
// about 10,000 events a second; and one viewer of the same session.
//
//	go test -run '^$' -bench Viewers -benchtime 1x ./web
//
// It reports the session's events per second, the delay from a worker's
// clock to a viewer (p50 and p99, over every viewer's events), and the
// server's memory per viewer.
func BenchmarkViewers(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchClass(b, n) })
	}
}

func benchClass(b *testing.B, viewers int) {
	for b.Loop() {
		ts := newTestServer(b)
		results, rate, perViewer := runClass(b, ts, viewers, 10000)
		var all []time.Duration
		for i, r := range results {
			if r.err != nil {
				b.Fatalf("viewer %d: %v", i, r.err)
			}
			if r.events != results[0].events {
				b.Fatalf("viewer %d got %d events, viewer 0 %d", i, r.events, results[0].events)
			}
			all = append(all, r.delays...)
		}
		slices.Sort(all)
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(perViewer/1024, "KiB/viewer")
	}
}

package scenario

import "sync"

// gaugeEvery is how long a gauge repeats its last reading before it asks
// the kernel again. A page shows a few dozen frames a second: between two
// asks a busy socket's events carry a count the kernel gave a moment
// before, and asking after every call would cost more than the call.
const gaugeEvery = 5_000_000 // ns

// gauge reads a count from the kernel (the bytes unread on a socket, what
// its send buffer holds) for events, asking at most once every gaugeEvery
// unless the caller wants a fresh reading: after a call that blocked, when
// the count is the story. A failed ask is not kept.
type gauge struct {
	ask   func() *int64
	now   func() int64 // monotonic ns
	every int64

	mu     sync.Mutex
	asked  bool
	at     int64
	last   int64
	lastOK bool
}

func newGauge(ask func() *int64, now func() int64) *gauge {
	return &gauge{ask: ask, now: now, every: gaugeEvery}
}

// read returns the count, or nil when the kernel could not say.
func (g *gauge) read(fresh bool) *int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.now()
	if !fresh && g.asked && g.lastOK && t-g.at < g.every {
		v := g.last
		return &v
	}
	n := g.ask()
	g.asked, g.at, g.lastOK = true, t, n != nil
	if n == nil {
		return nil
	}
	g.last = *n
	v := *n
	return &v
}

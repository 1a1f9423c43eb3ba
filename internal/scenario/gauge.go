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

// fillEvery is the longest a pipe's or FIFO's end goes without asking the
// kernel how full it is, while calls go by at the realtime pace. The page
// summarises such a run at about a hundredth of its speed, so 100 µs of it
// is about one frame: asked more often, nobody could see the difference,
// and each ask (FIONREAD) costs the kernel about what the read or write
// itself does.
const fillEvery = 100_000 // ns

// sampler decides, call by call, whether an end asks the kernel its fill.
// It asks on the first call, on any call the caller marks fresh (one that
// must wait or waited, end of file, a pace a person follows call by call),
// and otherwise once fillEvery has gone by since the last answer. Between
// asks an event carries no fill at all: the page keeps showing the last
// count the kernel gave, and says from when; no count is made up or
// repeated as new. One goroutine uses a sampler.
type sampler struct {
	now   func() int64 // monotonic ns
	every int64
	asked bool
	at    int64
}

// read returns what ask says when an ask is due, else nil. A failed ask
// (nil) leaves the next call due.
func (s *sampler) read(fresh bool, ask func() *int64) *int64 {
	t := s.now()
	if !fresh && s.asked && t-s.at < s.every {
		return nil
	}
	n := ask()
	if n != nil {
		s.asked, s.at = true, t
	}
	return n
}

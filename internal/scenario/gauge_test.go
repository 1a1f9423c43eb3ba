package scenario

import "testing"

func TestGauge(t *testing.T) {
	type read struct {
		at    int64 // ns on the injected clock
		fresh bool
		asks  bool // the kernel is asked for this one
	}
	for _, c := range []struct {
		name  string
		fails map[int]bool // asks (by number) the kernel fails
		reads []read
	}{
		{"the first read asks", nil, []read{{0, false, true}}},
		{"a read soon after repeats", nil, []read{{0, false, true}, {1_000_000, false, false}, {4_999_999, false, false}}},
		{"a read after the interval asks", nil, []read{{0, false, true}, {5_000_000, false, true}, {6_000_000, false, false}}},
		{"a fresh read always asks", nil, []read{{0, false, true}, {1, true, true}, {2, true, true}, {3, false, false}}},
		{"a failed ask is not kept", map[int]bool{1: true}, []read{{0, false, true}, {1, false, true}, {2, false, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var now int64
			asks := 0
			g := newGauge(func() *int64 {
				asks++
				if c.fails[asks] {
					return nil
				}
				v := int64(100 * asks)
				return &v
			}, func() int64 { return now })
			for i, r := range c.reads {
				now = r.at
				before := asks
				got := g.read(r.fresh)
				if asked := asks > before; asked != r.asks {
					t.Fatalf("read %d at %d (fresh %v): asked %v, want %v", i, r.at, r.fresh, asked, r.asks)
				}
				switch {
				case c.fails[asks] && r.asks:
					if got != nil {
						t.Fatalf("read %d: %d from a failed ask", i, *got)
					}
				case got == nil || *got != int64(100*asks):
					t.Fatalf("read %d: %v, want the last answer %d", i, got, 100*asks)
				}
			}
		})
	}
}

func TestSampler(t *testing.T) {
	type call struct {
		at    int64 // ns on the injected clock
		fresh bool
		asks  bool // the kernel is asked, and the event carries its answer
	}
	for _, c := range []struct {
		name  string
		fails map[int]bool // asks (by number) the kernel fails
		calls []call
	}{
		{"the first call asks", nil, []call{{0, false, true}}},
		{"calls soon after carry nothing", nil, []call{{0, false, true}, {1, false, false}, {99_999, false, false}}},
		{"a call after the interval asks", nil, []call{{0, false, true}, {100_000, false, true}, {150_000, false, false}, {200_000, false, true}}},
		{"a fresh call always asks, and restarts the interval", nil, []call{{0, false, true}, {10, true, true}, {20, true, true}, {100_015, false, false}, {100_020, false, true}}},
		{"after a failed ask the next call asks", map[int]bool{2: true}, []call{{0, false, true}, {100_000, false, true}, {100_001, false, true}, {100_002, false, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var now int64
			asks := 0
			s := sampler{now: func() int64 { return now }, every: fillEvery}
			for i, k := range c.calls {
				now = k.at
				before := asks
				got := s.read(k.fresh, func() *int64 {
					asks++
					if c.fails[asks] {
						return nil
					}
					v := int64(10 * asks)
					return &v
				})
				if asked := asks > before; asked != k.asks {
					t.Fatalf("call %d at %d (fresh %v): asked %v, want %v", i, k.at, k.fresh, asked, k.asks)
				}
				switch {
				case !k.asks || c.fails[asks]:
					if got != nil {
						t.Fatalf("call %d: carries %d without an answer of its own", i, *got)
					}
				case got == nil || *got != int64(10*asks):
					t.Fatalf("call %d: %v, want the kernel's answer %d", i, got, 10*asks)
				}
			}
		})
	}
}

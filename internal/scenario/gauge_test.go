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

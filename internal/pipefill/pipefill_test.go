package pipefill

import (
	"strings"
	"testing"
)

// op is a write (+n) or a read (-n) and what it must do.
type op struct {
	n     int // bytes asked: > 0 write, < 0 read
	moved int // bytes the call moves (0 for a write: EAGAIN)
	used  int // slots in use after it
}

func TestPipe(t *testing.T) {
	const page = 4096
	eight := func() []op {
		var ops []op
		for range 8 {
			ops = append(ops, op{512, 512, 1})
		}
		return ops
	}
	cases := []struct {
		name     string
		capacity int
		ops      []op
		unread   int
	}{
		{"one page: eight writes of 512 merge into one page, the ninth waits", page,
			append(eight(), op{512, 0, 1}), 4096},
		{"one page: seven reads of 512 free no slot; the eighth empties the page", page,
			append(append(eight(), op{-512, 512, 1}, op{-512, 512, 1}, op{-512, 512, 1}, op{-512, 512, 1},
				op{-512, 512, 1}, op{-512, 512, 1}, op{-512, 512, 1}, op{512, 0, 1}, op{-512, 512, 0}), op{512, 512, 1}), 512},
		{"one page: a write does not go into the read part of the page", page,
			[]op{{3000, 3000, 1}, {-2000, 2000, 1}, {1100, 0, 1}, {1096, 1096, 1}, {1, 0, 1}}, 2096},
		{"two pages: a write that does not fit after the data takes a fresh page", 2 * page,
			[]op{{3000, 3000, 1}, {2000, 2000, 2}, {2000, 2000, 2}, {100, 0, 2}, {-3000, 3000, 1}, {100, 100, 2}}, 4100},
		{"a whole page never merges", 2 * page,
			[]op{{1, 1, 1}, {4096, 4096, 2}, {4096, 0, 2}}, 4097},
		{"a long write: the part past whole pages merges first, then whole pages, then it stops", 4 * page,
			[]op{{100, 100, 1}, {5000, 5000, 2}, {20000, 8192, 4}, {-1, 1, 4}}, 13291},
		{"a long write that cannot merge fills pages from the front", 4 * page,
			[]op{{4000, 4000, 1}, {5000, 5000, 3}, {-4000, 4000, 2}, {200, 200, 2}, {3000, 3000, 3}}, 8200},
		{"reads cross pages and free each emptied slot", 4 * page,
			[]op{{4096, 4096, 1}, {4096, 4096, 2}, {10, 10, 3}, {-5000, 5000, 2}, {-10000, 3202, 0}, {-1, 0, 0}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.capacity, page)
			for i, o := range tc.ops {
				var moved int
				if o.n > 0 {
					moved = p.Write(o.n)
				} else {
					moved = p.Read(-o.n)
				}
				used, _ := p.Slots()
				if moved != o.moved || used != o.used {
					t.Fatalf("op %d (%+d): moved %d with %d slots used, want %d with %d; pages %v", i, o.n, moved, used, o.moved, o.used, p.Pages())
				}
			}
			if got := p.Unread(); got != tc.unread {
				t.Fatalf("%d bytes unread, want %d", got, tc.unread)
			}
		})
	}
}

func TestWhy(t *testing.T) {
	const page = 4096
	p := New(page, page)
	for range 8 {
		p.Write(512)
	}
	for range 7 {
		p.Read(512)
	}
	why := p.Why(512)
	for _, want := range []string{"3,584 of the pipe's 4,096 bytes are free", "one page slot is in use", "written to its end", "emptied its whole page"} {
		if !strings.Contains(why, want) {
			t.Errorf("%q lacks %q", why, want)
		}
	}
	p = New(2*page, page)
	p.Write(3000)
	p.Write(3000)
	if why := p.Why(1200); !strings.Contains(why, "all 2 of the pipe's page slots") || !strings.Contains(why, "room for 1,096 more bytes after its data, not 1,200") {
		t.Errorf("why %q", why)
	}
	if why := p.Why(4096); !strings.Contains(why, "whole page needs a free slot") {
		t.Errorf("why %q", why)
	}
	if why := p.Why(1000); why != "" {
		t.Errorf("a write that fits: %q", why)
	}
}

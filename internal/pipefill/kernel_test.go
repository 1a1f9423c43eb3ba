package pipefill

import (
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// realPipe makes a non-blocking pipe of the given number of pages and
// returns its ends and capacity.
func realPipe(t *testing.T, pages int) (r, w, capacity int) {
	t.Helper()
	r, w, err := ipc.Pipe2(unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(r); unix.Close(w) })
	capacity, err = ipc.SetPipeSize(w, pages*os.Getpagesize())
	if err != nil {
		t.Fatal(err)
	}
	if capacity != pages*os.Getpagesize() {
		t.Fatalf("asked %d pages, got %d bytes", pages, capacity)
	}
	return r, w, capacity
}

// step does one write (n > 0) or read (n < 0) on the real pipe and returns
// the bytes moved, 0 for EAGAIN.
func step(t *testing.T, r, w int, buf []byte, n int) int {
	t.Helper()
	var got int
	var err error
	if n > 0 {
		got, err = ipc.Write(w, buf[:n])
	} else {
		got, err = ipc.Read(r, buf[:-n])
	}
	if errors.Is(err, unix.EAGAIN) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestKernelAgrees makes the same writes and reads on a real pipe and on
// the model, and checks that every call moves the same bytes, that each
// write the model says must wait fails with EAGAIN, and that FIONREAD
// equals the model's unread bytes. The calls are a fixed pseudo-random mix
// of sizes around a page.
func TestKernelAgrees(t *testing.T) {
	page := os.Getpagesize()
	sizes := []int{1, 7, 100, 512, 1000, 2048, 3000, page - 1, page, page + 1, 5000, 2 * page, 10000}
	for _, pages := range []int{1, 2, 4} {
		r, w, capacity := realPipe(t, pages)
		m := New(capacity, page)
		rng := rand.New(rand.NewPCG(uint64(pages), 15))
		buf := make([]byte, 3*page)
		eagain := 0
		for i := range 600 {
			n := sizes[rng.IntN(len(sizes))]
			if rng.IntN(2) == 0 {
				n = -n
			}
			if n > 0 && n <= page && m.Fits(n) == (m.Why(n) != "") {
				t.Fatalf("Fits and Why disagree for %d bytes", n)
			}
			fits := n > 0 && n <= page && m.Fits(n)
			want := 0
			if n > 0 {
				want = m.Write(n)
			} else {
				want = m.Read(-n)
			}
			got := step(t, r, w, buf, n)
			if got != want {
				t.Fatalf("%d pages, call %d (%+d): the kernel moved %d bytes, the model %d; model pages %v", pages, i, n, got, want, m.Pages())
			}
			if n > 0 && n <= page && fits != (got == n) {
				t.Fatalf("%d pages, call %d: a write of %d fits says %v, the kernel took %d", pages, i, n, fits, got)
			}
			if n > 0 && got == 0 {
				eagain++
			}
			pending, err := ipc.Pending(r)
			if err != nil {
				t.Fatal(err)
			}
			if pending != m.Unread() {
				t.Fatalf("%d pages, call %d: FIONREAD %d, model %d", pages, i, pending, m.Unread())
			}
		}
		if eagain == 0 {
			t.Fatalf("%d pages: no write ever had to wait; the mix tests nothing", pages)
		}
		t.Logf("%d pages: %d writes refused with EAGAIN, each predicted", pages, eagain)
	}
}

// TestKernelOnePageDrain is the finding of the pipe lesson: a one-page pipe
// filled by writes of 512 bytes keeps its writer waiting while the reader
// drains it from 4,096 to 512 bytes, and lets it in only once the page is
// empty.
func TestKernelOnePageDrain(t *testing.T) {
	r, w, capacity := realPipe(t, 1)
	m := New(capacity, os.Getpagesize())
	buf := make([]byte, 512)
	for range capacity / 512 {
		if got := step(t, r, w, buf, 512); got != 512 || m.Write(512) != 512 {
			t.Fatalf("a write of 512 into a pipe with room took %d", got)
		}
	}
	lastWhy := ""
	for i := 0; ; i++ {
		got := step(t, r, w, buf, 512)
		if m.Fits(512) != (got == 512) {
			t.Fatalf("after %d reads: the model says fits %v, the kernel took %d", i, m.Fits(512), got)
		}
		if got == 512 {
			if m.Unread() != 0 || i != capacity/512 {
				t.Fatalf("the writer got in after %d reads with %d bytes unread", i, m.Unread())
			}
			t.Logf("the writer waited through %d reads; at the last wait: %s", i, lastWhy)
			return
		}
		lastWhy = m.Why(512)
		if step(t, r, w, buf, -512) != 512 || m.Read(512) != 512 {
			t.Fatal("a read of 512 from a full pipe came short")
		}
	}
}

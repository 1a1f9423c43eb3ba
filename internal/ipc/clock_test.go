package ipc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("clock", func([]string) int {
		f := os.NewFile(3, "out")
		_, err := fmt.Fprintf(f, "%d\n", Monotonic())
		if err != nil {
			return 1
		}
		return 0
	})
}

// kernelMonotonic reads CLOCK_MONOTONIC with the system call itself.
func kernelMonotonic(t testing.TB) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano()
}

// TestMonotonicIsTheKernelClock: Monotonic falls between two readings of
// clock_gettime(CLOCK_MONOTONIC) made around it, in this process and in
// another.
func TestMonotonicIsTheKernelClock(t *testing.T) {
	for range 1000 {
		before := kernelMonotonic(t)
		m := Monotonic()
		after := kernelMonotonic(t)
		if m < before || m > after {
			t.Fatalf("Monotonic %d outside the kernel's %d .. %d", m, before, after)
		}
	}
	for range 3 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		before := kernelMonotonic(t)
		c := startChild(t, "clock", []*os.File{w})
		w.Close()
		c.wait(t, 30*time.Second)
		b := make([]byte, 64)
		n, _ := r.Read(b)
		r.Close()
		after := kernelMonotonic(t)
		m, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
		if err != nil {
			t.Fatalf("child said %q: %v", b[:n], err)
		}
		if m < before || m > after {
			t.Fatalf("the child's Monotonic %d is outside the parent's kernel clock %d .. %d", m, before, after)
		}
	}
}

// BenchmarkMonotonic: the vDSO reading against the system call.
func BenchmarkMonotonic(b *testing.B) {
	b.Run("vdso", func(b *testing.B) {
		for b.Loop() {
			_ = Monotonic()
		}
	})
	b.Run("syscall", func(b *testing.B) {
		for b.Loop() {
			_ = kernelMonotonic(b)
		}
	})
}

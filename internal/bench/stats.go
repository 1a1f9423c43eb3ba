package bench

import (
	"os"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// yieldEvery is how often a timed loop gives way to the Go scheduler.
const yieldEvery = 2 * time.Millisecond

// yielder makes a timed loop call runtime.Gosched about every yieldEvery;
// tick is called once per message and looks at the clock every 64th time.
// A goroutine that goes from one system call to the next without passing
// through the scheduler is, after 10 ms, treated by the runtime's monitor
// as one that will not give up its P, and the hand-offs that follow cost
// wake-ups between the two processes' calls that C does not pay (see
// docs/BENCHMARKS.md, "A loop that never yields").
type yielder struct {
	n    int
	last time.Time
}

func (y *yielder) tick() {
	if y.n++; y.n%64 == 0 {
		y.maybe()
	}
}

// maybe is kept apart from tick so that tick inlines into the loops.
func (y *yielder) maybe() {
	if now := time.Now(); now.Sub(y.last) >= yieldEvery {
		runtime.Gosched()
		y.last = now
	}
}

// onOwnFdTable runs f on a new thread with a descriptor table of its own
// and returns what f returned once that thread has ended. A Go process's
// table is shared by all its threads, so for every read or write the
// kernel takes and drops a reference on the file; a single-threaded C
// process skips both, and so does a thread whose table has no other user.
// The thread ends with f, and its copy of the table with it, so every
// descriptor is left as f found it in the process's table.
func onOwnFdTable[T any](f func() (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	done := make(chan answer, 1)
	go func() {
		// Never unlocked: when this goroutine returns, the runtime ends
		// the thread instead of handing it, and its table, to another.
		runtime.LockOSThread()
		var a answer
		if a.err = ownFdTable(); a.err == nil {
			a.v, a.err = f()
		}
		done <- a
	}()
	a := <-done
	return a.v, a.err
}

// ownFdTable gives the calling thread, locked to its goroutine for good, a
// private copy of the process's descriptor table.
//
//	int unshare(int flags);
func ownFdTable() error {
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		return os.NewSyscallError("unshare", err)
	}
	return nil
}

// percentiles returns the median and 99th percentile of lat in
// nanoseconds, picked as the C program picks them.
func percentiles(lat []time.Duration) (p50, p99 int64) {
	s := slices.Clone(lat)
	slices.Sort(s)
	return int64(s[len(s)/2]), int64(s[int(float64(len(s))*0.99)])
}

// median of xs; the mean of the middle two for an even count.
func median[T int64 | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Warmup is the untimed messages before a cell's count: the C program's
// min(count/10, 1000).
func Warmup(count int) int { return min(count/10, 1000) }

package bench

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == ChildArg {
		os.Exit(ChildMain(os.Args[2:], os.Stderr))
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the children inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

// testOptions run small cells pinned to the first CPU, under a deadline.
func testOptions(t *testing.T) Options {
	return Options{Dir: t.TempDir(), CPU: 0, Reps: 2, Timeout: 30 * time.Second, Stderr: testWriter{t}}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("child: %s", strings.TrimSpace(string(b)))
	return len(b), nil
}

// TestBenchEveryMechanism runs every mechanism in every mode it has, at a
// small size and count, and checks that the figures are those of a real
// run and that nothing is left in the kernel.
func TestBenchEveryMechanism(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, m := range Mechanisms() {
		for _, mode := range []string{RoundTrip, Stream} {
			if m.Skip(mode, 64) != "" {
				continue
			}
			t.Run(m.Name+"/"+mode, func(t *testing.T) {
				c := Cell{Mechanism: m.Name, Mode: mode, Size: 64, Count: 200}
				r, removed, err := run(ctx, testOptions(t), c)
				if err != nil {
					t.Fatal(err)
				}
				checkSane(t, r, c)
				checkGone(t, removed)
			})
		}
	}
}

func checkSane(t *testing.T, r Result, c Cell) {
	t.Helper()
	if r.Mechanism != c.Mechanism || r.Mode != c.Mode || r.Size != c.Size || r.Count != c.Count || r.Reps != 2 {
		t.Errorf("result for %+v: %+v", c, r)
	}
	if r.MsgsPerS <= 0 || r.MBPerS <= 0 || len(r.RepRates) != 2 {
		t.Errorf("%s: rates %v msg/s, %v MB/s, reps %v", c, r.MsgsPerS, r.MBPerS, r.RepRates)
	}
	if c.Mode == RoundTrip && (r.RTTP50NS <= 0 || r.RTTP99NS < r.RTTP50NS) {
		t.Errorf("%s: round trip p50 %d ns, p99 %d ns", c, r.RTTP50NS, r.RTTP99NS)
	}
	if c.Mode == Stream && (r.RTTP50NS != 0 || r.RTTP99NS != 0) {
		t.Errorf("%s: a stream with round-trip figures %d, %d", c, r.RTTP50NS, r.RTTP99NS)
	}
	// Pinned to one CPU, every message that is answered or read by the
	// other process needs that process to run: at least some switches.
	if r.CtxswPerMsg <= 0 {
		t.Errorf("%s: %v context switches per message", c, r.CtxswPerMsg)
	}
	if r.CopiesWhy == "" {
		t.Errorf("%s: no reason for %d copies", c, r.Copies)
	}
}

// checkGone checks that every object a cell made is gone from the kernel
// and its directory from the disk.
func checkGone(t *testing.T, removed []string) {
	t.Helper()
	for _, o := range removed {
		kind, name, _ := strings.Cut(o, " ")
		id, _ := strconv.Atoi(name)
		var listed bool
		var err error
		switch kind {
		case "msg":
			listed, err = ipc.MsgIDListed(id)
		case "sem":
			listed, err = ipc.SemIDListed(id)
		case "shm":
			listed, err = ipc.ShmIDListed(id)
		case "mq":
			listed, err = ipc.MqExists(name)
		case "shm-posix":
			listed, err = ipc.ShmExists(name)
		case "dir":
			_, serr := os.Stat(name)
			listed = serr == nil
		case "echo":
			listed = !ended(t, id)
		}
		if err != nil || listed {
			t.Errorf("%s still there after the cell (%v)", o, err)
		}
	}
}

// TestBenchKilledAtDeadline stops cells midway, by the cell's timeout and
// by the caller's context, and checks that both processes end and that
// the objects of the cell are gone all the same.
func TestBenchKilledAtDeadline(t *testing.T) {
	for _, mech := range []string{"smq", "shmsem", "pmq", "fifo", "signal"} {
		t.Run(mech, func(t *testing.T) {
			o := testOptions(t)
			o.Timeout = 300 * time.Millisecond
			c := Cell{Mechanism: mech, Mode: RoundTrip, Size: 64, Count: 5_000_000}
			_, removed, err := run(context.Background(), o, c)
			if err == nil || !strings.Contains(err.Error(), "not done in") {
				t.Fatalf("a cell of five million round trips in 300 ms: %v", err)
			}
			checkGone(t, removed)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, removed, err := run(ctx, testOptions(t), Cell{Mechanism: "pipe", Mode: Stream, Size: 64, Count: 50_000_000})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cell stopped by its context: %v", err)
	}
	checkGone(t, removed)
}

// ended waits up to ten seconds for process pid to be gone or a zombie
// (its parent gone, it waits for the reaper it was given).
func ended(t *testing.T, pid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// The state follows the command's closing parenthesis.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && len(b) > i+2 && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

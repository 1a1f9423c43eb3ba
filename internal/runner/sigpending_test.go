package runner

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParsePending(t *testing.T) {
	cases := []struct {
		name             string
		status           string
		pending, blocked []int
		ok               bool
	}{
		{"nothing pending", "SigQ:\t0/95691\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n", []int{}, []int{}, true},
		{"SIGUSR1 sent to the process, SIGUSR1 and SIGRTMAX blocked",
			"SigPnd:\t0000000000000000\nShdPnd:\t0000000000000200\nSigBlk:\t8000000000000200\n", []int{10}, []int{10, 64}, true},
		{"thread and process pending together",
			"SigPnd:\t0000000000000001\nShdPnd:\t0000000400000000\nSigBlk:\t0000000000000000\n", []int{1, 35}, []int{}, true},
		{"a line missing", "SigPnd:\t0\nSigBlk:\t0\n", nil, nil, false},
		{"not hex", "SigPnd:\tzz\nShdPnd:\t0\nSigBlk:\t0\n", nil, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, b, ok := parsePending([]byte(c.status))
			if ok != c.ok || (ok && (!slices.Equal(p, c.pending) || !slices.Equal(b, c.blocked))) {
				t.Fatalf("got %v %v %v, want %v %v %v", p, b, ok, c.pending, c.blocked, c.ok)
			}
		})
	}
}

// TestReadPendingOwnThread blocks SIGUSR2 in this thread, sends it to the
// thread, and reads the thread's /proc status: the kernel holds it
// pending. The signal is ignored, so it is dropped once unblocked.
func TestReadPendingOwnThread(t *testing.T) {
	if testing.Short() {
		t.Skip("reads /proc and raises a signal")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	signal.Ignore(unix.SIGUSR2)
	defer signal.Reset(unix.SIGUSR2)
	var set, old unix.Sigset_t
	set.Val[0] = 1 << (unix.SIGUSR2 - 1)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		t.Fatal(err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	tid := unix.Gettid()
	before, ok := readPending(watchedProc{"self", tid})
	if !ok || fmt.Sprint(before.Attrs["sig_pending"]) != "[]" {
		t.Fatalf("before the signal: %v", before.Attrs)
	}
	if err := unix.Tgkill(os.Getpid(), tid, unix.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	e, ok := readPending(watchedProc{"self", tid})
	if !ok {
		t.Fatal("no reading")
	}
	if got, blk := fmt.Sprint(e.Attrs["sig_pending"]), e.Attrs["sig_blocked"].([]int); got != "[12]" || !slices.Contains(blk, 12) {
		t.Fatalf("pending %s, blocked %v: want SIGUSR2 (12) pending and blocked", got, blk)
	}
}

package ipc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("sig-count", roleSigCount)
	registerChild("sig-drain", roleSigDrain)
}

// sigArgs parses signal numbers.
func sigArgs(args []string) []unix.Signal {
	var sigs []unix.Signal
	for _, a := range args {
		n, _ := strconv.Atoi(a)
		sigs = append(sigs, unix.Signal(n))
	}
	return sigs
}

// roleSigCount receives args[0] signals of number args[1] and checks that
// they come from its parent, sent with sigqueue, with values 0, 1, 2, ...
// in order. It reports "ready" once it can receive, then "got N".
func roleSigCount(args []string) int {
	sig := sigArgs(args[1:2])[0]
	if err := ReexecWithSignalsBlocked(sig); err != nil {
		return roleFail("reexec: %v", err)
	}
	l := childLinkEnds()
	fd, err := Signalfd(sig)
	if err != nil {
		return roleFail("%v", err)
	}
	count, _ := strconv.Atoi(args[0])
	churnThreads()
	l.report("ready")
	want, bad := int32(0), ""
	err = HandleSignals(fd, func(si SignalInfo) bool {
		if si.Signo != sig || si.Pid != os.Getppid() || !si.Queue || si.Value != want {
			bad = fmt.Sprintf("signal %d: %+v", want, si)
			return false
		}
		want++
		return int(want) < count
	})
	if err != nil || bad != "" {
		return roleFail("%v %s", err, bad)
	}
	l.report("got %d", want)
	// Stay until the test has looked at every thread's mask.
	l.await()
	return 0
}

// churnThreads keeps goroutines sleeping in system calls and allocating,
// so the runtime starts new threads and collects garbage while signals
// arrive: each new thread must come up with the signal blocked.
func churnThreads() {
	for range 8 {
		go func() {
			for {
				_ = unix.Nanosleep(&unix.Timespec{Nsec: 200_000}, nil)
				_ = make([]byte, 64<<10)
			}
		}()
	}
}

// threadsBlocking reports whether every thread of pid has sig blocked,
// from the SigBlk lines of /proc/PID/task/*/status.
func threadsBlocking(t *testing.T, pid int, sig unix.Signal) bool {
	t.Helper()
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread has exited
		}
		_, rest, _ := strings.Cut(string(data), "SigBlk:")
		mask, _ := strconv.ParseUint(strings.Fields(rest)[0], 16, 64)
		if mask&(1<<(sig-1)) == 0 {
			t.Logf("%s: SigBlk %x", f, mask)
			return false
		}
	}
	return len(files) > 0
}

func TestSigqueueThousandValues(t *testing.T) {
	const sig, count = SigRTFree + 5, 1000
	c, link := startLinked(t, "sig-count", nil, strconv.Itoa(count), strconv.Itoa(int(sig)))
	link.expect(t, "ready")
	pid := c.cmd.Process.Pid
	if !threadsBlocking(t, pid, sig) {
		t.Fatal("some thread of the receiver does not block the signal")
	}
	waitBlockedIn(t, pid, unix.SYS_READ)
	for i := range count {
		if err := Sigqueue(pid, sig, int32(i)); err != nil {
			t.Fatalf("sigqueue %d: %v", i, err)
		}
	}
	link.expect(t, fmt.Sprintf("got %d", count))
	if !threadsBlocking(t, pid, sig) {
		t.Fatal("a thread started since does not block the signal")
	}
	link.say(t, "go")
	c.wait(t, 20*time.Second)
}

// roleSigDrain blocks the signals in args, reports "ready", waits for
// "go", then reads every pending signal without waiting, reporting
// "SIGNO VALUE" for each and "end" when none is left.
func roleSigDrain(args []string) int {
	sigs := sigArgs(args)
	if err := ReexecWithSignalsBlocked(sigs...); err != nil {
		return roleFail("reexec: %v", err)
	}
	l := childLinkEnds()
	r, err := NewSignalReader(sigs...)
	if err != nil {
		return roleFail("%v", err)
	}
	l.report("ready")
	l.await()
	for {
		si, err := r.TryRead()
		if WouldBlock(err) {
			break
		}
		if err != nil {
			return roleFail("%v", err)
		}
		l.report("%d %d", si.Signo, si.Value)
	}
	l.report("end")
	return 0
}

func TestSignalOrderAndMerging(t *testing.T) {
	lo, hi := SigRTFree+1, SigRTFree+2
	c, link := startLinked(t, "sig-drain", nil, strconv.Itoa(int(hi)), strconv.Itoa(int(lo)), strconv.Itoa(int(unix.SIGUSR1)))
	link.expect(t, "ready")
	pid := c.cmd.Process.Pid
	for _, s := range []struct {
		sig   unix.Signal
		value int32
	}{{hi, 1}, {lo, 2}, {lo, 3}, {unix.SIGUSR1, 4}, {unix.SIGUSR1, 5}} {
		if err := Sigqueue(pid, s.sig, s.value); err != nil {
			t.Fatalf("sigqueue %v: %v", s, err)
		}
	}
	link.say(t, "go")
	// Lowest number first; the real-time signals queue in order, the
	// second SIGUSR1 was dropped while the first was pending.
	for _, want := range []string{"10 4", fmt.Sprintf("%d 2", lo), fmt.Sprintf("%d 3", lo), fmt.Sprintf("%d 1", hi), "end"} {
		link.expect(t, want)
	}
	c.wait(t, 20*time.Second)
}

func TestSignalUsable(t *testing.T) {
	for _, tc := range []struct {
		sig unix.Signal
		ok  bool
	}{
		{unix.SIGUSR1, true}, {unix.SIGUSR2, true}, {SigRTFree, true}, {SigRTMax, true},
		{SigRTMin, false}, {33, false}, {34, false}, {SigRTMax + 1, false}, {0, false},
		{unix.SIGURG, false}, {unix.SIGKILL, false}, {unix.SIGSEGV, false}, {unix.SIGTERM, false},
	} {
		if err := SignalUsable(tc.sig); (err == nil) != tc.ok {
			t.Errorf("SignalUsable(%d) = %v, want usable %v", tc.sig, err, tc.ok)
		}
	}
	if err := ReexecWithSignalsBlocked(unix.SIGURG); err == nil {
		t.Fatal("ReexecWithSignalsBlocked accepted SIGURG")
	}
	if _, err := Signalfd(SigRTMax + 1); err == nil {
		t.Fatal("Signalfd accepted signal 65")
	}
}

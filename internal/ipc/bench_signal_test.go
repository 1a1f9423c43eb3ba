package ipc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The signal round trip for BenchmarkIPC: the parent sends SIGUSR1 with
// sigqueue, the child reads it from a signalfd and answers with SIGUSR2,
// which the parent reads from its own signalfd. Both processes must have
// the signals blocked on every thread from the start, which the benchmark
// process does not; so a driver process, started with them blocked, plays
// the parent, runs the same timed loop and reports its figures.

// sigEnd sends one signal to its peer and reads one from its signalfd;
// with try set, SignalReader.TryRead first. Sending never waits.
type sigEnd struct {
	r    *SignalReader
	peer int
	out  unix.Signal
	in   unix.Signal
	try  bool
}

func (e sigEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e sigEnd) send([]byte) error { return Sigqueue(e.peer, e.out, 0) }

func (e sigEnd) recv([]byte) error {
	var si SignalInfo
	err := error(unix.EAGAIN) // without try, straight to the blocking call
	if e.try {
		si, err = e.r.TryRead()
	}
	if WouldBlock(err) {
		si, err = e.r.Read()
	}
	if err == nil && si.Signo != e.in {
		err = fmt.Errorf("got signal %d, want %d", si.Signo, e.in)
	}
	return err
}

// openSigEnd is the echoing child's end. Its parent, the driver, started
// it with both signals blocked, so ReexecWithSignalsBlocked returns at once.
func openSigEnd(int, []string) (benchEnd, error) {
	if err := ReexecWithSignalsBlocked(unix.SIGUSR1, unix.SIGUSR2); err != nil {
		return nil, err
	}
	r, err := NewSignalReader(unix.SIGUSR1)
	if err != nil {
		return nil, err
	}
	return sigEnd{r: r, peer: os.Getppid(), out: unix.SIGUSR2, in: unix.SIGUSR1}, nil
}

// benchSignal runs the driver for b.N round trips, calling as style says,
// and reports what it measured; ns/op is the driver's mean round trip.
func benchSignal(b *testing.B, style string) {
	b.StopTimer()
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close(); w.Close() })
	c := startChild(b, "bench-sig-driver", []*os.File{w}, strconv.Itoa(b.N), style)
	w.Close()
	_ = r.SetReadDeadline(time.Now().Add(50 * time.Second))
	line, err := bufio.NewReader(r).ReadString('\n')
	var mean, p50, p99 float64
	if err == nil {
		_, err = fmt.Sscanf(line, "result %g %g %g", &mean, &p50, &p99)
	}
	if err != nil {
		b.Fatalf("driver's report %q: %v", line, err)
	}
	c.wait(b, 20*time.Second)
	b.ReportMetric(mean, "ns/op")
	b.ReportMetric(p50, "p50-us/op")
	b.ReportMetric(p99, "p99-us/op")
}

// roleBenchSigDriver plays the parent of the signal round trip for
// args[0] timed round trips, calling as args[1] says, and reports "result MEAN-NS P50-US P99-US" on
// descriptor 3.
func roleBenchSigDriver(args []string) int {
	if err := ReexecWithSignalsBlocked(unix.SIGUSR1, unix.SIGUSR2); err != nil {
		return roleFail("reexec: %v", err)
	}
	runtime.LockOSThread()
	count, _ := strconv.Atoi(args[0])
	warm := benchWarm(count)
	r, err := NewSignalReader(unix.SIGUSR2)
	if err != nil {
		return roleFail("%v", err)
	}
	cmd, exited, err := startSigEcho(warm+count, args[1])
	if err != nil {
		return roleFail("start echo: %v", err)
	}
	e, err := styled(sigEnd{r: r, peer: cmd.Process.Pid, out: unix.SIGUSR1, in: unix.SIGUSR2}, args[1])
	if err != nil {
		return roleFail("%v", err)
	}
	if !sharedFds() {
		if err := ownFdTable(); err != nil {
			_ = cmd.Process.Kill()
			return roleFail("%v", err)
		}
	}
	lat := make([]time.Duration, count)
	err = roundTrips(e, nil, make([]time.Duration, warm))
	if err == nil {
		err = roundTrips(e, nil, lat)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		return roleFail("round trips: %v", err)
	}
	if err := <-exited; err != nil {
		return roleFail("echo: %v", err)
	}
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	p50, p99 := percentiles(lat)
	fmt.Fprintf(os.NewFile(3, "report"), "result %g %g %g\n", float64(total)/float64(count), p50, p99)
	return 0
}

// startSigEcho starts the echoing child for total round trips, calling as
// style says, and waits
// until it is ready. The returned channel gets the child's exit status; if
// the child fails early, the driver exits rather than wait for a signal
// that will never come.
func startSigEcho(total int, style string) (*exec.Cmd, chan error, error) {
	ackR, ackW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer ackR.Close()
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), "IPC_TEST_CHILD=bench-echo",
		"IPC_TEST_ARGS="+strings.Join([]string{"signal", "pp", "64", strconv.Itoa(total), style}, "\x1f"))
	cmd.ExtraFiles = []*os.File{ackW}
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	ackW.Close()
	if err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			fmt.Fprintf(os.Stderr, "signal echo: %v\n", err)
			os.Exit(1)
		}
		exited <- nil
	}()
	var one [1]byte
	if _, err := ackR.Read(one[:]); err != nil || one[0] != 'r' {
		return nil, nil, fmt.Errorf("echo not ready: %v", err)
	}
	return cmd, exited, nil
}

package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// ChildArg, as the first argument of this binary, starts one process of a
// cell: ChildMain then takes the rest.
const ChildArg = "bench-child"

// spec is what a driver is told, as JSON in its arguments; the echo gets
// the same with the mechanism's own arguments.
type spec struct {
	Mech   string   `json:"mech"`
	Mode   string   `json:"mode"`
	Size   int      `json:"size"`
	Count  int      `json:"count"`
	Warm   int      `json:"warm"`
	Reps   int      `json:"reps"`
	CPU    int      `json:"cpu"`
	Prefix string   `json:"prefix"` // POSIX names start with it
	Dir    string   `json:"dir"`    // for FIFOs
	MsgKey int      `json:"msg_key,omitempty"`
	SemKey int      `json:"sem_key,omitempty"`
	Args   []string `json:"args,omitempty"`
	// Procs is the driver's GOMAXPROCS, which the echo must run with too.
	Procs int `json:"procs,omitempty"`
}

// Descriptors of a child. The driver reports to its caller on 3; the
// echo acks to the driver on 3. Each reads end of file on 4 when the
// process that started it is gone, and then exits.
const (
	fdReport   = 3
	fdLifeline = 4
)

// ChildMain runs the child named by args[0] ("driver" or "echo") with the
// spec in args[1] and returns its exit status.
func ChildMain(args []string, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "bench child: want a role and its spec")
		return 2
	}
	var s spec
	if err := json.Unmarshal([]byte(args[1]), &s); err != nil {
		fmt.Fprintf(stderr, "bench child: %v\n", err)
		return 2
	}
	var err error
	switch args[0] {
	case "driver":
		err = drive(s)
	case "echo":
		err = echo(s)
	default:
		err = fmt.Errorf("no role %q", args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench %s %s %s %d: %v\n", args[0], s.Mech, s.Mode, s.Size, err)
		return 1
	}
	return 0
}

// prepare does what both children do first: blocks the signals of the
// ping-pong (which may execute the program again), pins every thread to
// the cell's CPU, and exits when the process that started this one is
// gone, even while the timed thread sleeps in a call nothing else would
// end.
func prepare(s spec) error {
	if m, _ := Lookup(s.Mech); m.SignalsBlocked {
		if err := ipc.ReexecWithSignalsBlocked(signalsUsed...); err != nil {
			return err
		}
	}
	if s.CPU >= 0 {
		if err := pin(s.CPU); err != nil {
			return err
		}
	}
	go func() {
		var b [1]byte
		_, _ = ipc.Read(fdLifeline, b[:])
		os.Exit(3)
	}()
	return nil
}

// pin sets the affinity of every thread of this process to cpu; threads
// started later inherit it from the thread that starts them, and so do
// child processes.
func pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// A thread may have ended since the listing.
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return os.NewSyscallError("sched_setaffinity", err)
		}
	}
	return nil
}

// ctxSwitches is the kernel's count of this process's context switches,
// voluntary and not, all threads together.
func ctxSwitches() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Nvcsw + ru.Nivcsw
}

// report is the driver's last line to its caller.
type report struct {
	// Rates are each repetition's messages (or round trips) per second.
	Rates []float64 `json:"rates"`
	// P50 and P99 are each repetition's round-trip percentiles.
	P50 []int64 `json:"p50,omitempty"`
	P99 []int64 `json:"p99,omitempty"`
	// Ctxsw is both processes' context switches over the timed
	// repetitions.
	Ctxsw int64 `json:"ctxsw"`
}

// drive runs one cell as its driver and writes its report.
func drive(s spec) error {
	if err := prepare(s); err != nil {
		return err
	}
	runtime.LockOSThread()
	out := os.NewFile(fdReport, "report")
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	mk, err := setup(s)
	if err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	defer mk.done()
	for _, o := range mk.objects {
		say("object %s", o)
	}
	e, err := startEcho(s, mk)
	if err != nil {
		return err
	}
	defer e.kill()
	say("pid %d", e.cmd.Process.Pid)
	rep, err := onOwnFdTable(func() (report, error) { return timed(s, mk.end, e.ack) })
	if err != nil {
		return err
	}
	n, err := e.finish()
	if err != nil {
		return err
	}
	rep.Ctxsw += n
	b, _ := json.Marshal(rep)
	say("result %s", b)
	return nil
}

// echoProc is the driver's view of its echo.
type echoProc struct {
	cmd  *exec.Cmd
	ack  int           // the echo's acks and report
	life *os.File      // closed when the driver ends, which ends the echo
	rd   *bufio.Reader // the ack pipe, once the timed part is over
}

// startEcho starts the echo with the mechanism's descriptors and waits
// until it has opened its end.
func startEcho(s spec, mk made) (*echoProc, error) {
	ackR, ackW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.Args = mk.args
	// The driver is pinned by now, and a process started from a pinned one
	// would set its GOMAXPROCS to the one CPU it may run on: a setting no
	// worker runs with, and one under which the runtime takes the echo's
	// processor away from every call that blocks a while. The echo gets the
	// driver's, which the driver set from the whole machine.
	s.Procs = runtime.GOMAXPROCS(0)
	arg, _ := json.Marshal(s)
	cmd := exec.Command("/proc/self/exe", ChildArg, "echo", string(arg))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(s.Procs))
	cmd.ExtraFiles = append([]*os.File{ackW, lifeR}, mk.files...)
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	ackW.Close()
	lifeR.Close()
	for _, f := range mk.files {
		f.Close()
	}
	if err != nil {
		return nil, err
	}
	e := &echoProc{cmd: cmd, ack: int(ackR.Fd()), life: lifeW}
	// ackR stays referenced through e.rd, so its descriptor stays open.
	e.rd = bufio.NewReader(ackR)
	if err := awaitByte(e.ack, 'r'); err != nil {
		e.kill()
		return nil, fmt.Errorf("echo not ready: %w", err)
	}
	if mk.opened != nil {
		if err := mk.opened(cmd.Process.Pid); err != nil {
			e.kill()
			return nil, err
		}
	}
	return e, nil
}

// finish reads the echo's count of context switches and collects it.
func (e *echoProc) finish() (int64, error) {
	line, err := e.rd.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("echo's report: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(line), "c "), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("echo's report %q: %w", line, err)
	}
	if err := e.cmd.Wait(); err != nil {
		return 0, fmt.Errorf("echo: %w", err)
	}
	return n, nil
}

// kill ends the echo if it still runs and collects it.
func (e *echoProc) kill() {
	e.life.Close()
	if e.cmd.ProcessState == nil {
		_ = e.cmd.Process.Kill()
		_ = e.cmd.Wait()
	}
}

// timed runs the warm-up and the repetitions, on the calling thread.
func timed(s spec, e end, ack int) (report, error) {
	buf := make([]byte, s.Size)
	var rep report
	if err := block(s, e, buf, s.Warm, nil); err != nil {
		return rep, fmt.Errorf("warm-up: %w", err)
	}
	if err := awaitByte(ack, 'k'); err != nil {
		return rep, err
	}
	c0 := ctxSwitches()
	var lat []time.Duration
	if s.Mode == RoundTrip {
		lat = make([]time.Duration, s.Count)
	}
	for range s.Reps {
		t0 := time.Now()
		err := block(s, e, buf, s.Count, lat)
		if err == nil {
			err = awaitByte(ack, 'k')
		}
		if err != nil {
			return rep, err
		}
		elapsed := time.Since(t0)
		if lat != nil {
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			elapsed = sum
			p50, p99 := percentiles(lat)
			rep.P50, rep.P99 = append(rep.P50, p50), append(rep.P99, p99)
		}
		rep.Rates = append(rep.Rates, float64(s.Count)/elapsed.Seconds())
	}
	rep.Ctxsw = ctxSwitches() - c0
	return rep, nil
}

// block sends n messages, and in a round trip receives each back, timing
// each round trip into lat.
func block(s spec, e end, buf []byte, n int, lat []time.Duration) error {
	var y yielder
	prev := time.Now()
	for i := range n {
		if err := e.send(buf); err != nil {
			return err
		}
		if s.Mode == RoundTrip {
			if err := e.recv(buf); err != nil {
				return err
			}
			if lat != nil {
				now := time.Now()
				lat[i], prev = now.Sub(prev), now
			}
		}
		y.tick()
	}
	return nil
}

// echo is the other process of a cell: it reads every message, sends each
// back in a round trip, and acks each block of messages (the warm-up, then
// each repetition) with 'k'; last it reports its context switches over
// the repetitions.
func echo(s spec) error {
	if n := runtime.GOMAXPROCS(0); s.Procs > 0 && n != s.Procs {
		return fmt.Errorf("the echo runs with GOMAXPROCS %d, the driver with %d", n, s.Procs)
	}
	if err := prepare(s); err != nil {
		return err
	}
	runtime.LockOSThread()
	e, err := open(s.Mech, s.Size, s.Args)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	// The process ends with this thread, so nothing else needs the
	// process's own descriptor table after this.
	if err := ownFdTable(); err != nil {
		return err
	}
	if err := ipc.WriteFull(fdReport, []byte{'r'}); err != nil {
		return err
	}
	buf := make([]byte, s.Size)
	var c0 int64
	for i := range s.Reps + 1 {
		if i == 1 {
			c0 = ctxSwitches()
		}
		n := s.Count
		if i == 0 {
			n = s.Warm
		}
		if err := answer(s, e, buf, n); err != nil {
			return err
		}
		if err := ipc.WriteFull(fdReport, []byte{'k'}); err != nil {
			return err
		}
	}
	return ipc.WriteFull(fdReport, fmt.Appendf(nil, "c %d\n", ctxSwitches()-c0))
}

// answer receives n messages, sending each back in a round trip.
func answer(s spec, e end, buf []byte, n int) error {
	var y yielder
	for range n {
		if err := e.recv(buf); err != nil {
			return err
		}
		if s.Mode == RoundTrip {
			if err := e.send(buf); err != nil {
				return err
			}
		}
		y.tick()
	}
	return nil
}

// awaitByte reads one byte from fd and checks it is want.
func awaitByte(fd int, want byte) error {
	var one [1]byte
	if _, err := ipc.ReadFull(fd, one[:]); err != nil {
		return fmt.Errorf("waiting for %q: %w", want, err)
	}
	if one[0] != want {
		return fmt.Errorf("got %q, want %q", one[0], want)
	}
	return nil
}

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// Cell is one measurement: count messages of size bytes over a mechanism,
// one way (Stream) or there and back (RoundTrip).
type Cell struct {
	Mechanism string
	Mode      string
	Size      int
	Count     int
}

func (c Cell) String() string { return fmt.Sprintf("%s/%s/%d", c.Mechanism, c.Mode, c.Size) }

// Options say how cells run.
type Options struct {
	// Exe is the program the children run, started with ChildArg; the
	// running one (/proc/self/exe) when empty.
	Exe string
	// Dir is where a cell's FIFOs are made, in a directory of its own
	// removed after; the system's temporary directory when empty.
	Dir string
	// CPU is the one CPU both children are pinned to; -1 leaves them to
	// the scheduler.
	CPU int
	// Reps is how many timed repetitions of the count a cell makes, after
	// one warm-up; the figures are their medians. At least 1.
	Reps int
	// Timeout bounds a whole cell; past it the children are killed.
	Timeout time.Duration
	// Stderr gets the children's own complaints; discarded when nil.
	Stderr io.Writer
	// MsgKey and SemKey, when not 0, are the System V keys the System V
	// queue and the semaphore set are made with, one cell at a time, so
	// that a session can list them for removal should every process of
	// a cell be killed before it removed them; 0 makes them private.
	MsgKey, SemKey int
}

// Result is one cell's figures.
type Result struct {
	Mechanism string `json:"mechanism"`
	Mode      string `json:"mode"`
	Size      int    `json:"size"`
	Count     int    `json:"count"`
	Warmup    int    `json:"warmup"`
	Reps      int    `json:"reps"`
	// CPU is the CPU both processes were pinned to, -1 for none.
	CPU int `json:"cpu"`
	// MsgsPerS is messages per second one way, or round trips per second;
	// MBPerS the payload bytes that makes (a signal carries 4).
	MsgsPerS float64 `json:"msgs_per_s"`
	MBPerS   float64 `json:"mb_per_s"`
	// RTTP50NS and RTTP99NS are the round trip's median and 99th
	// percentile, in a round-trip cell.
	RTTP50NS int64 `json:"rtt_p50_ns,omitempty"`
	RTTP99NS int64 `json:"rtt_p99_ns,omitempty"`
	// CtxswPerMsg is both processes' context switches, as the kernel
	// counts them (getrusage), per message or round trip.
	CtxswPerMsg float64 `json:"ctxsw_per_msg"`
	Copies      int     `json:"copies"`
	CopiesWhy   string  `json:"copies_why"`
	// RepRates is each repetition's MsgsPerS, to show the spread.
	RepRates []float64 `json:"rep_msgs_per_s"`
}

var cellSeq atomic.Int64

// Run measures one cell in two new processes and removes every kernel
// object they made, whatever happened. It returns when both have ended.
func Run(ctx context.Context, o Options, c Cell) (Result, error) {
	r, _, err := run(ctx, o, c)
	return r, err
}

// run is Run, also returning what it removed ("msg 12", "mq /name", a
// directory), for the tests to check.
func run(ctx context.Context, o Options, c Cell) (Result, []string, error) {
	m, ok := Lookup(c.Mechanism)
	if !ok {
		return Result{}, nil, fmt.Errorf("no mechanism %q", c.Mechanism)
	}
	if c.Mode != Stream && c.Mode != RoundTrip {
		return Result{}, nil, fmt.Errorf("no mode %q: %s or %s", c.Mode, Stream, RoundTrip)
	}
	if why := m.Skip(c.Mode, c.Size); why != "" {
		return Result{}, nil, fmt.Errorf("%s: %s", c, why)
	}
	if c.Count < 1 || c.Size < 1 {
		return Result{}, nil, fmt.Errorf("%s: a count and a size of at least 1", c)
	}
	dir, err := os.MkdirTemp(o.Dir, "ipcpg-bench-")
	if err != nil {
		return Result{}, nil, err
	}
	s := spec{Mech: c.Mechanism, Mode: c.Mode, Size: c.Size, Count: c.Count, Warm: Warmup(c.Count),
		Reps: max(o.Reps, 1), CPU: o.CPU, Dir: dir, MsgKey: o.MsgKey, SemKey: o.SemKey,
		Prefix: fmt.Sprintf("/ipcpg-bench.%d.%d", os.Getpid(), cellSeq.Add(1))}
	d := &driverRun{}
	err = d.run(ctx, o, s)
	removed := d.cleanUp(s)
	if err != nil {
		return Result{}, removed, fmt.Errorf("%s: %w", c, err)
	}
	return d.result(m, s), removed, nil
}

// driverRun is one driver process and what it reported.
type driverRun struct {
	mu      sync.Mutex // guards the fields below, filled from the report
	objects []string
	echo    int // the echo's pid
	rep     *report
}

// run starts the driver and waits for it, killing it at ctx's end or the
// timeout; its echo ends with it.
func (d *driverRun) run(ctx context.Context, o Options, s spec) error {
	exe := o.Exe
	if exe == "" {
		exe = "/proc/self/exe"
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer repR.Close()
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		repW.Close()
		return err
	}
	defer lifeW.Close()
	arg, _ := json.Marshal(s)
	cmd := exec.Command(exe, ChildArg, "driver", string(arg))
	cmd.ExtraFiles = []*os.File{repW, lifeR}
	cmd.Stderr = o.Stderr
	err = cmd.Start()
	repW.Close()
	lifeR.Close()
	if err != nil {
		return err
	}
	read := make(chan error, 1)
	go func() { read <- d.read(repR) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var cause error
	select {
	case err := <-exited:
		if err != nil {
			cause = fmt.Errorf("driver: %w", err)
		}
	case <-ctx.Done():
		cause = ctx.Err()
	case <-timer.C:
		cause = fmt.Errorf("not done in %v", timeout)
	}
	if cause != nil && cmd.ProcessState == nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
	// The driver is gone, and with it the only writer of the report
	// pipe: what it wrote is read to the end of file. Should a writer
	// linger anyway, the read is cut short after a while.
	var rerr error
	select {
	case rerr = <-read:
	case <-time.After(5 * time.Second):
		repR.Close()
		rerr = <-read
	}
	if cause != nil {
		return cause
	}
	return rerr
}

// read takes the driver's report lines: each object as it makes it, the
// echo's pid, and the result last.
func (d *driverRun) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		word, rest, _ := strings.Cut(sc.Text(), " ")
		d.mu.Lock()
		switch word {
		case "object":
			d.objects = append(d.objects, rest)
		case "pid":
			d.echo, _ = strconv.Atoi(rest)
		case "result":
			var rep report
			if err := json.Unmarshal([]byte(rest), &rep); err == nil {
				d.rep = &rep
			}
		}
		d.mu.Unlock()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rep == nil {
		return errors.New("the driver gave no result")
	}
	return nil
}

// cleanUp removes whatever the cell may have left: the System V objects
// the driver reported, the POSIX names it was given, the FIFO directory.
// Most are gone already; a driver killed midway leaves the rest.
func (d *driverRun) cleanUp(s spec) []string {
	d.mu.Lock()
	objects := d.objects
	d.mu.Unlock()
	var done []string
	for _, o := range objects {
		kind, idStr, _ := strings.Cut(o, " ")
		id, err := strconv.Atoi(idStr)
		if err != nil {
			continue
		}
		switch kind {
		case "msg":
			_ = ipc.MsgRemove(id)
		case "sem":
			_ = ipc.SemRemove(id)
		case "shm":
			_ = ipc.ShmRemove(id)
		}
		done = append(done, o)
	}
	for _, suffix := range []string{".e", ".d"} {
		_ = ipc.MqUnlink(s.Prefix + suffix)
		done = append(done, "mq "+s.Prefix+suffix)
	}
	_ = ipc.ShmUnlink(s.Prefix + ".shm")
	_ = os.RemoveAll(s.Dir)
	done = append(done, "shm-posix "+s.Prefix+".shm", "dir "+s.Dir)
	if d.echo > 0 {
		done = append(done, fmt.Sprintf("echo %d", d.echo))
	}
	return done
}

// result folds the repetitions into one Result: medians.
func (d *driverRun) result(m Mechanism, s spec) Result {
	d.mu.Lock()
	rep := d.rep
	d.mu.Unlock()
	r := Result{Mechanism: m.Name, Mode: s.Mode, Size: s.Size, Count: s.Count, Warmup: s.Warm, Reps: s.Reps,
		CPU: s.CPU, Copies: m.Copies, CopiesWhy: m.CopiesWhy, RepRates: rep.Rates}
	r.MsgsPerS = median(rep.Rates)
	r.MBPerS = r.MsgsPerS * float64(m.payload(s.Size)) / 1e6
	r.RTTP50NS, r.RTTP99NS = median(rep.P50), median(rep.P99)
	r.CtxswPerMsg = float64(rep.Ctxsw) / float64(s.Count*s.Reps)
	return r
}

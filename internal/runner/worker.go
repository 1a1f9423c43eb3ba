package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// Exit codes of a worker process.
const (
	exitOK         = 0
	exitRoleFailed = 1
	exitBadSpec    = 2
	exitOrphaned   = 3 // the server went away: the control pipe hit end of file
)

// slowDelay is the pause before each IPC call in slow pace, at speed 1.
const slowDelay = 600 * time.Millisecond

// errStopping tells a role that its session is ending.
var errStopping = errors.New("the session is stopping")

// WorkerMain is the whole life of a worker process: it reads its spec, waits
// for the server's go, runs its role and returns the exit code. The binary's
// main calls it when its first argument is WorkerArg, before parsing flags.
func WorkerMain(getenv func(string) string, stderr io.Writer) int {
	var spec workerSpec
	if err := json.Unmarshal([]byte(getenv(workerEnv)), &spec); err != nil {
		fmt.Fprintf(stderr, "worker: bad spec: %v\n", err)
		return exitBadSpec
	}
	role, ok := scenario.LookupRole(spec.Role)
	if !ok {
		fmt.Fprintf(stderr, "worker: unknown role %q\n", spec.Role)
		return exitBadSpec
	}
	if len(spec.Signals) > 0 {
		// Before anything else: this may start the program over, with the
		// signals blocked on every thread the runtime will make.
		sigs := make([]unix.Signal, len(spec.Signals))
		for i, n := range spec.Signals {
			sigs[i] = unix.Signal(n)
		}
		if err := ipc.ReexecWithSignalsBlocked(sigs...); err != nil {
			fmt.Fprintf(stderr, "worker %s: %v\n", spec.Proc, err)
			return exitBadSpec
		}
	}
	w := newWorker(spec, stderr)
	// The one *os.File of descriptor 3 for the whole life of the process:
	// a second one, once collected, would close the descriptor under the
	// writers' feet.
	w.events = os.NewFile(fdEvents, "events")
	go w.readControl(os.NewFile(fdControl, "control"))
	if spec.WaitGo {
		if err := w.waitGo(); err != nil {
			return exitOrphaned
		}
	}
	files := make([]*os.File, spec.NRole)
	for i := range files {
		files[i] = os.NewFile(uintptr(fdRole+i), fmt.Sprintf("role-%d", i))
	}
	p := scenario.NewProc(spec.Proc, os.Getpid(), files, w)
	err := role(p, spec.Args)
	// The last record: the server logs this process's exit only after it,
	// so the exit never overtakes the process's own last events.
	w.Emit(&event.Event{T: w.Now(), Kind: kindDone, Proc: spec.Proc, PID: os.Getpid()})
	if err != nil {
		if errors.Is(err, errStopping) {
			return exitOrphaned
		}
		fmt.Fprintf(stderr, "worker %s: %v\n", spec.Proc, err)
		return exitRoleFailed
	}
	return exitOK
}

// worker is the runtime around one role: the event fd, the control pipe and
// the pace gate.
type worker struct {
	spec   workerSpec
	stderr io.Writer
	emitMu sync.Mutex
	events *os.File // descriptor 3, owned here and never closed

	watchMu sync.Mutex
	watches []watch

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever the fields below change
	started bool
	gone    bool // control pipe closed: the server is gone
	paused  bool
	pace    string
	speed   float64
	steps   int
}

func newWorker(spec workerSpec, stderr io.Writer) *worker {
	speed := spec.Speed
	if speed <= 0 {
		speed = 1
	}
	return &worker{spec: spec, stderr: stderr, changed: make(chan struct{}), pace: spec.Pace, speed: speed}
}

// Now is the time since the session started, on the clock every process of
// the session shares.
func (w *worker) Now() int64 { return monotonicNow() - w.spec.Start }

// Pace is the session's pace: realtime, slow or step.
func (w *worker) Pace() string { return w.currentPace() }

// Emit writes one record to the event pipe in a single write, which the
// kernel keeps whole because it is under PIPE_BUF.
func (w *worker) Emit(e *event.Event) {
	rec, err := wire.AppendRecord(nil, e)
	if errors.Is(err, wire.ErrTooLarge) {
		e.Data, e.Text, e.Attrs = "", "(cut: too long)", nil
		rec, err = wire.AppendRecord(nil, e)
	}
	if err != nil {
		fmt.Fprintf(w.stderr, "worker %s: %v\n", w.spec.Proc, err)
		return
	}
	w.emitMu.Lock()
	defer w.emitMu.Unlock()
	err = ipc.WriteFull(fdEvents, rec)
	runtime.KeepAlive(w.events)
	if err != nil {
		// The server is gone; nobody will read this process's story.
		os.Exit(exitOrphaned)
	}
}

// readControl applies the server's control messages until the pipe closes.
// End of file means the server died or dropped the session: the process
// exits at once, so no worker outlives its server.
func (w *worker) readControl(f *os.File) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c control
		if json.Unmarshal(sc.Bytes(), &c) != nil {
			continue
		}
		w.apply(c)
	}
	os.Exit(exitOrphaned)
}

func (w *worker) apply(c control) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch c.Op {
	case "go":
		w.started = true
	case "step":
		w.steps++
	case "pause":
		w.paused = true
	case "resume":
		w.paused = false
	case "speed":
		if c.Value > 0 {
			w.speed = c.Value
		}
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// waitGo waits for the server's go, sent once every process of the session
// has started.
func (w *worker) waitGo() error {
	for {
		w.mu.Lock()
		started, ch := w.started, w.changed
		w.mu.Unlock()
		if started {
			return nil
		}
		<-ch
	}
}

// Gate waits as the pace asks before the next IPC call.
func (w *worker) Gate(call, obj string) error {
	announced := false
	var sleepUntil time.Time
	for {
		w.mu.Lock()
		paused, pace, speed, ch := w.paused, w.pace, w.speed, w.changed
		if !paused && pace == "step" && w.steps > 0 {
			w.steps--
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		switch {
		case paused:
			<-ch
		case pace == "step":
			if !announced {
				w.Emit(&event.Event{T: w.Now(), Kind: event.KindReady, Proc: w.spec.Proc, PID: os.Getpid(), Call: call, Obj: obj})
				announced = true
			}
			<-ch
		case pace == "slow":
			if sleepUntil.IsZero() {
				d := time.Duration(float64(slowDelay) / speed)
				sleepUntil = time.Now().Add(d)
				w.Emit(&event.Event{T: w.Now(), Kind: event.KindSleep, Proc: w.spec.Proc, PID: os.Getpid(), Call: call, Obj: obj,
					Attrs: map[string]any{"ns": d.Nanoseconds()}})
			}
			d := time.Until(sleepUntil)
			if d <= 0 {
				return nil
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
				return nil
			case <-ch:
				t.Stop()
				sleepUntil = time.Time{} // the speed may have changed: start the pause again
			}
		default:
			return nil
		}
	}
}

// Spawn starts a session process this worker is the parent of. It gets the
// same event pipe, the control pipe the server made for it, and files.
func (w *worker) Spawn(name string, files []*os.File) (scenario.Child, error) {
	for i, c := range w.spec.Children {
		if c.Name != name {
			continue
		}
		ctl := os.NewFile(uintptr(fdRole+w.spec.NRole+i), "control-"+name)
		spec := workerSpec{Session: w.spec.Session, Proc: c.Name, Role: c.Role, Args: c.Args,
			Start: w.spec.Start, Pace: w.currentPace(), Speed: w.currentSpeed(), NRole: len(files), Signals: c.Signals,
			// The child waits for the server's go, which the server sends
			// once it has logged this spawn: so no event of the child's
			// comes before the event of its birth.
			WaitGo: true}
		cmd, err := startWorker(context.Background(), launch{exe: "/proc/self/exe", spec: spec,
			events: w.events, control: ctl, files: files, pgid: -1})
		ctl.Close()
		if err != nil {
			return nil, err
		}
		w.Emit(&event.Event{T: w.Now(), Kind: event.KindSpawn, Proc: name, PID: cmd.Process.Pid, Peer: w.spec.Proc,
			Call: "fork+exec", Text: fmt.Sprintf("%s started %s", w.spec.Proc, name)})
		c := &childProc{cmd: cmd, done: make(chan struct{})}
		go w.await(name, c)
		return c, nil
	}
	return nil, fmt.Errorf("no process %q to start", name)
}

// watch is an object this process reports on between its calls.
type watch struct {
	obj  string
	read func() (fill, capacity int64, ok bool)
	last string
}

// Watch adds an object to report on. The first call starts the goroutine
// that asks the kernel ten times a second.
func (w *worker) Watch(obj string, read func() (fill, capacity int64, ok bool)) {
	w.watchMu.Lock()
	defer w.watchMu.Unlock()
	w.watches = append(w.watches, watch{obj: obj, read: read})
	if len(w.watches) == 1 {
		go w.watchLoop()
	}
}

func (w *worker) watchLoop() {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for range t.C {
		w.watchMu.Lock()
		for i := range w.watches {
			wt := &w.watches[i]
			fill, capacity, ok := wt.read()
			key := fmt.Sprint(fill, capacity)
			if !ok || key == wt.last {
				continue
			}
			wt.last = key
			w.Emit(&event.Event{T: w.Now(), Kind: event.KindSample, Proc: w.spec.Proc, PID: os.Getpid(),
				Obj: wt.obj, Fill: event.Int64(fill), Cap: capacity, Attrs: map[string]any{"source": "holder"}})
		}
		w.watchMu.Unlock()
	}
}

// watchEvery is how often a process reports on the objects it watches.
const watchEvery = 100 * time.Millisecond

func (w *worker) currentPace() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pace
}

func (w *worker) currentSpeed() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.speed
}

// childProc is a process a worker started. It is collected as soon as it
// ends (see await); Wait returns what was seen then.
type childProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process is collected
	err  error
}

func (c *childProc) PID() int { return c.cmd.Process.Pid }

func (c *childProc) Ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *childProc) Wait() (int, string, error) {
	<-c.done
	code, sig := exitStatus(c.cmd.ProcessState)
	return code, sig, c.err
}

// await collects the child the moment it ends and tells the server how it
// ended. The role may be blocked elsewhere, waiting for what the child will
// now never do: the server must not depend on the role to learn of it.
func (w *worker) await(name string, c *childProc) {
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = nil // the status says it all
	}
	c.err = err
	code, sig := exitStatus(c.cmd.ProcessState)
	e := event.Event{T: w.Now(), Kind: kindEnded, Proc: name, PID: c.PID(), Sig: sig}
	if sig == "" {
		e.Code = event.Int(code)
	}
	w.Emit(&e)
	close(c.done)
}

// exitStatus reads a process's exit code, or the name of the signal that
// killed it.
func exitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return -1, ""
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, unix.SignalName(ws.Signal())
	}
	return ps.ExitCode(), ""
}

// monotonicNow reads the clock every process of a session shares.
func monotonicNow() int64 { return ipc.Monotonic() }

package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// Spawn starts a session process this worker is the parent of. It gets the
// same event pipe, the control pipe the server made for it, and files.
func (w *worker) Spawn(name string, files []*os.File) (scenario.Child, error) {
	for i, c := range w.spec.Children {
		if c.Name != name {
			continue
		}
		ctl := os.NewFile(uintptr(wire.FdRole+w.spec.NRole+i), "control-"+name)
		spec := wire.Spec{Session: w.spec.Session, Proc: c.Name, Role: c.Role, Args: c.Args,
			Start: w.spec.Start, Pace: w.currentPace(), Speed: w.currentSpeed(), NRole: len(files), Signals: c.Signals,
			// The child waits for the server's go, which the server sends
			// once it has logged this spawn: so no event of the child's
			// comes before the event of its birth.
			WaitGo: true}
		cmd, err := wire.Start(context.Background(), wire.Launch{Exe: "/proc/self/exe", Spec: spec,
			Events: w.events, Control: ctl, Files: files, Pgid: -1})
		ctl.Close()
		if err != nil {
			return nil, err
		}
		w.Emit(event.Event{T: w.Now(), Kind: event.KindSpawn, Proc: name, PID: cmd.Process.Pid, Peer: w.spec.Proc,
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
			w.Emit(event.Event{T: w.Now(), Kind: event.KindSample, Proc: w.spec.Proc, PID: os.Getpid(),
				Obj: wt.obj, Fill: event.Int64(fill), Cap: capacity, Attrs: map[string]any{event.AttrSource: "holder"}})
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
	return w.st.speed
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
	code, sig := wire.ExitStatus(c.cmd.ProcessState)
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
	code, sig := wire.ExitStatus(c.cmd.ProcessState)
	e := event.Event{T: w.Now(), Kind: wire.KindEnded, Proc: name, PID: c.PID(), Sig: sig}
	if sig == "" {
		e.Code = event.Int(code)
	}
	w.Emit(e)
	close(c.done)
}

package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// worker is the runtime around one role: the event fd, the control pipe and
// the pace gate.
type worker struct {
	spec   wire.Spec
	stderr io.Writer
	exit   func(code int) // ends the process at once; never returns
	emitMu sync.Mutex
	events *os.File // descriptor 3, owned here and never closed
	pend   []byte   // records not written yet, under emitMu
	flush  *time.Timer
	armed  bool // flush is set to go off, under emitMu

	watchMu sync.Mutex
	watches []watch

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever the fields below change
	pace    string
	st      paceState
}

// paceState is what the server's control messages say, as the gate sees
// it. Each message is the whole state; steps are a running count, so the
// steps to take are what the count grew by.
type paceState struct {
	started bool
	paused  bool
	speed   float64
	granted uint64 // steps the server has granted, in all
	taken   uint64 // steps taken
}

// apply takes the server's latest state. An older message read late
// cannot take back steps already granted.
func (s *paceState) apply(c wire.Control) {
	if c.Go {
		s.started = true
	}
	s.paused = c.Paused
	if c.Speed > 0 {
		s.speed = c.Speed
	}
	s.granted = max(s.granted, c.Steps)
}

// takeStep uses one granted step, if one is left.
func (s *paceState) takeStep() bool {
	if s.granted > s.taken {
		s.taken++
		return true
	}
	return false
}

func newWorker(spec wire.Spec, stderr io.Writer, exit func(int)) *worker {
	speed := spec.Speed
	if speed <= 0 {
		speed = 1
	}
	// The one *os.File of descriptor 3 for the whole life of the process:
	// a second one, once collected, would close the descriptor under the
	// writers' feet.
	return &worker{spec: spec, stderr: stderr, exit: exit, events: os.NewFile(wire.FdEvents, "events"),
		changed: make(chan struct{}), pace: spec.Pace, st: paceState{speed: speed}}
}

// Now is the time since the session started, on the clock every process of
// the session shares.
func (w *worker) Now() int64 { return ipc.Monotonic() - w.spec.Start }

// Pace is the session's pace: realtime, slow or step.
func (w *worker) Pace() string { return w.currentPace() }

// Emit sends one record to the server. Records are gathered and written
// together, in one write of at most PIPE_BUF bytes that the kernel keeps
// whole, so a process making thousands of calls a second pays one write
// for many records. None waits long: a record that says the process is
// about to wait or end (see urgent) is written at once with all before it,
// and any other within flushAfter.
func (w *worker) Emit(e event.Event) {
	w.emitMu.Lock()
	defer w.emitMu.Unlock()
	start := len(w.pend)
	rec, err := wire.AppendRecord(w.pend, &e)
	if errors.Is(err, wire.ErrTooLarge) {
		e.Data, e.Text, e.Attrs = "", "(cut: too long)", nil
		rec, err = wire.AppendRecord(w.pend, &e)
	}
	if err != nil {
		fmt.Fprintf(w.stderr, "worker %s: %v\n", w.spec.Proc, err)
		w.pend = w.pend[:start]
		return
	}
	w.pend = rec
	if len(w.pend) > wire.MaxRecord {
		// The new record does not fit after the others: write those,
		// then keep it.
		w.writeLocked(w.pend[:start])
		w.pend = w.pend[:copy(w.pend, w.pend[start:])]
	}
	if urgent(e.Kind) {
		w.writeLocked(w.pend)
		w.pend = w.pend[:0]
		return
	}
	if !w.armed {
		w.armed = true
		if w.flush == nil {
			w.flush = time.AfterFunc(flushAfter, w.flushPending)
		} else {
			w.flush.Reset(flushAfter)
		}
	}
}

// flushAfter is the longest a record waits in its process before it is
// written: a fraction of what a person could notice, many calls long.
const flushAfter = 2 * time.Millisecond

// urgent reports whether a record of kind must reach the server at once:
// the process is about to wait (in the kernel, for a step, in a pause),
// has started a child that waits for the server's go, or is ending.
func urgent(kind string) bool {
	switch kind {
	case event.KindBlock, event.KindReady, event.KindSleep, event.KindSpawn, event.KindExit, event.KindError,
		wire.KindDone, wire.KindEnded:
		return true
	}
	return false
}

// Flush writes at once the records gathered so far.
func (w *worker) Flush() { w.flushPending() }

// flushPending writes the records gathered since the last write.
func (w *worker) flushPending() {
	w.emitMu.Lock()
	defer w.emitMu.Unlock()
	w.armed = false
	if len(w.pend) > 0 {
		w.writeLocked(w.pend)
		w.pend = w.pend[:0]
	}
}

// writeLocked writes records to the event pipe in one write. Callers hold
// emitMu.
func (w *worker) writeLocked(recs []byte) {
	if len(recs) == 0 {
		return
	}
	err := ipc.WriteFull(wire.FdEvents, recs)
	runtime.KeepAlive(w.events)
	if err != nil {
		// The server is gone; nobody will read this process's story.
		w.exit(wire.ExitOrphaned)
	}
}

// readControl applies the server's control messages until the pipe closes.
// End of file means the server died or dropped the session: the process
// exits at once, wherever its role is, so no worker outlives its server.
func (w *worker) readControl(f *os.File) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c, err := wire.DecodeControl(sc.Bytes())
		if err != nil {
			fmt.Fprintf(w.stderr, "worker %s: %v\n", w.spec.Proc, err)
			continue
		}
		w.apply(c)
	}
	w.exit(wire.ExitOrphaned)
}

func (w *worker) apply(c wire.Control) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.apply(c)
	close(w.changed)
	w.changed = make(chan struct{})
}

// waitGo waits for the server's go, sent once every process of the session
// has started.
func (w *worker) waitGo() {
	for {
		w.mu.Lock()
		started, ch := w.st.started, w.changed
		w.mu.Unlock()
		if started {
			return
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
		paused, pace, speed, ch := w.st.paused, w.pace, w.st.speed, w.changed
		if !paused && pace == "step" && w.st.takeStep() {
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		switch {
		case paused:
			<-ch
		case pace == "step":
			if !announced {
				w.Emit(event.Event{T: w.Now(), Kind: event.KindReady, Proc: w.spec.Proc, PID: os.Getpid(), Call: call, Obj: obj})
				announced = true
			}
			<-ch
		case pace == "slow":
			if sleepUntil.IsZero() {
				d := time.Duration(float64(wire.SlowDelay) / speed)
				sleepUntil = time.Now().Add(d)
				w.Emit(event.Event{T: w.Now(), Kind: event.KindSleep, Proc: w.spec.Proc, PID: os.Getpid(), Call: call, Obj: obj,
					Attrs: map[string]any{event.AttrNS: d.Nanoseconds()}})
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

package runner

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// controlPipe is the server's end of one process's control pipe. It holds
// the state the process should be in (wire.Control) and sends it whole;
// setting it never blocks. The pipe is non-blocking: a line either goes in
// whole (it is under PIPE_BUF) or not at all, and then the state stays
// dirty and a goroutine waits, in the runtime's poller and holding no
// lock, for the process to make room, and then sends the latest state.
// However many times the state changes meanwhile, one line waits, so a
// storm of controls costs a few bytes, and a process that starts reading
// late finds the latest state.
type controlPipe struct {
	f  *os.File
	rc syscall.RawConn

	mu      sync.Mutex
	state   wire.Control
	dirty   bool // state not sent yet
	waiting bool // a goroutine waits for room in the pipe
	done    bool // closed, or the reader is gone
	line    []byte
}

// newControlPipe takes the write end of a pipe made by os.Pipe (which is
// non-blocking and in the runtime's poller).
func newControlPipe(f *os.File) *controlPipe {
	p := &controlPipe{f: f, state: wire.Control{Speed: 1}}
	rc, err := f.SyscallConn()
	if err != nil {
		p.done = true
	}
	p.rc = rc
	return p
}

// Set makes c the process's state and sends it if the pipe has room.
func (p *controlPipe) Set(c wire.Control) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = c
	p.dirty = true
	p.flushLocked()
}

// update changes the state with fn and sends it if the pipe has room.
func (p *controlPipe) update(fn func(*wire.Control)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.state)
	p.dirty = true
	p.flushLocked()
}

// State is the state last set.
func (p *controlPipe) State() wire.Control {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Flush sends the state if it is still unsent and the pipe has room now.
// It never blocks. It reports whether nothing is left to send.
func (p *controlPipe) Flush() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	return !p.dirty || p.done
}

// Close closes the server's end; anything unsent is dropped.
func (p *controlPipe) Close() error {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	return p.f.Close() // wakes a goroutine waiting for room
}

func (p *controlPipe) flushLocked() {
	if !p.dirty || p.done {
		return
	}
	sent := false
	err := p.rc.Control(func(fd uintptr) { sent = p.writeLocked(int(fd)) })
	if err != nil {
		p.done = true
		return
	}
	if !sent && !p.done && !p.waiting {
		p.waiting = true
		go p.waitRoom()
	}
}

// writeLocked tries one non-blocking write of the state. It reports false
// when the pipe is full; a reader gone ends the pipe's use.
func (p *controlPipe) writeLocked(fd int) bool {
	p.line = wire.AppendControl(p.line[:0], p.state)
	_, err := ipc.Write(fd, p.line)
	switch {
	case err == nil:
		p.dirty = false
		return true
	case errors.Is(err, unix.EAGAIN):
		return false
	default: // EPIPE: the process has exited and reads no more
		p.done = true
		return true
	}
}

// waitRoom waits in the poller until the pipe has room, then sends the
// latest state.
func (p *controlPipe) waitRoom() {
	err := p.rc.Write(func(fd uintptr) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.done || !p.dirty {
			return true
		}
		return p.writeLocked(int(fd))
	})
	p.mu.Lock()
	p.waiting = false
	if err != nil {
		p.done = true
	}
	p.mu.Unlock()
}

// writeControl turns a presenter's or the session's action into the
// process's new state: go, pause, resume, speed, or one more step.
func writeControl(p *controlPipe, c control) {
	p.update(func(s *wire.Control) { applyOp(s, c) })
}

// control is one action on a process's state.
type control struct {
	Op    string // go, step, pause, resume, speed
	Value float64
}

// applyOp changes the state s as the action c asks.
func applyOp(s *wire.Control, c control) {
	switch c.Op {
	case "go":
		s.Go = true
	case "pause":
		s.Paused = true
	case "resume":
		s.Paused = false
	case "speed":
		if c.Value > 0 {
			s.Speed = c.Value
		}
	case "step":
		s.Steps++
	}
}

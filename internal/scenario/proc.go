package scenario

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// RoleFunc is the code one process of a scenario runs. It returns nil when
// the process did its part; an error becomes an error event and a non-zero
// exit.
type RoleFunc func(p *Proc, args json.RawMessage) error

// Host is what the worker runtime gives a role: the event fd, the pace gate
// and the power to start a child process of the session.
type Host interface {
	// Emit sends one event record to the server. Records may be gathered
	// for a moment and written together. The event is passed by value, so
	// that it need not be allocated for the call: a process may make
	// hundreds of thousands a second.
	Emit(e event.Event)
	// Flush writes at once every record gathered so far.
	Flush()
	// Gate returns when the process may make its next IPC call: at once in
	// realtime, after a pause in slow pace, after the presenter's step in
	// step mode. It returns an error when the session is ending.
	Gate(call, obj string) error
	// Spawn starts the session process called name (a ProcSpec whose
	// StartedBy is this process) with files as its role descriptors.
	Spawn(name string, files []*os.File) (Child, error)
	// Now is the time since the session started, in nanoseconds.
	Now() int64
	// Pace is the session's pace: "realtime", "slow" or "step".
	Pace() string
	// Watch has the process ask the kernel about an object it holds a
	// descriptor of, ten times a second, and report each change as a sample
	// event, for as long as the process lives.
	Watch(obj string, read func() (fill, capacity int64, ok bool))
	// Abort ends the process at once as failed, wherever its role is
	// (perhaps blocked in a system call): for a process that must give up
	// from another goroutine than its role's.
	Abort(err error)
}

// Child is a process a role started.
type Child interface {
	PID() int
	// Wait reaps the child and reports its exit code, or the signal that
	// ended it.
	Wait() (code int, sig string, err error)
	// Ended reports whether the child has ended and been collected, so
	// that Wait would return at once.
	Ended() bool
}

// Proc is one process of a session, as its role sees it.
type Proc struct {
	Name  string
	PID   int
	Files []*os.File // role descriptors, in the order the plan gave them
	host  Host
}

// NewProc binds a role to its host. The worker runtime calls it.
func NewProc(name string, pid int, files []*os.File, h Host) *Proc {
	return &Proc{Name: name, PID: pid, Files: files, host: h}
}

// Emit stamps e with this process and its time and sends it.
func (p *Proc) Emit(e event.Event) {
	if e.Proc == "" {
		e.Proc = p.Name
		e.PID = p.PID
	}
	e.T = p.host.Now()
	p.host.Emit(e)
}

// WaitFor is the role's own wait for its child called name. When the
// child still runs, the role is about to sleep until it ends, and it says
// so first, in a note with attrs.waits_for and attrs.child_pid: its report
// of the child's end comes after, as the role makes it once Wait returns.
// A note and not a block, since the role waits in no IPC call and must
// stay out of the deadlock detector's graph. A goroutine that collects a
// child while the role goes on with its calls uses Wait, and says nothing.
func (p *Proc) WaitFor(name string, c Child) (code int, sig string, err error) {
	if !c.Ended() {
		p.Emit(event.Event{Kind: event.KindNote, Text: fmt.Sprintf("%s waits for %s (pid %d) to end", p.Name, name, c.PID()),
			Attrs: map[string]any{event.AttrWaitsFor: name, event.AttrChildPID: c.PID()}})
	}
	return c.Wait()
}

// minSleepShown is the shortest sleep a process reports: a shorter one is
// over before anyone could see it.
const minSleepShown = time.Millisecond

// Sleep pauses the process for d, as the scenario asks (a slow consumer, a
// lock held a while), and first says so in a sleep event with the reason:
// the process is in the S state, as ps would show it, not running.
func (p *Proc) Sleep(d time.Duration, why string) {
	if d <= 0 {
		return
	}
	if d >= minSleepShown {
		p.Emit(event.Event{Kind: event.KindSleep, Text: why, Attrs: map[string]any{event.AttrNS: d.Nanoseconds(), event.AttrReason: why}})
	}
	time.Sleep(d)
}

// EmitNow sends e and writes it at once, with what was gathered before it:
// for events whose order against other processes' events is the lesson
// (the race's loads and stores), which must not wait while another
// process's events go ahead.
func (p *Proc) EmitNow(e event.Event) {
	p.Emit(e)
	p.host.Flush()
}

// Pace is the session's pace: "realtime", "slow" or "step". A role may
// report in more detail when a person steps through it.
func (p *Proc) Pace() string { return p.host.Pace() }

// Gate waits for the pace before an IPC call.
func (p *Proc) Gate(call, obj string) error { return p.host.Gate(call, obj) }

// Watch reports the object's fill level as the kernel gives it, whenever it
// changes, between this process's own calls: read asks the kernel (for
// example ioctl FIONREAD on a descriptor the process holds).
func (p *Proc) Watch(obj string, read func() (fill, capacity int64, ok bool)) {
	p.host.Watch(obj, read)
}

// Abort ends the process now as failed, from any goroutine, even while
// its role is blocked in a system call. It does not return.
func (p *Proc) Abort(err error) { p.host.Abort(err) }

// Spawn starts a child process of the session.
func (p *Proc) Spawn(name string, files []*os.File) (Child, error) {
	return p.host.Spawn(name, files)
}

// Fail reports err as an error event naming the call and object, in plain
// words, and returns it for the role to return.
func (p *Proc) Fail(call, obj string, err error) error {
	text, errno := ipc.Explain(err)
	p.Emit(event.Event{Kind: event.KindError, Call: call, Obj: obj, Error: text, Errno: errno})
	return fmt.Errorf("%s on %s: %w", call, obj, err)
}

// Note sends a sentence for the student.
func (p *Proc) Note(format string, args ...any) {
	p.Emit(event.Event{Kind: event.KindNote, Text: fmt.Sprintf(format, args...)})
}

// Result reports part of the session's result; the runner merges the parts
// of every process into the final session event.
func (p *Proc) Result(fields map[string]any) {
	b, err := json.Marshal(fields)
	if err != nil {
		return
	}
	p.Emit(event.Event{Kind: KindResult, Result: b})
}

// KindResult is the record a role sends to add to the session's result. It
// never reaches viewers: the runner folds it into the last event.
const KindResult = wire.KindResult

// Blocking runs a call that may block. try makes the call without waiting
// and reports wouldBlock when the kernel said it would have to wait; then a
// block event is sent, wait makes the real blocking call, and an unblock
// event follows. So block and unblock appear exactly when the kernel blocked.
func (p *Proc) Blocking(call, obj string, try func() (wouldBlock bool, err error), wait func() error) error {
	return p.BlockingAs(event.Event{Call: call, Obj: obj}, try, wait)
}

// BlockingAs is Blocking with more detail on the block and unblock events:
// they are copies of tmpl (obj, call, message, type, priority, peer), so a
// viewer sees, say, which message type a receiver waits for, or who could
// wake it. The block event also carries tmpl's text and attrs.
func (p *Proc) BlockingAs(tmpl event.Event, try func() (wouldBlock bool, err error), wait func() error) error {
	wouldBlock, err := try()
	if err != nil || !wouldBlock {
		return err
	}
	start := time.Now()
	b := tmpl
	b.Kind = event.KindBlock
	p.Emit(b)
	err = wait()
	u := tmpl
	u.Kind = event.KindUnblock
	u.Text = ""
	u.Attrs = map[string]any{event.AttrWaitedNS: time.Since(start).Nanoseconds()}
	p.Emit(u)
	return err
}

// Message payloads carry their id in the first 8 bytes, so a receiver can
// name the message it got and the server can pair each receive with its
// send. The rest is a recognisable filler.
const headerLen = 8

// fillPayload writes msg's header and filler into b: byte i of the filler
// is the letter (i+msg) mod 26 of the alphabet (ids count from 1).
func fillPayload(b []byte, msg int64) {
	binary.LittleEndian.PutUint64(b, uint64(msg))
	// Copied from the alphabet repeated, in runs, rather than worked out
	// byte by byte: a stream's writer fills a message per call.
	for i := headerLen; i < len(b); {
		start := int((int64(i) + msg) % 26)
		if start < 0 {
			start += 26
		}
		i += copy(b[i:], letters[start:])
	}
}

// letters is the alphabet, repeated, to copy the filler from.
var letters = []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz", 64))

// payloadID reads the id of a received message.
func payloadID(b []byte) (int64, error) {
	if len(b) < headerLen {
		return 0, errors.New("message shorter than its header")
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

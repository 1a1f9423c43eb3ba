package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The pipe scenario: a parent process creates an anonymous pipe, starts a
// child that inherits the write end, and reads what the child writes. This
// is the classic fork-and-pipe pattern, with real processes.

func init() {
	register(&Scenario{
		Name:      "pipe",
		Title:     "Anonymous pipe: parent and child",
		Mechanism: "pipe",
		Summary: "The parent asks the kernel for a pipe (two descriptors: a read end and a write end), " +
			"then starts a child that inherits the write end. The child writes messages into the pipe, " +
			"the parent reads them out, in the order they went in.",
		Watch: "The tube fills as the child writes and drains as the parent reads. Make the pipe small " +
			"and the reader slow: the pipe fills up and the child blocks in write() until the parent " +
			"makes room. When the child closes its end, the parent's read returns 0: end of file.",
		Params: []Param{
			messagesParam(12),
			sizeParam(64, 65536),
			intParam("capacity", 65536, 4096, 1<<20, "bytes",
				"How much the pipe holds (F_SETPIPE_SZ). The kernel rounds it up to a power of two pages."),
			readerDelayParam(),
		},
		Check: func(v Values, lim Limits) *FieldError {
			if c := v.Int("capacity"); lim.PipeMaxSize > 0 && c > lim.PipeMaxSize {
				return fieldErr("capacity", "an ordinary user may make a pipe of at most %d bytes (fs.pipe-max-size)", lim.PipeMaxSize)
			}
			return checkBudget(v.Int("messages"), v.Int("size"), 1)
		},
		Plan: func(v Values, env Env) (Plan, error) {
			args := pipeArgs{Messages: v.Int("messages"), Size: v.Int("size"), Capacity: v.Int("capacity"),
				ReaderDelayMS: v.Int("reader_delay_ms"), Obj: event.Label(event.ObjKindPipe, "1")}
			return Plan{Procs: []ProcSpec{
				{Name: "parent", Role: "pipe-parent", Args: args},
				{Name: "child", Role: "pipe-child", Args: args, StartedBy: "parent"},
			}}, nil
		},
	})
	registerRole("pipe-parent", pipeParent)
	registerRole("pipe-child", pipeChild)
}

// messagesParam is the count every data scenario takes.
func messagesParam(def int64) Param {
	return intParam("messages", def, 1, 10000, "", "How many messages to send.")
}

// sizeParam is the message size every data scenario takes.
func sizeParam(def, hi int64) Param {
	return intParam("size", def, headerLen, hi, "bytes",
		"Bytes in each message. The first 8 bytes carry the message's number.")
}

func readerDelayParam() Param {
	return intParam("reader_delay_ms", 0, 0, 5000, "ms",
		"The reader waits this long before each read. A slow reader makes the writer block when the buffer is full.")
}

type pipeArgs struct {
	Messages      int    `json:"messages"`
	Size          int    `json:"size"`
	Capacity      int    `json:"capacity"`
	ReaderDelayMS int    `json:"reader_delay_ms"`
	Obj           string `json:"obj"`
}

// pipeParent creates the pipe, starts the child, reads until end of file
// and reaps the child.
func pipeParent(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[pipeArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("pipe2", a.Obj); err != nil {
		return err
	}
	r, w, err := ipc.Pipe2(0)
	if err != nil {
		return p.Fail("pipe2", a.Obj, err)
	}
	rf, wf := os.NewFile(uintptr(r), "pipe-read"), os.NewFile(uintptr(w), "pipe-write")
	defer rf.Close()
	capacity, err := ipc.SetPipeSize(r, a.Capacity)
	if err != nil {
		wf.Close()
		return p.Fail("fcntl F_SETPIPE_SZ", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "pipe2", Cap: int64(capacity), Fill: event.Int64(0),
		Attrs: map[string]any{event.AttrReadFD: r, event.AttrWriteFD: w}})

	if err := p.Gate("fork+exec", a.Obj); err != nil {
		wf.Close()
		return err
	}
	child, err := p.Spawn("child", []*os.File{wf})
	if err != nil {
		wf.Close()
		return p.Fail("fork/exec", a.Obj, err)
	}
	// The child has its own copy of the write end now. The parent must
	// close its copy, or its reads would never see end of file.
	if err := p.Gate("close", a.Obj); err != nil {
		wf.Close()
		return err
	}
	wf.Close()
	p.Emit(event.Event{Kind: event.KindClose, Obj: a.Obj, Call: "close", Attrs: map[string]any{event.AttrFD: w, event.AttrEnd: "write"}})
	end, err := ipc.NewPipeEnd(rf)
	if err != nil {
		return p.Fail("open", a.Obj, err)
	}
	defer end.Close()
	s := newByteStream(p, end, a.Obj, capacity)
	p.Watch(a.Obj, func() (int64, int64, bool) {
		n, err := ipc.Pending(r)
		return int64(n), int64(capacity), err == nil
	})
	got, err := readAll(p, s, a.Size, time.Duration(a.ReaderDelayMS)*time.Millisecond)
	code, sig, werr := p.WaitFor("child", child)
	p.Emit(exitEvent("child", child.PID(), code, sig))
	p.Result(map[string]any{"messages_sent": a.Messages, "messages_received": got, "bytes_received": got * a.Size})
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("wait for child: %w", werr)
	}
	if got != a.Messages {
		return fmt.Errorf("received %d of %d messages", got, a.Messages)
	}
	return nil
}

// readAll reads messages of size bytes until end of file.
func readAll(p *Proc, s *byteStream, size int, delay time.Duration) (int, error) {
	buf := make([]byte, size)
	got := 0
	for {
		p.Sleep(delay, "a slow reader (reader_delay_ms)")
		_, err := s.recv(buf)
		if errors.Is(err, ipc.ErrEOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got++
	}
}

// pipeChild writes its messages into the inherited write end, then closes it.
func pipeChild(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[pipeArgs](raw)
	if err != nil {
		return err
	}
	if len(p.Files) < 1 {
		return errors.New("pipe child started without the write end")
	}
	w := int(p.Files[0].Fd())
	capacity, _ := ipc.PipeSize(w)
	// The child made no call to get the write end: it came with the
	// process, across fork and exec. Say so, so the page knows who holds it.
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "inherited", Cap: int64(capacity),
		Attrs: map[string]any{event.AttrFD: w, event.AttrEnd: "write"},
		Text:  fmt.Sprintf("the write end came with the process: inherited across fork and exec as descriptor %d", w)})
	end, err := ipc.NewPipeEnd(p.Files[0])
	if err != nil {
		return p.Fail("open", a.Obj, err)
	}
	s := newByteStream(p, end, a.Obj, capacity)
	return s.sendAllAndClose(a.Messages, a.Size)
}

// exitEvent describes how a process ended.
func exitEvent(name string, pid, code int, sig string) event.Event {
	e := event.Event{Kind: event.KindExit, Proc: name, PID: pid, Sig: sig}
	if sig == "" {
		e.Code = event.Int(code)
	}
	return e
}

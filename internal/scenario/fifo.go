package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The fifo scenario: two unrelated processes, both started by the server,
// meet at a named pipe. Neither inherits anything from the other; they
// share only the FIFO's path. Opening it is itself a meeting point: the
// writer's open waits until a reader has opened it too.

func init() {
	register(&Scenario{
		Name:      "fifo",
		Title:     "Named pipe (FIFO): two strangers meet at a path",
		Mechanism: "fifo",
		Summary: "A FIFO is a pipe with a name in the file system. The server starts a writer and a reader " +
			"that are not related: neither started the other, so no descriptor is inherited. Each opens the " +
			"FIFO by its path, and the kernel joins them into one pipe. The writer's messages come out at " +
			"the reader, in order.",
		Watch: "The writer opens the FIFO first and blocks in open(): a FIFO cannot be opened for writing " +
			"until someone has it open for reading. When the reader arrives, the writer's open returns. Then " +
			"the tube fills and drains as in a pipe: with a small capacity and a slow reader the writer blocks " +
			"in write(). When the writer closes, the reader's read returns 0: end of file.",
		Params: []Param{
			messagesParam(12),
			sizeParam(64, 65536),
			intParam("capacity", 65536, 4096, 1<<20, "bytes",
				"How much the FIFO holds (F_SETPIPE_SZ). The kernel rounds it up to a power of two pages."),
			readerDelayParam(),
			intParam("reader_arrives_ms", 400, 0, 5000, "ms",
				"The reader waits this long before it opens the FIFO. Until it does, the writer waits in open()."),
		},
		Check: func(v Values, lim Limits) *FieldError {
			if c := v.Int("capacity"); lim.PipeMaxSize > 0 && c > lim.PipeMaxSize {
				return fieldErr("capacity", "an ordinary user may make a pipe of at most %d bytes (fs.pipe-max-size)", lim.PipeMaxSize)
			}
			if ferr := checkDelayBudget("reader_delay_ms", v.Int("messages"), v.Int("reader_delay_ms"), 1); ferr != nil {
				return ferr
			}
			return checkBudget(v.Int("messages"), v.Int("size"), 1)
		},
		Plan: func(v Values, env Env) (Plan, error) {
			path := env.Path("channel.fifo")
			obj := event.Label(event.ObjKindFIFO, filepath.Base(path))
			args := fifoArgs{Messages: v.Int("messages"), Size: v.Int("size"), Capacity: v.Int("capacity"),
				ReaderDelayMS: v.Int("reader_delay_ms"), ArrivesMS: v.Int("reader_arrives_ms"), Path: path, Obj: obj}
			return Plan{
				Procs: []ProcSpec{
					{Name: "writer", Role: "fifo-writer", Args: args},
					{Name: "reader", Role: "fifo-reader", Args: args},
				},
				Objects: []Object{{Kind: ObjFIFO, Label: obj, Name: path}},
			}, nil
		},
	})
	registerRole("fifo-writer", fifoWriter)
	registerRole("fifo-reader", fifoReader)
}

type fifoArgs struct {
	Messages      int    `json:"messages"`
	Size          int    `json:"size"`
	Capacity      int    `json:"capacity"`
	ReaderDelayMS int    `json:"reader_delay_ms"`
	ArrivesMS     int    `json:"reader_arrives_ms"`
	Path          string `json:"path"`
	Obj           string `json:"obj"`
}

// makeFifo creates the FIFO unless the other process already has. Both
// try, since neither may count on the other having started.
func makeFifo(p *Proc, a fifoArgs) error {
	if err := p.Gate("mkfifo", a.Obj); err != nil {
		return err
	}
	err := ipc.Mkfifo(a.Path)
	if errors.Is(err, unix.EEXIST) {
		p.Note("The FIFO %s already exists: the other process made it first.", filepath.Base(a.Path))
		return nil
	}
	if err != nil {
		return p.Fail("mkfifo", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "mkfifo",
		Attrs: map[string]any{event.AttrPath: a.Path, event.AttrMode: "0600"},
		Text:  "mkfifo made a name in the file system; no pipe exists until both ends are open"})
	return nil
}

// fifoWriter opens the FIFO for writing, which waits for a reader, sizes
// it, writes its messages, closes its end and removes the name.
func fifoWriter(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[fifoArgs](raw)
	if err != nil {
		return err
	}
	if err := makeFifo(p, a); err != nil {
		return err
	}
	fd, blocked, err := openFifoWriter(p, a)
	if err != nil {
		return err
	}
	end, err := fifoEnd(fd, "fifo-write")
	if err != nil {
		return p.Fail("open", a.Obj, err)
	}
	defer end.Close() // after sendAllAndClose has closed it, this only returns an error
	capacity, err := ipc.SetPipeSize(fd, a.Capacity)
	if err != nil {
		return p.Fail("fcntl F_SETPIPE_SZ", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "open", Cap: int64(capacity), Fill: event.Int64(0),
		Attrs: map[string]any{event.AttrFD: fd, event.AttrEnd: "write", event.AttrFlags: "O_WRONLY"}})
	s := newByteStream(p, end, a.Obj, capacity)
	if err := s.sendAllAndClose(a.Messages, a.Size); err != nil {
		return err
	}
	p.Result(map[string]any{"messages_sent": a.Messages, "writer_waited_in_open": blocked})
	return removeFifo(p, a)
}

// openFifoWriter opens the write end. The try form (O_NONBLOCK) fails with
// ENXIO while nobody has the FIFO open for reading: exactly when a plain
// open would sleep.
func openFifoWriter(p *Proc, a fifoArgs) (fd int, blocked bool, err error) {
	if err := p.Gate("open", a.Obj); err != nil {
		return -1, false, err
	}
	try := func() (bool, error) {
		fd, err = ipc.OpenFifo(a.Path, unix.O_WRONLY|unix.O_NONBLOCK)
		if errors.Is(err, unix.ENXIO) {
			blocked = true
			return true, nil
		}
		return false, err
	}
	wait := func() error {
		fd, err = ipc.OpenFifo(a.Path, unix.O_WRONLY)
		return err
	}
	tmpl := event.Event{Obj: a.Obj, Call: "open", Peer: "reader",
		Text: "nobody has the FIFO open for reading yet, so open(O_WRONLY) waits for a reader"}
	if err := p.BlockingAs(tmpl, try, wait); err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, blocked, p.Fail("open", a.Obj, err)
	}
	return fd, blocked, nil
}

// removeFifo removes the FIFO's name. Both ends are open by now (the
// writer's open waited for the reader), so nobody needs the name again.
func removeFifo(p *Proc, a fifoArgs) error {
	if err := p.Gate("unlink", a.Obj); err != nil {
		return err
	}
	if err := ipc.RemoveFifo(a.Path); err != nil && !errors.Is(err, unix.ENOENT) {
		return p.Fail("unlink", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: a.Obj, Call: "unlink",
		Text: "the name is gone; descriptors still open keep working until closed"})
	return nil
}

// fifoReader arrives late, opens the FIFO for reading, reads until end of
// file and closes.
func fifoReader(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[fifoArgs](raw)
	if err != nil {
		return err
	}
	if err := makeFifo(p, a); err != nil {
		return err
	}
	p.Sleep(time.Duration(a.ArrivesMS)*time.Millisecond, "arrives late (arrives_ms): the FIFO has no reader yet")
	if err := p.Gate("open", a.Obj); err != nil {
		return err
	}
	// O_NONBLOCK: the reader's open never sleeps, so it never blocks
	// without saying so. If no writer is there yet, the first read tells
	// (see fifoIn.recv) and the reader then waits in a plain open.
	fd, err := ipc.OpenFifo(a.Path, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return p.Fail("open", a.Obj, err)
	}
	end, err := fifoEnd(fd, "fifo-read")
	if err != nil {
		return p.Fail("open", a.Obj, err)
	}
	in := &fifoIn{p: p, end: end, path: a.Path, obj: a.Obj}
	defer func() { in.end.Close() }()
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "open", Cap: in.capacity(), Fill: in.fill(),
		Attrs: map[string]any{event.AttrFD: fd, event.AttrEnd: "read", event.AttrFlags: "O_RDONLY|O_NONBLOCK"}})
	buf := make([]byte, a.Size)
	got := 0
	for {
		p.Sleep(time.Duration(a.ReaderDelayMS)*time.Millisecond, "a slow reader (reader_delay_ms)")
		_, err := in.recv(buf)
		if errors.Is(err, ipc.ErrEOF) {
			break
		}
		if err != nil {
			return err
		}
		got++
	}
	p.Result(map[string]any{"messages_received": got, "bytes_received": got * a.Size})
	if err := p.Gate("close", a.Obj); err != nil {
		return err
	}
	p.Emit(event.Event{Kind: event.KindClose, Obj: a.Obj, Call: "close", Attrs: map[string]any{event.AttrFD: in.end.Fd(), event.AttrEnd: "read"}})
	if got != a.Messages {
		return fmt.Errorf("received %d of %d messages", got, a.Messages)
	}
	return nil
}

// fifoEnd makes a PipeEnd of fd, a FIFO end this process opened itself.
// O_NONBLOCK, which only kept the open from waiting, is cleared first: the
// waits are made on this descriptor, and the tries on the PipeEnd's own.
// On failure fd is closed.
func fifoEnd(fd int, name string) (*ipc.PipeEnd, error) {
	if err := ipc.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	end, err := ipc.NewPipeEnd(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return end, nil
}

// fifoIn is the read end of the FIFO. Unlike a pipe's, it can be open
// before any writer has come: read then returns 0 at once, which is not
// yet end of file. Only after a writer has been seen does 0 mean the end.
type fifoIn struct {
	p          *Proc
	end        *ipc.PipeEnd
	path, obj  string
	writerSeen bool
}

// errNoWriter is a read's 0 before any writer opened the FIFO.
var errNoWriter = errors.New("no writer has opened the FIFO yet")

func (r *fifoIn) fill() *int64 {
	n, err := ipc.Pending(r.end.Fd())
	if err != nil {
		return nil
	}
	return event.Int64(int64(n))
}

func (r *fifoIn) capacity() int64 {
	n, _ := ipc.PipeSize(r.end.Fd())
	return int64(n)
}

// recv reads one whole message into b and reports it. It returns ipc.ErrEOF
// when the writer has closed.
func (r *fifoIn) recv(b []byte) (int64, error) {
	if err := r.p.Gate("read", r.obj); err != nil {
		return 0, err
	}
	for {
		err := r.readFull(b)
		if errors.Is(err, errNoWriter) {
			if err := r.awaitWriter(); err != nil {
				return 0, err
			}
			continue
		}
		if errors.Is(err, ipc.ErrEOF) {
			r.p.Emit(event.Event{Kind: event.KindRead, Obj: r.obj, Bytes: 0, Fill: r.fill(), Cap: r.capacity(),
				Text: "read returned 0: end of file, the writer has closed its end"})
			return 0, ipc.ErrEOF
		}
		if err != nil {
			return 0, r.p.Fail("read", r.obj, err)
		}
		msg, err := payloadID(b)
		if err != nil {
			return 0, r.p.Fail("read", r.obj, err)
		}
		r.p.Emit(event.Event{Kind: event.KindRead, Obj: r.obj, Bytes: len(b), Msg: msg, Fill: r.fill(), Cap: r.capacity()})
		return msg, nil
	}
}

// readFull fills b, blocking (with block and unblock events) when the FIFO
// is empty. It returns errNoWriter, having read nothing, if no writer has
// come yet, and ipc.ErrEOF if the writer closed before the first byte.
func (r *fifoIn) readFull(b []byte) error {
	got := 0
	try := func() (bool, error) {
		n, err := r.end.TryRead(b)
		switch {
		case errors.Is(err, unix.EAGAIN):
			r.writerSeen = true // a writer has it open; the FIFO is just empty
			return true, nil
		case err != nil:
			return false, err
		case n == 0 && !r.writerSeen:
			return false, errNoWriter
		case n == 0:
			return false, ipc.ErrEOF
		}
		r.writerSeen = true
		got = n
		return got < len(b), nil
	}
	wait := func() error {
		n, err := ipc.ReadFull(r.end.Fd(), b[got:])
		got += n
		return err
	}
	err := r.p.BlockingAs(event.Event{Obj: r.obj, Call: "read", Peer: "writer"}, try, wait)
	if errors.Is(err, ipc.ErrEOF) && got > 0 {
		return fmt.Errorf("the writer closed after %d of %d bytes of a message: %w", got, len(b), io.ErrUnexpectedEOF)
	}
	return err
}

// awaitWriter waits for a writer in a plain open(O_RDONLY), which sleeps
// until one opens the FIFO, then reads through that descriptor instead.
func (r *fifoIn) awaitWriter() error {
	var fd int
	try := func() (bool, error) { return true, nil } // the read's 0 already said so
	wait := func() error {
		var err error
		fd, err = ipc.OpenFifo(r.path, unix.O_RDONLY)
		return err
	}
	tmpl := event.Event{Obj: r.obj, Call: "open", Peer: "writer",
		Text: "read returned 0 before any writer came: the reader waits in open(O_RDONLY) for a writer"}
	if err := r.p.BlockingAs(tmpl, try, wait); err != nil {
		return r.p.Fail("open", r.obj, err)
	}
	end, err := fifoEnd(fd, "fifo-read")
	if err != nil {
		return r.p.Fail("open", r.obj, err)
	}
	r.end.Close()
	r.end = end
	r.writerSeen = true
	r.p.Emit(event.Event{Kind: event.KindOpen, Obj: r.obj, Call: "open", Cap: r.capacity(), Fill: r.fill(),
		Attrs: map[string]any{event.AttrFD: fd, event.AttrEnd: "read", event.AttrFlags: "O_RDONLY"}})
	return nil
}

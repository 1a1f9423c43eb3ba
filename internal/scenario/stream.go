package scenario

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// byteStream moves fixed-size messages through one end of a pipe or FIFO,
// with block and unblock events exactly when the kernel makes a call wait.
// Each call is first a try on the end's private non-blocking description
// (ipc.PipeEnd), and only when that would block, or moved part of the
// message, the blocking call on the end's own descriptor moves the rest.
type byteStream struct {
	p    *Proc
	end  *ipc.PipeEnd
	obj  string
	cap  int64 // capacity the kernel reported, for display; 0 if unknown
	asks sampler
}

// newByteStream is p's stream over end, the object obj of capacity
// capacity (0 if unknown).
func newByteStream(p *Proc, end *ipc.PipeEnd, obj string, capacity int) *byteStream {
	return &byteStream{p: p, end: end, obj: obj, cap: int64(capacity), asks: sampler{now: p.host.Now, every: fillEvery}}
}

// fill asks the kernel how many bytes wait in the object.
func (s *byteStream) fill() *int64 {
	n, err := s.end.Pending()
	if err != nil {
		return nil
	}
	return event.Int64(int64(n))
}

// fillFor is the fill an event of this end carries: the kernel's count
// when one is due (see sampler), nil when not. fresh marks a call whose
// count is the story: one that waited, or end of file.
func (s *byteStream) fillFor(fresh bool) *int64 {
	return s.asks.read(fresh || s.p.Pace() != "realtime", s.fill)
}

// blocking runs try, and when the call must wait, reports the block with
// the kernel's count (why it waits), runs wait and reports the unblock. It
// says whether the call waited.
func (s *byteStream) blocking(tmpl event.Event, try func() (bool, error), wait func() error) (bool, error) {
	wouldBlock, err := try()
	if err != nil || !wouldBlock {
		return false, err
	}
	tmpl.Fill, tmpl.Cap = s.fillFor(true), s.cap
	return true, s.p.BlockingAs(tmpl, func() (bool, error) { return true, nil }, wait)
}

// send writes one whole message and reports it as a write event.
func (s *byteStream) send(msg int64, b []byte) error {
	if err := s.p.Gate("write", s.obj); err != nil {
		return err
	}
	fillPayload(b, msg)
	rest := b
	try := func() (bool, error) {
		n, err := s.end.TryWrite(rest)
		rest = rest[n:]
		if errors.Is(err, unix.EAGAIN) || (err == nil && len(rest) > 0) {
			return true, nil
		}
		return false, err
	}
	wait := func() error { return ipc.WriteFull(s.end.Fd(), rest) }
	// The block names the write's size: whether it fits depends on it.
	waited, err := s.blocking(event.Event{Call: "write", Obj: s.obj, Bytes: len(b)}, try, wait)
	if err != nil {
		return s.p.Fail("write", s.obj, err)
	}
	s.p.Emit(event.Event{Kind: event.KindWrite, Obj: s.obj, Bytes: len(b), Msg: msg, Fill: s.fillFor(waited), Cap: s.cap})
	return nil
}

// recv reads one whole message into b and reports it as a read event. It
// returns ipc.ErrEOF when every writer has closed.
func (s *byteStream) recv(b []byte) (int64, error) {
	if err := s.p.Gate("read", s.obj); err != nil {
		return 0, err
	}
	got := 0
	try := func() (bool, error) {
		n, err := s.end.TryRead(b)
		if errors.Is(err, unix.EAGAIN) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, ipc.ErrEOF
		}
		got = n
		return got < len(b), nil
	}
	wait := func() error {
		n, err := ipc.ReadFull(s.end.Fd(), b[got:])
		got += n
		return err
	}
	waited, err := s.blocking(event.Event{Call: "read", Obj: s.obj}, try, wait)
	if errors.Is(err, ipc.ErrEOF) && got == 0 {
		s.p.Emit(event.Event{Kind: event.KindRead, Obj: s.obj, Bytes: 0, Fill: s.fillFor(true), Cap: s.cap,
			Text: "read returned 0: end of file, every writer has closed its end"})
		return 0, ipc.ErrEOF
	}
	if err != nil {
		return 0, s.p.Fail("read", s.obj, err)
	}
	msg, err := payloadID(b)
	if err != nil {
		return 0, s.p.Fail("read", s.obj, err)
	}
	s.p.Emit(event.Event{Kind: event.KindRead, Obj: s.obj, Bytes: len(b), Msg: msg, Fill: s.fillFor(waited), Cap: s.cap})
	return msg, nil
}

// sendAllAndClose writes messages 1 to n of size bytes, then closes the
// write end (both of its descriptions). The close is reported just before
// it happens: the reader sees end of file the moment it does, and its
// report must not overtake this one.
func (s *byteStream) sendAllAndClose(n, size int) error {
	buf := make([]byte, size)
	for i := 1; i <= n; i++ {
		if err := s.send(int64(i), buf); err != nil {
			return err
		}
	}
	if err := s.p.Gate("close", s.obj); err != nil {
		return err
	}
	s.p.Emit(event.Event{Kind: event.KindClose, Obj: s.obj, Call: "close", Attrs: map[string]any{event.AttrFD: s.end.Fd(), event.AttrEnd: "write"}})
	if err := s.end.Close(); err != nil {
		return s.p.Fail("close", s.obj, err)
	}
	return nil
}

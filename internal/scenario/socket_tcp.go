package scenario

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The TCP scenario: a server on 127.0.0.1 and clients that connect to it and
// send a stream of bytes. The stream serving here also serves Unix stream
// sockets, which behave the same way to a program, and the connection's
// calls below serve every socket scenario.

func init() {
	register(&Scenario{
		Name:      "socket-tcp",
		Title:     "TCP socket on loopback: a server and its clients",
		Mechanism: "socket-tcp",
		Summary: "The server binds a TCP socket to 127.0.0.1 with port 0, so the kernel picks a free port, and " +
			"listens. It starts its clients and tells each the port; each client connects, and the server " +
			"accepts the connection. Then the clients send fixed-size messages and the server reads them. " +
			"TCP carries bytes, not messages: the server reads exactly as many bytes as a message has.",
		Watch: "connect and accept pair up a client with the server. Each send goes into the client's send " +
			"buffer and on to the server's receive buffer. Make the buffers small and the server slow: the " +
			"buffers fill, the server's window closes, and the client blocks in send() until the server " +
			"reads. When a client closes, the server's recv returns 0.",
		Params: []Param{
			clientsParam(),
			perClientMessagesParam(12),
			sizeParam(64, 65536),
			intParam("buffer", 0, 0, 4<<20, "bytes",
				"SO_RCVBUF of the server's connections and SO_SNDBUF of each client. 0 keeps the kernel's "+
					"defaults. The kernel doubles the value for its bookkeeping and raises tiny ones to its minimum."),
			readerDelayParam(),
		},
		Check: func(v Values, _ Limits) *FieldError {
			return checkSocket(v, "rmem_max", "wmem_max")
		},
		Plan: socketPlan("tcp"),
	})
	registerRole("tcp-server", socketServer)
	registerRole("tcp-client", socketClient)
}

// serveStreams starts the clients one by one, accepting each one's
// connection before starting the next, so that the server knows who is on
// the other end of each. Then it reads the messages in turn from each
// connection, then the end of each stream.
func (s *sockServer) serveStreams() error {
	for i := range s.a.Clients {
		c, err := s.startClient(i)
		if err != nil {
			return err
		}
		if err := s.accept(c); err != nil {
			return err
		}
	}
	if s.a.Proto == "unix" {
		// Only a holder of a Unix socket can ask what waits in it, so the
		// server also reports between its calls: the count grows while it
		// sleeps and the clients send.
		s.p.Watch(s.obj, func() (int64, int64, bool) {
			n := s.unread()
			if n == nil {
				return 0, 0, false
			}
			return *n, 0, true
		})
	}
	if err := s.closeSocket(); err != nil {
		return err
	}
	got, err := s.readRounds()
	if err == nil {
		err = s.endStreams()
	}
	reapErr := s.reap()
	s.p.Result(map[string]any{"messages_sent": s.sentTotal(), "messages_received": got,
		"bytes_received": got * s.a.Size})
	if err != nil {
		return err
	}
	if reapErr != nil {
		return reapErr
	}
	if want := s.a.Clients * s.a.Messages; got != want {
		return fmt.Errorf("received %d of %d messages", got, want)
	}
	return nil
}

// accept takes the connection of c, the one client started and not yet
// accepted.
func (s *sockServer) accept(c *sockClient) error {
	if err := s.p.Gate("accept", s.obj); err != nil {
		return err
	}
	fd := -1
	try := func() (bool, error) {
		n, err := ipc.TryAccept(s.fd)
		if ipc.WouldBlock(err) {
			return true, nil
		}
		fd = n
		return false, err
	}
	wait := func() error {
		n, err := ipc.Accept(s.fd)
		fd = n
		return err
	}
	if err := s.p.Blocking("accept", s.obj, try, wait); err != nil {
		return s.p.Fail("accept", s.obj, err)
	}
	rcvbuf, _ := ipc.RcvBuf(fd)
	c.conn = &sockConn{p: s.p, fd: fd, obj: s.obj, peer: c.name, unread: s.fill, mu: &s.mu}
	if s.a.Proto != "unix" {
		// On a Unix stream the sender's buffer bounds what is in flight;
		// the receiver's is not checked.
		c.conn.cap = int64(rcvbuf)
	}
	s.p.Emit(event.Event{Kind: event.KindAccept, Obj: s.obj, Peer: c.name, Call: "accept4", Cap: c.conn.cap,
		Attrs: map[string]any{event.AttrFD: fd, event.AttrRcvbuf: rcvbuf}})
	return nil
}

// readRounds reads each client's messages in turn: the first from every
// client, then the second, and so on.
func (s *sockServer) readRounds() (int, error) {
	buf := make([]byte, s.a.Size)
	delay := time.Duration(s.a.ReaderDelayMS) * time.Millisecond
	got := 0
	for k := range s.a.Messages {
		for _, c := range s.clients {
			if delay > 0 {
				s.p.Sleep(delay, "a slow reader (reader_delay_ms)")
			}
			_, err := c.conn.recvStream(buf)
			if errors.Is(err, ipc.ErrEOF) {
				return got, fmt.Errorf("%s closed its connection after %d of %d messages", c.name, k, s.a.Messages)
			}
			if err != nil {
				return got, err
			}
			got++
		}
	}
	return got, nil
}

// endStreams reads the end of each stream, closes the connection and
// collects the client's count.
func (s *sockServer) endStreams() error {
	buf := make([]byte, s.a.Size)
	for _, c := range s.clients {
		msg, err := c.conn.recvStream(buf)
		if err == nil {
			return fmt.Errorf("%s sent more than %d messages (message %d)", c.name, s.a.Messages, msg)
		}
		if !errors.Is(err, ipc.ErrEOF) {
			return err
		}
		if err := c.conn.close(); err != nil {
			return err
		}
		if err := s.readReport(c); err != nil {
			return err
		}
	}
	return nil
}

// sockConn is one connected socket as a role uses it: it makes the calls
// and reports each one with the kernel's numbers. Datagram clients use it
// too, since their sockets are connected to the server's address.
//
// A socket's fill, in events, is what waits at the receiving end. What a
// sender's own socket holds is another count, so a send event carries it
// apart, in its attributes: SIOCOUTQ, which on a Unix socket is the kernel
// memory the sent-but-unread data takes, bookkeeping included (several
// hundred bytes for a small message), the measure SO_SNDBUF limits; on TCP,
// the bytes not yet acknowledged.
type sockConn struct {
	p    *Proc
	fd   int
	obj  string
	peer string
	cap  int64
	// unread, where set, reads the fill: the bytes waiting to be read at
	// the receiving end.
	unread *gauge
	// sndbuf is SO_SNDBUF, where send events report SIOCOUTQ against it.
	sndbuf int
	outq   *gauge
	// mu, where set, is held while the socket closes, so that another
	// goroutine reading the kernel's counts never asks a closed descriptor.
	mu     *sync.Mutex
	closed bool
}

// fill is the count of bytes waiting at the receiving end; fresh after a
// call that blocked, or a reading a few ms old (see gauge).
func (c *sockConn) fill(fresh bool) *int64 {
	if c.unread == nil {
		return nil
	}
	return c.unread.read(fresh)
}

// sendBuffer is what this end's send buffer holds (SIOCOUTQ) and its size,
// as a send event's attributes; fresh as fill is.
func (c *sockConn) sendBuffer(fresh bool) map[string]any {
	if c.sndbuf == 0 {
		return nil
	}
	if c.outq == nil {
		c.outq = newGauge(func() *int64 {
			n, err := ipc.SockOutq(c.fd)
			if err != nil {
				return nil
			}
			v := int64(n)
			return &v
		}, c.p.host.Now)
	}
	n := c.outq.read(fresh)
	if n == nil {
		return nil
	}
	return map[string]any{event.AttrOutq: int(*n), event.AttrSndbuf: c.sndbuf}
}

// send sends message msg in b, all of it: on a stream it may take several
// calls, and a block event shows when the kernel makes one wait for room.
func (c *sockConn) send(msg int64, b []byte) error {
	if err := c.p.Gate("send", c.obj); err != nil {
		return err
	}
	fillPayload(b, msg)
	rest := b
	blocked := false
	try := func() (bool, error) {
		for len(rest) > 0 {
			n, err := ipc.TrySend(c.fd, rest)
			if ipc.WouldBlock(err) {
				blocked = true
				return true, nil
			}
			if err != nil {
				return false, err
			}
			rest = rest[n:]
		}
		return false, nil
	}
	wait := func() error {
		for len(rest) > 0 {
			n, err := ipc.Send(c.fd, rest, 0)
			if err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}
	if err := c.p.Blocking("send", c.obj, try, wait); err != nil {
		return c.p.Fail("send", c.obj, err)
	}
	c.p.Emit(event.Event{Kind: event.KindSend, Obj: c.obj, Peer: c.peer, Bytes: len(b), Msg: msg, Fill: c.fill(blocked), Cap: c.cap,
		Attrs: c.sendBuffer(blocked)})
	return nil
}

// recvStream reads exactly one message into b from a stream, which keeps no
// boundaries: a message may come in pieces, and several calls may be needed.
// It returns ipc.ErrEOF, after reporting it, when the peer has closed.
func (c *sockConn) recvStream(b []byte) (int64, error) {
	if err := c.p.Gate("recv", c.obj); err != nil {
		return 0, err
	}
	got := 0
	blocked := false
	step := func(flags int) (bool, error) {
		n, err := ipc.Recv(c.fd, b[got:], flags)
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, ipc.ErrEOF
		}
		got += n
		return true, nil
	}
	try := func() (bool, error) {
		for got < len(b) {
			if _, err := step(unix.MSG_DONTWAIT); ipc.WouldBlock(err) {
				blocked = true
				return true, nil
			} else if err != nil {
				return false, err
			}
		}
		return false, nil
	}
	wait := func() error {
		for got < len(b) {
			if _, err := step(0); err != nil {
				return err
			}
		}
		return nil
	}
	err := c.p.Blocking("recv", c.obj, try, wait)
	if errors.Is(err, ipc.ErrEOF) && got == 0 {
		c.p.Emit(event.Event{Kind: event.KindRecv, Obj: c.obj, Peer: c.peer, Fill: c.fill(true), Cap: c.cap,
			Text: "recv returned 0: the other side closed its end, nothing more will come"})
		return 0, ipc.ErrEOF
	}
	if errors.Is(err, ipc.ErrEOF) {
		err = fmt.Errorf("the stream ended %d bytes into a %d-byte message: %w", got, len(b), err)
	}
	if err != nil {
		return 0, c.p.Fail("recv", c.obj, err)
	}
	msg, _ := payloadID(b)
	c.p.Emit(event.Event{Kind: event.KindRecv, Obj: c.obj, Peer: c.peer, Bytes: len(b), Msg: msg, Fill: c.fill(blocked), Cap: c.cap})
	return msg, nil
}

// close closes the socket. The report goes out first: the peer learns of
// the close at once, and its report must not overtake this one.
func (c *sockConn) close() error {
	if err := c.p.Gate("close", c.obj); err != nil {
		return err
	}
	c.p.Emit(event.Event{Kind: event.KindClose, Obj: c.obj, Peer: c.peer, Call: "close"})
	if c.mu != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	c.closed = true
	return os.NewFile(uintptr(c.fd), "socket").Close()
}

package scenario

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The UDP scenario: clients send numbered datagrams to a server on
// 127.0.0.1. Nothing makes a UDP sender wait for a slow receiver: when the
// receive buffer is full, the kernel drops what comes. The server numbers
// what it gets, notices gaps and datagrams out of order as they happen, and
// at the end names every datagram that never came. The datagram serving
// here also serves Unix datagram sockets, which never drop: there the
// sender waits instead.

func init() {
	register(&Scenario{
		Name:      "socket-udp",
		Title:     "UDP socket on loopback: datagrams that may be lost",
		Mechanism: "socket-udp",
		Summary: "The server binds a UDP socket to 127.0.0.1 with port 0 and the kernel picks the port. The " +
			"clients send it numbered datagrams. There is no connection and no flow control: a datagram " +
			"either lands whole in the server's receive buffer or, if the buffer is full, is dropped by " +
			"the kernel. At the end each client tells the server, on a separate reliable line, how many it " +
			"sent, and the server lists every one that never arrived.",
		Watch: "Make the server's buffer small and the server slow: the buffer fills, the senders never " +
			"block, and datagrams are lost. Each lost one shows as a lost event; the kernel's own drop " +
			"count (SO_RXQ_OVFL) confirms it. A datagram that arrives after a later one from the same " +
			"client counts as reordered.",
		Params: []Param{
			clientsParam(),
			perClientMessagesParam(50),
			sizeParam(64, 65507),
			intParam("buffer", 0, 0, 4<<20, "bytes",
				"SO_RCVBUF of the server: how much may wait to be read. 0 keeps the kernel's default. The kernel "+
					"doubles the value and raises tiny ones to its minimum; each datagram also costs some "+
					"hundreds of bytes of bookkeeping."),
			readerDelayParam(),
		},
		Check: func(v Values, _ Limits) *FieldError {
			return checkSocket(v, "rmem_max")
		},
		Plan: socketPlan("udp"),
	})
	registerRole("udp-server", socketServer)
	registerRole("udp-client", socketClient)
}

// quietPeriod is how long the server waits, once every client has said it
// is done, for datagrams the kernel has neither queued nor counted as
// dropped, before it calls them lost.
const quietPeriod = 500 * time.Millisecond

// tally is what the server knows of the datagrams it received.
type tally struct {
	got       map[int64]bool
	next      []int // per client: one past the highest number received
	received  int
	reordered int
	drops     uint32 // the kernel's drop count, as last stamped on a datagram
}

// serveDatagrams starts every client, receives until each has said how
// many it sent and every datagram is here or known dropped, then reports
// the lost ones.
func (s *sockServer) serveDatagrams() error {
	for i := range s.a.Clients {
		if _, err := s.startClient(i); err != nil {
			return err
		}
	}
	if s.a.Proto == "unix" {
		if n := readInt("/proc/sys/net/unix/max_dgram_qlen"); n > 0 {
			s.p.Note("the kernel queues at most %d datagrams for a Unix socket (net.unix.max_dgram_qlen); past that, senders wait", n)
		}
	}
	t := &tally{got: map[int64]bool{}, next: make([]int, s.a.Clients)}
	err := s.receiveAll(t)
	lost := 0
	if err == nil {
		lost = s.reportLost(t)
		err = s.closeSocket()
	}
	reapErr := s.reap()
	s.p.Result(map[string]any{"messages_sent": s.sentTotal(), "messages_received": t.received,
		"lost": lost, "reordered": t.reordered, "kernel_drops": s.kernelDrops(t)})
	if err != nil {
		return err
	}
	return reapErr
}

// receiveAll receives datagrams until the end.
func (s *sockServer) receiveAll(t *tally) error {
	buf := make([]byte, s.a.Size)
	delay := time.Duration(s.a.ReaderDelayMS) * time.Millisecond
	for {
		if delay > 0 {
			s.p.Sleep(delay, "a slow reader (reader_delay_ms)")
		}
		took, err := s.tryDatagram(t, buf)
		if err != nil {
			return err
		}
		if took {
			continue
		}
		done, err := s.waitDatagram(t)
		if err != nil || done {
			return err
		}
	}
}

// tryDatagram takes a datagram if one is queued, without waiting.
func (s *sockServer) tryDatagram(t *tally, buf []byte) (bool, error) {
	if err := s.p.Gate("recvmsg", s.obj); err != nil {
		return false, err
	}
	n, drops, err := ipc.RecvDrops(s.fd, buf, unix.MSG_DONTWAIT)
	if ipc.WouldBlock(err) {
		return false, nil
	}
	if err != nil {
		return false, s.p.Fail("recvmsg", s.obj, err)
	}
	return true, s.take(t, buf[:n], drops)
}

// waitDatagram is called with nothing queued. It waits for a datagram or a
// client's report, and says when there is nothing more to wait for.
func (s *sockServer) waitDatagram(t *tally) (bool, error) {
	fds := []int{s.fd}
	var waiting []*sockClient
	for _, c := range s.clients {
		if !c.reported {
			fds = append(fds, c.line.fd)
			waiting = append(waiting, c)
		}
	}
	timeout := time.Duration(-1)
	if len(waiting) == 0 {
		missing := s.sentTotal() - int64(t.received) - int64(s.kernelDrops(t))
		if missing <= 0 {
			return true, nil
		}
		s.p.Note("every client is done, and %d datagrams are neither here nor counted as dropped by the kernel: waiting %v for stragglers",
			missing, quietPeriod)
		timeout = quietPeriod
	}
	var ready []bool
	wait := func() (err error) {
		ready, err = ipc.PollIn(fds, timeout)
		return err
	}
	// The try without waiting was the recvmsg that found nothing, so this
	// poll does block: one socket, or several lines, and no way to sleep
	// on them all in recvmsg.
	tried := func() (bool, error) { return true, nil }
	if err := s.p.Blocking("poll", s.obj, tried, wait); err != nil {
		return false, s.p.Fail("poll", s.obj, err)
	}
	for i, c := range waiting {
		if ready[i+1] {
			if err := s.readReport(c); err != nil {
				return false, err
			}
		}
	}
	return len(waiting) == 0 && !ready[0], nil
}

// take records one datagram and reports it, with what it reveals about
// order and loss.
func (s *sockServer) take(t *tally, b []byte, drops uint32) error {
	id, err := payloadID(b)
	index, k, ok := s.a.sender(id)
	if err != nil || !ok {
		return s.p.Fail("recvmsg", s.obj, fmt.Errorf("a %d-byte datagram without a valid message number", len(b)))
	}
	c := s.clients[index]
	e := event.Event{Kind: event.KindRecv, Obj: s.obj, Peer: c.name, Bytes: len(b), Msg: id}
	if s.a.Proto == "udp" {
		if q, ok := s.udpState(); ok {
			e.Fill, e.Cap = event.Int64(int64(q.RxQueue)), s.cap
			drops = max(drops, uint32(q.Drops))
		}
		e.Attrs = map[string]any{event.AttrDrops: drops}
	}
	s.p.Emit(e)
	if drops > t.drops {
		s.p.Note("the kernel has dropped %d datagrams so far: the receive buffer was full when they came (SO_RXQ_OVFL)", drops)
		t.drops = drops
	}
	switch {
	case t.got[id]:
		s.p.Note("message %d from %s came a second time", id, c.name)
		return nil
	case k < t.next[index]:
		t.reordered++
		s.p.Note("message %d from %s arrived after a later one: out of order", id, c.name)
	case k > t.next[index]:
		s.p.Note("message %d from %s arrived, but %d earlier ones from it have not: lost, or still on their way",
			id, c.name, k-t.next[index])
	}
	t.got[id] = true
	t.received++
	t.next[index] = max(t.next[index], k+1)
	return nil
}

// reportLost emits a lost event for each datagram a client sent that never
// arrived, and returns how many there were.
func (s *sockServer) reportLost(t *tally) int {
	lost := 0
	for _, c := range s.clients {
		for k := range int(c.sent) {
			id := s.a.msgID(c.index, k)
			if !t.got[id] {
				lost++
				s.p.Emit(event.Event{Kind: event.KindLost, Obj: s.obj, Msg: id, Peer: c.name})
			}
		}
	}
	if lost > 0 {
		s.p.Note("%d datagrams were sent and never arrived; the kernel counted %d dropped for a full receive buffer",
			lost, s.kernelDrops(t))
	}
	return lost
}

// udpState is the kernel's line for the server's UDP socket in
// /proc/net/udp: bytes queued (bookkeeping included) and drops so far.
func (s *sockServer) udpState() (ipc.InetSocket, bool) {
	socks, err := ipc.InetSockets("udp", s.port)
	if err != nil {
		return ipc.InetSocket{}, false
	}
	for _, q := range socks {
		if q.LocalPort == s.port {
			return q, true
		}
	}
	return ipc.InetSocket{}, false
}

// kernelDrops is the kernel's count of datagrams the server's socket
// dropped. A drop after the last datagram queued shows in /proc/net/udp
// but on no datagram.
func (s *sockServer) kernelDrops(t *tally) int {
	d := int(t.drops)
	if s.a.Proto == "udp" {
		if q, ok := s.udpState(); ok {
			d = max(d, q.Drops)
		}
	}
	return d
}

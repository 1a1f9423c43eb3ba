package ipc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Set-up of the descriptor and message-queue mechanisms for BenchmarkIPC,
// done as the C program does it: the parent creates everything and the
// child inherits its end.

// fdEnd moves bytes with read and write: pipes and FIFOs. r and w are the
// descriptors of rf and wf, which own them. Its try-first form is
// pipeEnds.
type fdEnd struct {
	rf, wf *os.File
	r, w   int
	// closeLater has the try-first form's PipeEnds closed when the
	// benchmark ends: b.Cleanup in the parent; nil in the child, whose
	// exit closes them.
	closeLater func(func())
}

func newFdEnd(rf, wf *os.File, closeLater func(func())) fdEnd {
	return fdEnd{rf: rf, wf: wf, r: int(rf.Fd()), w: int(wf.Fd()), closeLater: closeLater}
}

func (e fdEnd) send(b []byte) error { return WriteFull(e.w, b) }

func (e fdEnd) recv(b []byte) error {
	_, err := ReadFull(e.r, b)
	return err
}

// tryFirst makes a PipeEnd of each descriptor, as the pipe and FIFO
// scenarios do.
func (e fdEnd) tryFirst() (benchEnd, error) {
	r, err := NewPipeEnd(e.rf)
	if err != nil {
		return nil, err
	}
	w, err := NewPipeEnd(e.wf)
	if err != nil {
		r.Close()
		return nil, err
	}
	if e.closeLater != nil {
		e.closeLater(func() { r.Close(); w.Close() })
	}
	return &pipeEnds{r: r, w: w}, nil
}

// pipeEnds is the pipe and FIFO scenarios' way of moving a message: one
// TryWrite or TryRead on the private non-blocking description, and when
// that would block or moved only part of the message, WriteFull or
// ReadFull on the blocking descriptor for the rest.
type pipeEnds struct{ r, w *PipeEnd }

func (e *pipeEnds) tryFirst() (benchEnd, error) { return e, nil }

// The checks run in the order of their likelihood: on a stream the try
// nearly always moves the whole message.
func (e *pipeEnds) send(b []byte) error {
	n, err := e.w.TryWrite(b)
	switch {
	case err == nil && n == len(b):
		return nil
	case err != nil && !WouldBlock(err):
		return err
	}
	return WriteFull(e.w.Fd(), b[n:])
}

func (e *pipeEnds) recv(b []byte) error {
	n, err := e.r.TryRead(b)
	switch {
	case err == nil && n == len(b):
		return nil
	case err == nil && n == 0:
		return ErrEOF
	case err != nil && !WouldBlock(err):
		return err
	}
	_, err = ReadFull(e.r.Fd(), b[n:])
	return err
}

// openFdEnd opens the child's end: it reads on descriptor 4, writes on 5.
func openFdEnd(int, []string) (benchEnd, error) {
	return newFdEnd(os.NewFile(4, "r"), os.NewFile(5, "w"), nil), nil
}

// benchFile wraps a descriptor, closing it when the benchmark ends if
// nothing has closed it before.
func benchFile(b *testing.B, fd int, name string) *os.File {
	f := os.NewFile(uintptr(fd), name)
	b.Cleanup(func() { f.Close() })
	return f
}

// benchFd registers the closing of a descriptor the parent keeps.
func benchFd(b *testing.B, fd int) int {
	b.Cleanup(func() { unix.Close(fd) })
	return fd
}

// fdOrFatal ends the benchmark if a call that makes a descriptor failed:
// fdOrFatal(b)(OpenFifo(...)).
func fdOrFatal(b *testing.B) func(int, error) int {
	return func(fd int, err error) int {
		if err != nil {
			b.Fatal(err)
		}
		return fd
	}
}

func setupPipe(b *testing.B, _ int) benchPair {
	toChildR, toChildW, err := Pipe2(0)
	if err != nil {
		b.Fatal(err)
	}
	toParentR, toParentW, err := Pipe2(0)
	if err != nil {
		b.Fatal(err)
	}
	return benchPair{
		end:   newFdEnd(benchFile(b, toParentR, "pipe-r"), benchFile(b, toChildW, "pipe-w"), b.Cleanup),
		files: []*os.File{benchFile(b, toChildR, "pipe-r"), benchFile(b, toParentW, "pipe-w")},
	}
}

func setupFifo(b *testing.B, _ int) benchPair {
	dir := b.TempDir()
	toChildR, toChildW := openFifoPair(b, filepath.Join(dir, "to-child"))
	toParentR, toParentW := openFifoPair(b, filepath.Join(dir, "to-parent"))
	return benchPair{
		end:   newFdEnd(benchFile(b, toParentR, "fifo-r"), benchFile(b, toChildW, "fifo-w"), b.Cleanup),
		files: []*os.File{benchFile(b, toChildR, "fifo-r"), benchFile(b, toParentW, "fifo-w")},
	}
}

// openFifoPair makes a FIFO and opens both its ends in this process, the
// reader first without waiting (so the writer's open finds it), then made
// blocking again.
func openFifoPair(b *testing.B, path string) (r, w int) {
	if err := Mkfifo(path); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = RemoveFifo(path) })
	r = fdOrFatal(b)(OpenFifo(path, unix.O_RDONLY|unix.O_NONBLOCK))
	w = fdOrFatal(b)(OpenFifo(path, unix.O_WRONLY))
	if err := SetNonblock(r, false); err != nil {
		b.Fatal(err)
	}
	return r, w
}

// sockEnd moves bytes on a connected stream socket with send and recv;
// with try set, each call is first made with MSG_DONTWAIT.
type sockEnd struct {
	fd  int
	try bool
}

func (e sockEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e sockEnd) send(b []byte) error {
	for len(b) > 0 {
		n, err := e.sendOnce(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (e sockEnd) recv(b []byte) error {
	for len(b) > 0 {
		n, err := e.recvOnce(b)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrEOF
		}
		b = b[n:]
	}
	return nil
}

// sendOnce is one send: TrySend first if e.try, Send if that would block.
func (e sockEnd) sendOnce(b []byte) (int, error) {
	if e.try {
		if n, err := TrySend(e.fd, b); !WouldBlock(err) {
			return n, err
		}
	}
	return Send(e.fd, b, 0)
}

// recvOnce is one receive, tried first as sendOnce is.
func (e sockEnd) recvOnce(b []byte) (int, error) {
	if e.try {
		if n, err := TryRecv(e.fd, b); !WouldBlock(err) {
			return n, err
		}
	}
	return Recv(e.fd, b, 0)
}

func openSockEnd(int, []string) (benchEnd, error) { return sockEnd{fd: 4}, nil }

func setupUnix(b *testing.B, _ int) benchPair {
	p, c, err := Socketpair(unix.SOCK_STREAM)
	if err != nil {
		b.Fatal(err)
	}
	return benchPair{end: sockEnd{fd: benchFd(b, p)}, files: []*os.File{benchFile(b, c, "unix")}}
}

// setupTCP connects two loopback sockets through a listener it then
// closes, with Nagle's algorithm off on both, as the C program does.
func setupTCP(b *testing.B, _ int) benchPair {
	l, port, err := ListenLoopback(unix.SOCK_STREAM)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(l)
	p := benchFd(b, fdOrFatal(b)(DialLoopback(unix.SOCK_STREAM, port)))
	c := fdOrFatal(b)(Accept(l))
	cf := benchFile(b, c, "tcp")
	if err := SetNoDelay(p, true); err != nil {
		b.Fatal(err)
	}
	if err := SetNoDelay(c, true); err != nil {
		b.Fatal(err)
	}
	return benchPair{end: sockEnd{fd: p}, files: []*os.File{cf}}
}

// dgramEnd sends and receives one whole datagram per message, through a
// sockEnd's single calls.
type dgramEnd struct{ sockEnd }

func (e dgramEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e dgramEnd) send(b []byte) error {
	n, err := e.sendOnce(b)
	if err == nil && n != len(b) {
		err = errShort
	}
	return err
}

func (e dgramEnd) recv(b []byte) error {
	n, err := e.recvOnce(b)
	if err == nil && n != len(b) {
		err = errShort
	}
	return err
}

func openDgramEnd(int, []string) (benchEnd, error) { return dgramEnd{sockEnd{fd: 4}}, nil }

// setupUDP binds two loopback UDP sockets and connects each to the other.
func setupUDP(b *testing.B, _ int) benchPair {
	p, pport, err := ListenLoopback(unix.SOCK_DGRAM)
	if err != nil {
		b.Fatal(err)
	}
	benchFd(b, p)
	c, cport, err := ListenLoopback(unix.SOCK_DGRAM)
	if err != nil {
		b.Fatal(err)
	}
	cf := benchFile(b, c, "udp")
	connectLoopback(b, p, cport)
	connectLoopback(b, c, pport)
	return benchPair{end: dgramEnd{sockEnd{fd: p}}, files: []*os.File{cf}}
}

func connectLoopback(b *testing.B, fd, port int) {
	sa, err := LoopbackSockaddr("127.0.0.1", port)
	if err == nil {
		err = Connect(fd, sa)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// pmqEnd sends on one POSIX queue and receives on another, waiting
// without a deadline; with try set, MqTrySend and MqTryReceive first.
type pmqEnd struct {
	r, w int
	try  bool
}

func (e pmqEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e pmqEnd) send(b []byte) error {
	if e.try {
		if err := MqTrySend(e.w, b, 0); !WouldBlock(err) {
			return err
		}
	}
	return MqTimedSend(e.w, b, 0, time.Time{})
}

func (e pmqEnd) recv(b []byte) error {
	var n int
	err := error(unix.EAGAIN) // without try, straight to the blocking call
	if e.try {
		n, _, err = MqTryReceive(e.r, b)
	}
	if WouldBlock(err) {
		n, _, err = MqTimedReceive(e.r, b, time.Time{})
	}
	if err == nil && n != len(b) {
		err = errShort
	}
	return err
}

func openPmqEnd(int, []string) (benchEnd, error) { return pmqEnd{r: 4, w: 5}, nil }

// setupPmq creates two queues of ten messages of size bytes each, the C
// program's shape.
func setupPmq(b *testing.B, size int) benchPair {
	base := fmt.Sprintf("/ipcbench-%d-%d", os.Getpid(), size)
	toChild := createBenchQueue(b, base+"-c", size)
	toParent := createBenchQueue(b, base+"-p", size)
	return benchPair{
		end: pmqEnd{r: benchFd(b, toParent), w: benchFd(b, toChild)},
		files: []*os.File{
			benchFile(b, fdOrFatal(b)(unix.Dup(toChild)), "mq-r"),
			benchFile(b, fdOrFatal(b)(unix.Dup(toParent)), "mq-w"),
		},
	}
}

// createBenchQueue creates a queue and unlinks its name at once: the
// descriptors keep it alive, and nothing is left behind if the run dies.
// Both processes hold descriptors of both queues, as in the C program.
func createBenchQueue(b *testing.B, name string, size int) int {
	fd, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: 10, Msgsize: size})
	if err != nil {
		b.Fatal(err)
	}
	if err := MqUnlink(name); err != nil {
		b.Fatal(err)
	}
	return fd
}

// smqEnd shares one System V queue with its peer, each side receiving the
// messages of its own type; with try set, each call is first made with
// IPC_NOWAIT.
type smqEnd struct {
	id, mine, peer int
	try            bool
}

func (e smqEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e smqEnd) send(b []byte) error {
	if e.try {
		if err := Msgsnd(e.id, e.peer, b, unix.IPC_NOWAIT); !WouldBlock(err) {
			return err
		}
	}
	return Msgsnd(e.id, e.peer, b, 0)
}

func (e smqEnd) recv(b []byte) error {
	var n int
	err := error(unix.ENOMSG) // without try, straight to the blocking call
	if e.try {
		n, _, err = Msgrcv(e.id, b, e.mine, unix.IPC_NOWAIT)
	}
	if WouldBlock(err) {
		n, _, err = Msgrcv(e.id, b, e.mine, 0)
	}
	if err == nil && n != len(b) {
		err = errShort
	}
	return err
}

func openSmqEnd(_ int, args []string) (benchEnd, error) {
	id, err := strconv.Atoi(args[0])
	return smqEnd{id: id, mine: 1, peer: 2}, err
}

func setupSmq(b *testing.B, _ int) benchPair {
	id, err := Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = MsgRemove(id) })
	return benchPair{end: smqEnd{id: id, mine: 2, peer: 1}, args: []string{strconv.Itoa(id)}}
}

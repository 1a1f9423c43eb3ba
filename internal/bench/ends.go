package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// end is one process's end of a two-way channel: send and recv move
// exactly len(b) bytes, or fail. Every call is the mechanism's blocking
// call, as the C yardstick makes it.
type end interface {
	send(b []byte) error
	recv(b []byte) error
}

// made is what the driver's set-up of a mechanism gives: its own end, the
// descriptors and arguments the echo opens its end from, and what to do
// once the echo has opened it and at the very end.
type made struct {
	end   end
	files []*os.File // to the echo as descriptors 5, 6, ...
	args  []string
	// objects are the System V objects made ("msg 12"), reported to the
	// caller at once so that it removes them if this process dies.
	objects []string
	// opened runs once the echo (pid) has its end open.
	opened func(pid int) error
	// done releases what the driver holds; the objects were removed or
	// unlinked before, where the kernel allows.
	done func()
}

// setup creates the objects of the cell's mechanism for its size: POSIX
// names start with its prefix, files go in its directory, System V objects
// take its keys.
func setup(s spec) (made, error) {
	size, prefix, dir := s.Size, s.Prefix, s.Dir
	switch s.Mech {
	case "pipe":
		return setupPipe()
	case "fifo":
		return setupFifo(dir)
	case "pmq":
		return setupPmq(prefix, size)
	case "smq":
		return setupSmq(s.MsgKey)
	case "shmfutex":
		return setupShmFutex(prefix, size)
	case "shmsem":
		return setupShmSem(size, s.SemKey)
	case "unix":
		return setupPair(unix.SOCK_STREAM)
	case "unixdgram":
		return setupPair(unix.SOCK_DGRAM)
	case "tcp":
		return setupTCP()
	case "udp":
		return setupUDP()
	case "signal":
		return setupSignal()
	}
	return made{}, fmt.Errorf("no mechanism %q", s.Mech)
}

// orPrivate is key, or IPC_PRIVATE when key is 0.
func orPrivate(key int) int {
	if key == 0 {
		return unix.IPC_PRIVATE
	}
	return key
}

// open makes the echo's end of mechanism name from descriptors 5, 6, ...
// and args.
func open(name string, size int, args []string) (end, error) {
	const first = 5
	switch name {
	case "pipe", "fifo":
		return fdEnd{r: first, w: first + 1}, nil
	case "pmq":
		return pmqEnd{r: first, w: first + 1}, nil
	case "smq":
		id, err := strconv.Atoi(args[0])
		return smqEnd{id: id, mine: 1, peer: 2}, err
	case "shmfutex":
		return openShmFutex(first, size)
	case "shmsem":
		return openShmSem(args, size)
	case "unix", "tcp":
		return sockEnd{fd: first}, nil
	case "unixdgram", "udp":
		return dgramEnd{fd: first}, nil
	case "signal":
		return openSignal()
	}
	return nil, fmt.Errorf("no mechanism %q", name)
}

// files wraps descriptors for passing to the echo.
func files(fds ...int) []*os.File {
	out := make([]*os.File, len(fds))
	for i, fd := range fds {
		out[i] = os.NewFile(uintptr(fd), "ipc")
	}
	return out
}

func closeFds(fds ...int) func() {
	return func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}
}

// fdEnd reads and writes descriptors: pipes and FIFOs.
type fdEnd struct{ r, w int }

func (e fdEnd) send(b []byte) error { return ipc.WriteFull(e.w, b) }

func (e fdEnd) recv(b []byte) error {
	_, err := ipc.ReadFull(e.r, b)
	return err
}

// pipes makes a pipe each way; toEcho and fromEcho name the echo's ends.
func setupPipe() (made, error) {
	var fds [4]int
	var err error
	if fds[0], fds[1], err = ipc.Pipe2(0); err != nil {
		return made{}, err
	}
	if fds[2], fds[3], err = ipc.Pipe2(0); err != nil {
		closeFds(fds[0], fds[1])()
		return made{}, err
	}
	// fds[0] → echo reads, fds[1] driver writes; fds[2] driver reads, fds[3] echo writes.
	return made{end: fdEnd{r: fds[2], w: fds[1]}, files: files(fds[0], fds[3]),
		done: closeFds(fds[1], fds[2])}, nil
}

// setupFifo makes two FIFOs, opens both ends of each here and removes the
// names at once: the open descriptors are all either process needs.
func setupFifo(dir string) (made, error) {
	var fds []int
	fail := func(err error) (made, error) { closeFds(fds...)(); return made{}, err }
	for _, n := range []string{"to-echo", "to-driver"} {
		path := filepath.Join(dir, n)
		if err := ipc.Mkfifo(path); err != nil {
			return fail(err)
		}
		r, err := ipc.OpenFifo(path, unix.O_RDONLY|unix.O_NONBLOCK)
		if err != nil {
			_ = ipc.RemoveFifo(path)
			return fail(err)
		}
		fds = append(fds, r)
		w, err := ipc.OpenFifo(path, unix.O_WRONLY)
		_ = ipc.RemoveFifo(path)
		if err != nil {
			return fail(err)
		}
		fds = append(fds, w)
		if err := ipc.SetNonblock(r, false); err != nil {
			return fail(err)
		}
	}
	return made{end: fdEnd{r: fds[2], w: fds[1]}, files: files(fds[0], fds[3]),
		done: closeFds(fds[1], fds[2])}, nil
}

// pmqEnd sends on one POSIX queue and receives from another.
type pmqEnd struct{ r, w int }

func (e pmqEnd) send(b []byte) error { return ipc.MqTimedSend(e.w, b, 0, noDeadline) }

func (e pmqEnd) recv(b []byte) error {
	n, _, err := ipc.MqTimedReceive(e.r, b, noDeadline)
	return whole(n, len(b), err)
}

// setupPmq creates a queue each way, of ten messages as in the C program,
// and unlinks the names at once: the descriptors keep the queues alive.
func setupPmq(prefix string, size int) (made, error) {
	var fds []int
	for _, suffix := range []string{".e", ".d"} {
		fd, err := ipc.MqOpen(prefix+suffix, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600,
			&ipc.MqAttr{Maxmsg: 10, Msgsize: size})
		if err != nil {
			closeFds(fds...)()
			return made{}, err
		}
		_ = ipc.MqUnlink(prefix + suffix)
		fds = append(fds, fd)
	}
	// The echo gets copies: the driver closes its copies of what it
	// passed once the echo has started.
	var dups []int
	for _, fd := range fds {
		d, err := unix.Dup(fd)
		if err != nil {
			closeFds(append(fds, dups...)...)()
			return made{}, os.NewSyscallError("dup", err)
		}
		dups = append(dups, d)
	}
	return made{end: pmqEnd{r: fds[1], w: fds[0]}, files: files(dups...), done: closeFds(fds...)}, nil
}

// smqEnd shares one System V queue with its peer, each side taking the
// messages of its own type.
type smqEnd struct{ id, mine, peer int }

func (e smqEnd) send(b []byte) error { return ipc.Msgsnd(e.id, e.peer, b, 0) }

func (e smqEnd) recv(b []byte) error {
	n, _, err := ipc.Msgrcv(e.id, b, e.mine, 0)
	return whole(n, len(b), err)
}

func setupSmq(key int) (made, error) {
	id, err := ipc.Msgget(orPrivate(key), unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return made{}, err
	}
	return made{end: smqEnd{id: id, mine: 2, peer: 1}, args: []string{strconv.Itoa(id)},
		objects: []string{fmt.Sprintf("msg %d", id)},
		done:    func() { _ = ipc.MsgRemove(id) }}, nil
}

// sockEnd moves bytes on a connected stream socket.
type sockEnd struct{ fd int }

func (e sockEnd) send(b []byte) error {
	for len(b) > 0 {
		n, err := ipc.Send(e.fd, b, 0)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (e sockEnd) recv(b []byte) error {
	for len(b) > 0 {
		n, err := ipc.Recv(e.fd, b, 0)
		if err != nil {
			return err
		}
		if n == 0 {
			return ipc.ErrEOF
		}
		b = b[n:]
	}
	return nil
}

// dgramEnd moves one whole datagram per message.
type dgramEnd struct{ fd int }

func (e dgramEnd) send(b []byte) error {
	n, err := ipc.Send(e.fd, b, 0)
	return whole(n, len(b), err)
}

func (e dgramEnd) recv(b []byte) error {
	n, err := ipc.Recv(e.fd, b, 0)
	return whole(n, len(b), err)
}

// setupPair makes a connected pair of Unix sockets of type typ.
func setupPair(typ int) (made, error) {
	a, b, err := ipc.Socketpair(typ)
	if err != nil {
		return made{}, err
	}
	var e end = sockEnd{fd: a}
	if typ == unix.SOCK_DGRAM {
		e = dgramEnd{fd: a}
	}
	return made{end: e, files: files(b), done: closeFds(a)}, nil
}

// setupTCP connects two loopback sockets through a listener it then
// closes, with Nagle's algorithm off on both, as the C program does.
func setupTCP() (made, error) {
	l, port, err := ipc.ListenLoopback(unix.SOCK_STREAM)
	if err != nil {
		return made{}, err
	}
	defer unix.Close(l)
	a, err := ipc.DialLoopback(unix.SOCK_STREAM, port)
	if err != nil {
		return made{}, err
	}
	b, err := ipc.Accept(l)
	if err == nil {
		err = ipc.SetNoDelay(a, true)
	}
	if err == nil {
		err = ipc.SetNoDelay(b, true)
	}
	if err != nil {
		closeFds(a, b)()
		return made{}, err
	}
	return made{end: sockEnd{fd: a}, files: files(b), done: closeFds(a)}, nil
}

// setupUDP binds two loopback UDP sockets and connects each to the other.
func setupUDP() (made, error) {
	a, aport, err := ipc.ListenLoopback(unix.SOCK_DGRAM)
	if err != nil {
		return made{}, err
	}
	b, bport, err := ipc.ListenLoopback(unix.SOCK_DGRAM)
	if err != nil {
		unix.Close(a)
		return made{}, err
	}
	err = connectTo(a, bport)
	if err == nil {
		err = connectTo(b, aport)
	}
	if err != nil {
		closeFds(a, b)()
		return made{}, err
	}
	return made{end: dgramEnd{fd: a}, files: files(b), done: closeFds(a)}, nil
}

func connectTo(fd, port int) error {
	sa, err := ipc.LoopbackSockaddr("127.0.0.1", port)
	if err != nil {
		return err
	}
	return ipc.Connect(fd, sa)
}

// whole checks that a call moved the whole message.
func whole(n, want int, err error) error {
	if err == nil && n != want {
		err = fmt.Errorf("a message of %d bytes where %d were sent", n, want)
	}
	return err
}

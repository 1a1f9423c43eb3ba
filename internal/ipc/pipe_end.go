package ipc

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// A PipeEnd is one process's hold on one end of a pipe or FIFO, made for
// the playground's way of calling: first a try that never waits, and only
// when the kernel answers that it would have to, the blocking call.
//
// O_NONBLOCK would make the try a plain read or write, but the flag belongs
// to the open file description, which every process holding a copy of the
// descriptor shares (a parent and the child it handed the end to, for one),
// and any of them may change it. So a PipeEnd holds two open file
// descriptions of the same end: the descriptor it was made from, which
// stays blocking and on which the package's Read, Write, ReadFull and
// WriteFull wait as usual; and a second one that this process opens for
// itself, with O_NONBLOCK and O_CLOEXEC, and never passes on. No other
// process can reach the second description, so its O_NONBLOCK holds, and
// TryRead and TryWrite are one plain read or write on it.
//
// The second description counts as one more reader or writer of the pipe:
// the other side sees end of file (or EPIPE) only once both are closed,
// which Close does. A PipeEnd is not safe for use by several goroutines at
// once.
type PipeEnd struct {
	f   *os.File // the end it was made from, blocking
	fd  int      // f's descriptor
	own int      // the private O_NONBLOCK description; -1 once closed
}

// ErrNotPipe is NewPipeEnd's answer for a descriptor that is neither a pipe
// nor a FIFO: only there does O_NONBLOCK promise a call that never sleeps.
var ErrNotPipe = errors.New("not a pipe or FIFO")

// NewPipeEnd opens a private, non-blocking description of the pipe or FIFO
// end f and returns the two as one PipeEnd, which owns f from then on. f
// should be blocking, since the waits are made on it. On failure f stays
// the caller's.
//
// The second description is opened through /proc/self/fd with f's access
// mode. That needs /proc, and the permission to open the pipe's inode
// (EACCES otherwise): an anonymous pipe belongs to the user who made it,
// with mode 0600, and a FIFO has its own owner and mode. For a FIFO opened
// for writing it fails with ENXIO if no reader is left. It fails with
// ErrNotPipe if f is no pipe or FIFO.
func NewPipeEnd(f *os.File) (*PipeEnd, error) {
	fd := int(f.Fd())
	if err := checkFifo(fd); err != nil {
		return nil, err
	}
	accmode, err := accessMode(fd)
	if err != nil {
		return nil, err
	}
	own, err := reopenNonblock(fd, accmode)
	if err != nil {
		return nil, err
	}
	return &PipeEnd{f: f, fd: fd, own: own}, nil
}

// accessMode reports whether fd was opened O_RDONLY, O_WRONLY or O_RDWR.
//
//	int fcntl(int fd, F_GETFL);
func accessMode(fd int) (int, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0, syscallErr("fcntl F_GETFL", err)
	}
	return flags & unix.O_ACCMODE, nil
}

// checkFifo fails with ErrNotPipe unless fd is a pipe or a FIFO; fstat
// reports both as S_IFIFO.
//
//	int fstat(int fd, struct stat *statbuf);
func checkFifo(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return syscallErr("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return ErrNotPipe
	}
	return nil
}

// reopenNonblock opens a new open file description of the pipe or FIFO
// behind fd, with access mode accmode, O_NONBLOCK and O_CLOEXEC, and
// returns its descriptor, owned by the caller. Opening /proc/self/fd/N
// opens the object N refers to anew, instead of sharing N's description
// as dup would. (For an anonymous pipe the mode matters: both ends share
// one inode, so it alone says which end the new description is.)
//
//	int open(const char *pathname, int flags);
func reopenNonblock(fd, accmode int) (int, error) {
	path := "/proc/self/fd/" + strconv.Itoa(fd)
	own, err := ignoringEINTRN(func() (int, error) {
		return unix.Open(path, accmode|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, syscallErr("open", err)
	}
	return own, nil
}

// Fd returns the descriptor the PipeEnd was made from: the blocking one,
// for Read, Write, ReadFull and WriteFull, and for Pending or PipeSize.
// The PipeEnd owns it: close the PipeEnd, never the descriptor alone.
func (e *PipeEnd) Fd() int { return e.fd }

// TryRead reads once into b without waiting. An empty pipe or FIFO with a
// writer still open gives EAGAIN; with no writer it gives 0 bytes and a
// nil error: end of file, or for a FIFO possibly no writer yet.
//
//	ssize_t read(int fd, void *buf, size_t count);
//
// It is a raw system call, on the private description (see readNow for why
// that is safe).
func (e *PipeEnd) TryRead(b []byte) (int, error) {
	for {
		n, errno := readNow(e.own, b)
		switch errno {
		case 0:
			return n, nil
		case unix.EINTR:
			continue
		}
		return 0, syscallErr("read", errno)
	}
}

// TryWrite writes b once without waiting and returns how many bytes the
// kernel took. With no room it fails with EAGAIN and writes nothing; a
// write of at most PIPE_BUF (4096) bytes is all or nothing, so it also
// fails when there is less room than len(b). Beyond PIPE_BUF it may write
// part of b. With no reader left it fails with EPIPE (see Write).
//
//	ssize_t write(int fd, const void *buf, size_t count);
//
// It is a raw system call, as TryRead is.
func (e *PipeEnd) TryWrite(b []byte) (int, error) {
	for {
		n, errno := writeNow(e.own, b)
		switch errno {
		case 0:
			return n, nil
		case unix.EINTR:
			continue
		}
		return 0, syscallErr("write", errno)
	}
}

// Pending reports how many bytes wait unread in the pipe or FIFO, as
// Pending does for any descriptor, with a raw system call on the private
// description (see pendingNow): a busy end may ask it many times a
// millisecond, and a raw call keeps that cheap.
//
//	int ioctl(int fd, FIONREAD, int *count);
func (e *PipeEnd) Pending() (int, error) {
	for {
		n, errno := pendingNow(e.own)
		switch errno {
		case 0:
			return n, nil
		case unix.EINTR:
			continue
		}
		return 0, syscallErr("ioctl FIONREAD", errno)
	}
}

// Close closes both descriptions, the private one first. Calling it again
// only returns an error.
//
//	int close(int fd);
func (e *PipeEnd) Close() error {
	var err error
	if e.own >= 0 {
		err = syscallErr("close", unix.Close(e.own))
		e.own = -1
	}
	if ferr := e.f.Close(); err == nil {
		err = ferr
	}
	return err
}

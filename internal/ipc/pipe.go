package ipc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Pipe2 creates an anonymous pipe.
//
//	int pipe2(int pipefd[2], int flags);
//
// It returns the read end and the write end; the caller owns both and closes
// them with unix.Close (or wraps them in an *os.File). O_CLOEXEC is always
// added so a descriptor reaches a child only when passed on purpose.
func Pipe2(flags int) (r, w int, err error) {
	var p [2]int
	err = unix.Pipe2(p[:], flags|unix.O_CLOEXEC)
	if err != nil {
		return -1, -1, syscallErr("pipe2", err)
	}
	return p[0], p[1], nil
}

// PipeSize reports a pipe's capacity in bytes.
//
//	int fcntl(int fd, F_GETPIPE_SZ);
func PipeSize(fd int) (int, error) {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	return n, syscallErr("fcntl F_GETPIPE_SZ", err)
}

// SetPipeSize asks the kernel for a pipe capacity of at least n bytes and
// returns the capacity it set (rounded up to a power-of-two number of pages).
// An ordinary user may not go past /proc/sys/fs/pipe-max-size (EPERM).
//
//	int fcntl(int fd, F_SETPIPE_SZ, int size);
func SetPipeSize(fd, n int) (int, error) {
	got, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, n)
	return got, syscallErr("fcntl F_SETPIPE_SZ", err)
}

// Pending reports how many bytes wait unread in a pipe, FIFO or socket. On a
// pipe it works from either end.
//
//	int ioctl(int fd, FIONREAD, int *count);
func Pending(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD and SIOCINQ share this number
	return n, syscallErr("ioctl FIONREAD", err)
}

// Write writes b to fd once, retrying on EINTR, and returns how many bytes
// the kernel took (a pipe write of at most PIPE_BUF bytes is all or nothing).
//
// When every read end of a pipe or FIFO is closed, the kernel sends SIGPIPE
// to the writing thread and the write fails with EPIPE, also for a writer
// already asleep on a full pipe. A C program dies of that signal unless it
// ignores it. A Go program does not: the runtime catches SIGPIPE and drops
// it, so Write returns EPIPE on any descriptor. (Only os.File writes to
// descriptors 1 and 2 turn EPIPE back into death by SIGPIPE, and only when
// the program has not called signal.Notify for it.)
//
//	ssize_t write(int fd, const void *buf, size_t count);
func Write(fd int, b []byte) (int, error) {
	n, err := ignoringEINTRN(func() (int, error) { return unix.Write(fd, b) })
	if err != nil {
		return 0, syscallErr("write", err)
	}
	return n, nil
}

// Read reads once from fd into b, retrying on EINTR. Zero bytes and a nil
// error mean end of file: every writer has closed its end.
//
//	ssize_t read(int fd, void *buf, size_t count);
func Read(fd int, b []byte) (int, error) {
	n, err := ignoringEINTRN(func() (int, error) { return unix.Read(fd, b) })
	if err != nil {
		return 0, syscallErr("read", err)
	}
	return n, nil
}

// WriteFull writes all of b, in as many write calls as the kernel needs.
func WriteFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// ReadFull reads exactly len(b) bytes, in as many read calls as it takes. If
// every writer closes first it returns the count read so far and ErrEOF.
func ReadFull(fd int, b []byte) (int, error) {
	got := 0
	for got < len(b) {
		n, err := Read(fd, b[got:])
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, ErrEOF
		}
		got += n
	}
	return got, nil
}

// TryWrite writes b to fd once without waiting and returns how many bytes the
// kernel took. When the pipe has no room it fails with EAGAIN and writes
// nothing; a write of at most PIPE_BUF (4096) bytes is all or nothing, so it
// also fails when the pipe has less room than len(b). Beyond PIPE_BUF it may
// write part of b.
//
//	ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt,
//	                 off_t offset, int flags);
//
// RWF_NOWAIT makes this one call non-blocking. O_NONBLOCK would do the same,
// but it belongs to the open file description, which the other processes
// holding the same end share, so setting it could turn their blocking writes
// into failures. Offset -1 means "the current position", the only one a pipe
// has. Kernels older than pipe support for RWF_NOWAIT answer EOPNOTSUPP;
// TryWrite then sets O_NONBLOCK around a plain write instead.
//
// Because it cannot sleep, it is made as a raw system call, which costs
// less than the blocking Write (see rwNowait for why that is safe).
func TryWrite(fd int, b []byte) (int, error) {
	n, err := ignoringEINTRN(func() (int, error) { return rwNowait(unix.SYS_PWRITEV2, fd, b) })
	if errors.Is(err, unix.EOPNOTSUPP) {
		return withNonblock(fd, func() (int, error) { return Write(fd, b) })
	}
	if err != nil {
		return 0, syscallErr("pwritev2 RWF_NOWAIT", err)
	}
	return n, nil
}

// TryRead reads once from fd into b without waiting. An empty pipe whose
// writers are still open gives EAGAIN; an empty pipe whose writers have all
// closed gives 0 bytes and a nil error (end of file), as Read does.
//
//	ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt,
//	                off_t offset, int flags);
//
// It uses RWF_NOWAIT for the same reason as TryWrite, with the same
// fallback, and is a raw system call as TryWrite is.
func TryRead(fd int, b []byte) (int, error) {
	n, err := ignoringEINTRN(func() (int, error) { return rwNowait(unix.SYS_PREADV2, fd, b) })
	if errors.Is(err, unix.EOPNOTSUPP) {
		return withNonblock(fd, func() (int, error) { return Read(fd, b) })
	}
	if err != nil {
		return 0, syscallErr("preadv2 RWF_NOWAIT", err)
	}
	return n, nil
}

// withNonblock runs op with O_NONBLOCK set on fd's open file description and
// then restores the flags as they were.
func withNonblock(fd int, op func() (int, error)) (int, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0, syscallErr("fcntl F_GETFL", err)
	}
	if flags&unix.O_NONBLOCK != 0 {
		return op()
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags|unix.O_NONBLOCK); err != nil {
		return 0, syscallErr("fcntl F_SETFL", err)
	}
	defer unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags)
	return op()
}

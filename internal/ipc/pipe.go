package ipc

import "golang.org/x/sys/unix"

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

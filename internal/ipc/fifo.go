package ipc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// A FIFO is a pipe with a name in the file system: unrelated processes open
// it by path instead of inheriting descriptors. Reading and writing work as
// on a pipe (Read, Write, Pending, PipeEnd for the tries); only creating
// and opening differ.

// Mkfifo creates a FIFO at path, readable and writable by this user only
// (mode 0600, before the umask). It fails with EEXIST if path exists.
//
//	int mkfifo(const char *pathname, mode_t mode);
func Mkfifo(path string) error {
	return syscallErr("mkfifo", unix.Mkfifo(path, 0o600))
}

// OpenFifo opens the FIFO at path with flags (unix.O_RDONLY or
// unix.O_WRONLY, optionally unix.O_NONBLOCK). The caller owns the returned
// descriptor; O_CLOEXEC is always added.
//
// Opening a FIFO is itself a rendezvous: without O_NONBLOCK, open sleeps
// until some process has the other end open too, so a reader waits for a
// writer and a writer for a reader. With O_NONBLOCK a reader's open returns
// at once, and a writer's fails with ENXIO while nobody has it open for
// reading; that is the try form of a writer's open. O_NONBLOCK stays set on
// the descriptor afterwards; clear it with SetNonblock for blocking I/O, as
// NewPipeEnd wants.
// (O_RDWR never waits on Linux, but POSIX leaves it undefined, so the
// playground does not use it.)
//
//	int open(const char *pathname, int flags);
func OpenFifo(path string, flags int) (int, error) {
	fd, err := ignoringEINTRN(func() (int, error) {
		return unix.Open(path, flags|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, syscallErr("open", err)
	}
	return fd, nil
}

// FifoExists reports whether path names a FIFO. It looks at the name itself
// (lstat), not at what a symbolic link points to.
//
//	int lstat(const char *pathname, struct stat *statbuf);
func FifoExists(path string) (bool, error) {
	var st unix.Stat_t
	err := unix.Lstat(path, &st)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, syscallErr("lstat", err)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFIFO, nil
}

// RemoveFifo removes the FIFO's name. Descriptors already open keep working;
// the pipe behind them goes away with the last close.
//
//	int unlink(const char *pathname);
func RemoveFifo(path string) error {
	return syscallErr("unlink", unix.Unlink(path))
}

package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// readNow makes one read on fd, which must be a PipeEnd's private
// description of a pipe or FIFO (O_NONBLOCK, held by no other process), and
// returns the count and the bare errno, 0 on success.
//
// It is a raw system call, which skips the runtime's bookkeeping for a call
// that may sleep, and it may, because this one cannot: with O_NONBLOCK an
// empty pipe makes the kernel answer EAGAIN instead of putting the caller
// to sleep until a writer acts. Besides copying the bytes, the kernel only
// takes the pipe's lock, which its holder keeps for a copy and never while
// asleep. So the call returns at once, and the garbage collector, which
// must wait for a thread in a raw call to come back before it can stop the
// world, waits no longer than it would for any other short stretch of code.
//
// All of that rests on O_NONBLOCK staying set, which is why the description
// must be private: on one shared with another process, that process could
// clear the flag, and the call would then sleep in raw mode until the other
// side acted. The blocking read, on the shared descriptor, stays
// unix.Syscall.
//
// One wait is left, on a FIFO only: a read or write that moves bytes also
// updates the FIFO's times in its file system, as any read or write does,
// and on a journaling file system that can wait for the journal. That wait
// depends on no other process and is bounded by the disk. An anonymous
// pipe's times are kept in memory only, so there it cannot happen.
//
//	ssize_t read(int fd, void *buf, size_t count);
func readNow(fd int, b []byte) (int, unix.Errno) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// writeNow makes one write on fd, a PipeEnd's private description, and
// returns the count and the bare errno, as readNow does. It cannot sleep for the reasons given at readNow:
// with O_NONBLOCK a full pipe, or one with less room than a write of at
// most PIPE_BUF bytes needs, makes the kernel answer EAGAIN at once.
//
//	ssize_t write(int fd, const void *buf, size_t count);
func writeNow(fd int, b []byte) (int, unix.Errno) {
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// pendingNow asks how many bytes wait in the pipe or FIFO behind fd, a
// PipeEnd's private description, and returns the count and the bare errno.
// It is a raw system call for the reasons given at readNow: FIONREAD on a
// pipe only takes the pipe's lock, to count its buffers, and never sleeps
// otherwise.
//
//	int ioctl(int fd, FIONREAD, int *count);
func pendingNow(fd int) (int, unix.Errno) {
	var n int32
	_, _, errno := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.TIOCINQ), uintptr(unsafe.Pointer(&n)))
	return int(n), errno
}

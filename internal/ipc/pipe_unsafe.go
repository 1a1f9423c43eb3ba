package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// rwNowait makes one preadv2 or pwritev2 call (trap) on fd with a single
// buffer, at the current position (offset -1), with RWF_NOWAIT, and returns
// the bare errno.
//
// It is a raw system call, which skips the runtime's bookkeeping for a call
// that may sleep, and it may, because this one cannot: with RWF_NOWAIT a
// pipe that is full (for a write) or empty (for a read) makes the kernel
// answer EAGAIN instead of putting the caller to sleep until another
// process acts. Besides copying the bytes, the kernel only takes the pipe's
// lock, which its holder keeps for a copy and never while asleep. So the
// call returns at once, and the garbage collector, which must wait for a
// thread in a raw call to come back before it can stop the world, waits no
// longer than it would for any other short stretch of code. The blocking
// Read and Write stay unix.Syscall.
func rwNowait(trap uintptr, fd int, b []byte) (int, error) {
	iov := unix.Iovec{Base: (*byte)(bytesPtr(b))}
	iov.SetLen(len(b))
	offset := int64(-1)
	n, _, errno := unix.RawSyscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1,
		uintptr(offset), 0, unix.RWF_NOWAIT)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

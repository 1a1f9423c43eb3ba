package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// semtimedop passes ops to the kernel; a nil ts waits without limit, which
// is semop (glibc implements semop this way too). It returns the bare errno.
//
// A call that may sleep goes through unix.Syscall6, so that the runtime
// knows this thread may be gone a long time and runs other goroutines and
// the garbage collector meanwhile. A call of which no operation can sleep
// (semCannotSleep) is made as a raw system call, which skips that
// bookkeeping: the kernel applies the operations, or answers EAGAIN, under
// the set's spin lock and returns at once by construction, so the garbage
// collector, which must wait for a raw call to come back before it can stop
// the world, waits no longer than for any other short stretch of code.
func semtimedop(id int, ops []Sembuf, ts *unix.Timespec) error {
	if len(ops) == 0 {
		return unix.EINVAL
	}
	var errno unix.Errno
	if semCannotSleep(ops) {
		_, _, errno = unix.RawSyscall6(unix.SYS_SEMTIMEDOP, uintptr(id),
			uintptr(unsafe.Pointer(&ops[0])), uintptr(len(ops)), uintptr(unsafe.Pointer(ts)), 0, 0)
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_SEMTIMEDOP, uintptr(id),
			uintptr(unsafe.Pointer(&ops[0])), uintptr(len(ops)), uintptr(unsafe.Pointer(ts)), 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// semtimedop passes ops to the kernel; a nil ts waits without limit, which
// is semop (glibc implements semop this way too). It returns the bare errno.
func semtimedop(id int, ops []Sembuf, ts *unix.Timespec) error {
	if len(ops) == 0 {
		return unix.EINVAL
	}
	_, _, errno := unix.Syscall6(unix.SYS_SEMTIMEDOP, uintptr(id),
		uintptr(unsafe.Pointer(&ops[0])), uintptr(len(ops)), uintptr(unsafe.Pointer(ts)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

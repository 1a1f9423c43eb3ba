package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The raw POSIX message queue calls. x/sys/unix has no wrappers for them, so
// these pass pointers to the kernel themselves. Each returns the bare errno
// (nil on success); the exported functions in mq.go wrap it. They use
// unix.Syscall, not RawSyscall, because send and receive can sleep: the
// runtime must know this thread is in the kernel so it can run other
// goroutines and the garbage collector meanwhile. The exceptions are the
// try forms, mqTrySend and mqTryReceive, which cannot.

// mqOpen calls mq_open with the kernel's form of the name (no leading slash).
func mqOpen(kname string, flags int, mode uint32, attr *MqAttr) (int, error) {
	p, err := unix.BytePtrFromString(kname)
	if err != nil {
		return -1, err
	}
	fd, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)),
		uintptr(flags), uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// mqUnlink calls mq_unlink with the kernel's form of the name.
func mqUnlink(kname string) error {
	p, err := unix.BytePtrFromString(kname)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// mqTimedsend sends msg; a nil ts waits without limit.
func mqTimedsend(fd int, msg []byte, prio uint, ts *unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd),
		uintptr(bytesPtr(msg)), uintptr(len(msg)), uintptr(prio), uintptr(unsafe.Pointer(ts)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// mqTrySend sends msg if the queue has room and otherwise answers
// ETIMEDOUT, without sleeping either way: its deadline is the epoch, a
// timeout of exactly zero, for which the kernel's timed sleep
// (schedule_hrtimeout) returns at once without ever leaving the CPU, so the
// call finds the queue full, takes itself off the wait list and returns. As
// it returns at once by construction it is a raw system call, which skips
// the runtime's bookkeeping for a call that may sleep; the garbage
// collector, which must wait for a raw call to come back before it can
// stop the world, waits no longer than for any other short stretch of code.
// (A deadline in the past other than zero would arm a timer and may call
// the scheduler, and so could give the CPU away.)
func mqTrySend(fd int, msg []byte, prio uint) error {
	var zero unix.Timespec
	_, _, errno := unix.RawSyscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd),
		uintptr(bytesPtr(msg)), uintptr(len(msg)), uintptr(prio), uintptr(unsafe.Pointer(&zero)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// mqTryReceive receives into buf if a message is waiting and otherwise
// answers ETIMEDOUT, without sleeping, for the reason given at mqTrySend.
func mqTryReceive(fd int, buf []byte) (int, uint, error) {
	var prio uint32
	var zero unix.Timespec
	n, _, errno := unix.RawSyscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd),
		uintptr(bytesPtr(buf)), uintptr(len(buf)), uintptr(unsafe.Pointer(&prio)), uintptr(unsafe.Pointer(&zero)), 0)
	if errno != 0 {
		return 0, 0, errno
	}
	return int(n), uint(prio), nil
}

// mqTimedreceive receives into buf; a nil ts waits without limit.
func mqTimedreceive(fd int, buf []byte, ts *unix.Timespec) (int, uint, error) {
	var prio uint32
	n, _, errno := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd),
		uintptr(bytesPtr(buf)), uintptr(len(buf)), uintptr(unsafe.Pointer(&prio)), uintptr(unsafe.Pointer(ts)), 0)
	if errno != 0 {
		return 0, 0, errno
	}
	return int(n), uint(prio), nil
}

// mqGetsetattr reads the queue's attributes into old and, if set is not
// nil, changes its flags to set.Flags first.
func mqGetsetattr(fd int, set, old *MqAttr) error {
	_, _, errno := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd),
		uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)))
	if errno != 0 {
		return errno
	}
	return nil
}

// bytesPtr points at b's first byte, or is nil for an empty b: the kernel
// reads no bytes of a zero-length message, but Go may not index b[0].
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// The structure layouts in this package (struct mq_attr of four longs,
// struct msqid64_ds, siginfo_t) are those of 64-bit Linux; this line stops
// a 32-bit build at compile time instead of letting it pass wrong layouts.
var _ [unsafe.Sizeof(uintptr(0)) - 8]byte

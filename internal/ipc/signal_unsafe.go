package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoQueue is siginfo_t as sigqueue(3) fills it, laid out for 64-bit
// Linux: signo, errno and code, padding to align the union, then the union's
// _rt member (sender's pid and uid, then the value). sival_int is the first
// member of union sigval, so it sits at the union's start on either
// endianness. The kernel copies all 128 bytes.
type siginfoQueue struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	Pid   int32
	Uid   uint32
	Value int32
	_     [100]byte
}

// Both lines fail to compile unless siginfoQueue is exactly 128 bytes.
var (
	_ [unsafe.Sizeof(siginfoQueue{}) - 128]byte
	_ [128 - unsafe.Sizeof(siginfoQueue{})]byte
)

// rtSigqueueinfo queues sig with info for process pid and returns the bare
// errno.
//
// Sending a signal never sleeps: the kernel queues it (or drops a
// standard signal already pending, or fails with EAGAIN past
// RLIMIT_SIGPENDING) under spin locks and returns. So this is a raw system
// call, which skips the runtime's bookkeeping for a call that may sleep;
// returning at once by construction, it holds up the garbage collector no
// longer than any other short stretch of code. (os.Getpid and os.Getuid,
// which Sigqueue also calls, are raw calls in the standard library.)
func rtSigqueueinfo(pid int, sig unix.Signal, info *siginfoQueue) error {
	_, _, errno := unix.RawSyscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), uintptr(unsafe.Pointer(info)))
	if errno != 0 {
		return errno
	}
	return nil
}

// readSignalfdNow reads one struct signalfd_siginfo from a signalfd opened
// with SFD_NONBLOCK, which answers EAGAIN at once when no signal is
// pending. Since it cannot sleep it is a raw system call, without the
// runtime's bookkeeping for a call that may (and no EINTR to retry).
func readSignalfdNow(fd int) (unix.SignalfdSiginfo, error) {
	var si unix.SignalfdSiginfo
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&si)), unsafe.Sizeof(si))
	if errno != 0 {
		return si, errno
	}
	if n != unsafe.Sizeof(si) {
		return si, unix.EIO // a signalfd returns whole records only
	}
	return si, nil
}

// readSignalfd reads one struct signalfd_siginfo from a signalfd.
func readSignalfd(fd int) (unix.SignalfdSiginfo, error) {
	var si unix.SignalfdSiginfo
	b := unsafe.Slice((*byte)(unsafe.Pointer(&si)), unsafe.Sizeof(si))
	n, err := ignoringEINTRN(func() (int, error) { return unix.Read(fd, b) })
	if err != nil {
		return si, err
	}
	if n != len(b) {
		return si, unix.EIO // a signalfd returns whole records only
	}
	return si, nil
}

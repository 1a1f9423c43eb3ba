package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// send calls sendto with no destination address, which is send(2), and
// returns the bare errno. unix.SendmsgN, the only x/sys/unix call that
// sends to the connected peer and returns the byte count, makes sendmsg
// instead, whose message header and vector the kernel must copy in and
// check first: measurably slower for small messages.
//
// A send that may sleep (a full send buffer) goes through unix.Syscall6,
// so that the runtime knows this thread may be gone a long time and can
// run other goroutines and the garbage collector meanwhile. With
// MSG_DONTWAIT it cannot sleep: where the buffer has no room the kernel
// answers EAGAIN at once, and otherwise only copies the bytes under the
// socket's lock, which its holder keeps for a copy and never while asleep.
// Such a call returns at once by construction, so it is made as a raw
// system call, which skips that bookkeeping; the garbage collector, which
// must wait for a raw call to come back before it can stop the world,
// waits no longer than for any other short stretch of code.
func send(fd int, b []byte, flags int) (int, error) {
	var n uintptr
	var errno unix.Errno
	if flags&unix.MSG_DONTWAIT != 0 {
		n, _, errno = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
			uintptr(flags), 0, 0)
	} else {
		n, _, errno = unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
			uintptr(flags), 0, 0)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// recv calls recvfrom with no source address, which is recv(2), and
// returns the bare errno. unix.Recvfrom always asks for the address and
// allocates a buffer for it on every call, which a caller that never wants
// it should not pay for. As with send, a receive that may sleep goes
// through unix.Syscall6, and one with MSG_DONTWAIT, which answers EAGAIN
// at once when nothing is queued, is a raw system call.
func recv(fd int, b []byte, flags int) (int, error) {
	var n uintptr
	var errno unix.Errno
	if flags&unix.MSG_DONTWAIT != 0 {
		n, _, errno = unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
			uintptr(flags), 0, 0)
	} else {
		n, _, errno = unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
			uintptr(flags), 0, 0)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// pollNow reports whether fd is ready for events now. A timeout of 0 makes
// poll look once and return without sleeping, so it is a raw system call,
// for the reason given at send. (It still fails with EINTR when a signal
// is pending and nothing is ready, so it is retried.)
//
//	int poll(struct pollfd *fds, nfds_t nfds, 0);
func pollNow(fd int, events int16) (bool, error) {
	pfd := unix.PollFd{Fd: int32(fd), Events: events}
	n, err := ignoringEINTRN(func() (int, error) {
		n, _, errno := unix.RawSyscall(unix.SYS_POLL, uintptr(unsafe.Pointer(&pfd)), 1, 0)
		if errno != 0 {
			return 0, errno
		}
		return int(n), nil
	})
	if err != nil {
		return false, syscallErr("poll", err)
	}
	return n > 0, nil
}

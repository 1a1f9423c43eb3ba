package ipc

import "golang.org/x/sys/unix"

// send calls sendto with no destination address, which is send(2), and
// returns the bare errno. unix.SendmsgN, the only x/sys/unix call that
// sends to the connected peer and returns the byte count, makes sendmsg
// instead, whose message header and vector the kernel must copy in and
// check first: measurably slower for small messages. sendto can sleep, so
// this is unix.Syscall6.
func send(fd int, b []byte, flags int) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
		uintptr(flags), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// recv calls recvfrom with no source address, which is recv(2), and
// returns the bare errno. unix.Recvfrom always asks for the address and
// allocates a buffer for it on every call, which a caller that never wants
// it should not pay for. recvfrom can sleep, so this is unix.Syscall6,
// never RawSyscall6.
func recv(fd int, b []byte, flags int) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(bytesPtr(b)), uintptr(len(b)),
		uintptr(flags), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

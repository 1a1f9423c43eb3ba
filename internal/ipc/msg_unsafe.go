package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The raw System V message queue calls; x/sys/unix has no wrappers for
// them. Each returns the bare errno (nil on success).
//
// msgsnd and msgrcv can sleep, until a full queue has room or a message of
// the wanted type comes, so they go through unix.Syscall: the runtime then
// knows this thread may be gone a long time and runs other goroutines and
// the garbage collector meanwhile. With IPC_NOWAIT in their flags they
// cannot: where they would sleep the kernel answers EAGAIN or ENOMSG at
// once, and otherwise it copies the message and queues or dequeues it
// under the queue's spin lock. Such a call, the try form, returns at once by construction,
// so it is made as a raw system call, which skips that bookkeeping; the
// garbage collector, which must wait for a raw call to come back before it
// can stop the world, waits no longer than for any other short stretch of
// code.

// msqidDS is struct msqid64_ds as 64-bit Linux lays it out, which is what
// msgctl reads and writes there.
type msqidDS struct {
	Perm   unix.SysvIpcPerm
	Stime  int64  // last msgsnd, seconds since the epoch
	Rtime  int64  // last msgrcv
	Ctime  int64  // last change
	Cbytes uint64 // bytes of the messages waiting
	Qnum   uint64 // messages waiting
	Qbytes uint64 // capacity in bytes
	Lspid  int32  // pid of the last msgsnd
	Lrpid  int32  // pid of the last msgrcv
	_      [2]uint64
}

// msgsnd sends buf, which starts with the message type as a C long followed
// by the message text.
func msgsnd(id int, buf []byte, flags int) error {
	var errno unix.Errno
	if flags&unix.IPC_NOWAIT != 0 {
		_, _, errno = unix.RawSyscall6(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(len(buf)-msgTypeSize), uintptr(flags), 0, 0)
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(len(buf)-msgTypeSize), uintptr(flags), 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// msgrcv receives into buf, laid out as for msgsnd, and returns the length
// of the text.
func msgrcv(id int, buf []byte, mtype, flags int) (int, error) {
	var n uintptr
	var errno unix.Errno
	if flags&unix.IPC_NOWAIT != 0 {
		n, _, errno = unix.RawSyscall6(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(len(buf)-msgTypeSize), uintptr(mtype), uintptr(flags), 0)
	} else {
		n, _, errno = unix.Syscall6(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(len(buf)-msgTypeSize), uintptr(mtype), uintptr(flags), 0)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// msgctl runs a control command; ds may be nil for IPC_RMID.
func msgctl(id, cmd int, ds *msqidDS) error {
	_, _, errno := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(unsafe.Pointer(ds)))
	if errno != 0 {
		return errno
	}
	return nil
}

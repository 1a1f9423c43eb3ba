package ipc

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// WouldBlock reports whether err is a try form's "this would have to wait"
// answer, the cue for a caller to announce that it blocks and then make the
// blocking call. The kernel words it differently per mechanism:
//   - EAGAIN (EWOULDBLOCK is the same number on Linux): pipes, FIFOs and
//     sockets with O_NONBLOCK or MSG_DONTWAIT; msgsnd and semop
//     with IPC_NOWAIT; and MqTrySend and MqTryReceive;
//   - ENOMSG: msgrcv with IPC_NOWAIT and no message of the wanted type;
//   - ENXIO: a FIFO opened for writing with O_NONBLOCK while nobody has it
//     open for reading.
//
// The package's own errors are an *os.SyscallError around the errno, which
// it checks first, without walking the chain; anything else is unwrapped by
// errors.Is.
func WouldBlock(err error) bool {
	if se, ok := err.(*os.SyscallError); ok {
		err = se.Err
	}
	switch err {
	case nil:
		return false
	case unix.EAGAIN, unix.ENOMSG, unix.ENXIO:
		return true
	}
	return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOMSG) || errors.Is(err, unix.ENXIO)
}

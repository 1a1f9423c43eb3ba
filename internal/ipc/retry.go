package ipc

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// ignoringEINTR calls fn until it returns something other than EINTR, so a
// signal arriving during a blocking call (the Go runtime sends some) does not
// surface as a failure.
//
// fn returns the bare errno, as x/sys/unix and this package's raw calls do,
// never one already wrapped: the test is a plain comparison, which keeps
// ignoringEINTR small enough for the compiler to inline it, and fn with it,
// into the caller. On a 64-byte pipe write and read that saves about 50 ns
// of some 1,290 (errors.Is and a call through a function value).
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

// ignoringEINTRN is ignoringEINTR for calls that also return a count.
func ignoringEINTRN(fn func() (int, error)) (int, error) {
	for {
		if n, err := fn(); err != unix.EINTR {
			return n, err
		}
	}
}

// syscallErr wraps a non-nil errno as an *os.SyscallError naming the call.
//
// A try form's "it would have to wait" (EAGAIN, or ENOMSG from msgrcv) is
// the common answer in a round trip, one per message, so for those two the
// error is made once per call name and kept (see wouldblock.go): a try
// that fails allocates nothing. The names are the package's own constants,
// so the set stays small.
func syscallErr(name string, err error) error {
	switch err {
	case nil:
		return nil
	case unix.EAGAIN, unix.ENOMSG:
		return keptErr(name, err.(unix.Errno))
	}
	return os.NewSyscallError(name, err)
}

// keptErrs maps a call name and errno to the one error made for them.
var keptErrs sync.Map // keptKey -> error

type keptKey struct {
	name  string
	errno unix.Errno
}

func keptErr(name string, errno unix.Errno) error {
	k := keptKey{name, errno}
	if e, ok := keptErrs.Load(k); ok {
		return e.(error)
	}
	e, _ := keptErrs.LoadOrStore(k, os.NewSyscallError(name, errno))
	return e.(error)
}

package ipc

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// ignoringEINTR calls fn until it returns something other than EINTR, so a
// signal arriving during a blocking call (the Go runtime sends some) does not
// surface as a failure.
func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// ignoringEINTRN is ignoringEINTR for calls that also return a count.
func ignoringEINTRN(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// syscallErr wraps a non-nil errno as an *os.SyscallError naming the call.
func syscallErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return os.NewSyscallError(name, err)
}

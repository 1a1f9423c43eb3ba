package ipc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// SetChildSubreaper makes this process the one that inherits its orphaned
// descendants, instead of init: a process whose parent died is reparented
// here, and here its exit status waits to be collected.
//
//	int prctl(PR_SET_CHILD_SUBREAPER, 1);
func SetChildSubreaper() error {
	return syscallErr("prctl PR_SET_CHILD_SUBREAPER", unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
}

// Reap collects the exit status of child pid if it has exited, without
// waiting. gone reports whether pid is gone for good: reaped now (then ws
// says how it ended and reaped is true), or not a child of this process (any
// more).
//
//	pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
func Reap(pid int) (gone, reaped bool, ws unix.WaitStatus, err error) {
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	switch {
	case errors.Is(err, unix.ECHILD):
		return true, false, ws, nil
	case err != nil:
		return false, false, ws, syscallErr("wait4", err)
	}
	return got == pid, got == pid, ws, nil
}

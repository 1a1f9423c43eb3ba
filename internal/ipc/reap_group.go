package ipc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// ReapGroup collects, without waiting, one child of this process in
// process group pgid that has exited. It returns the pid it collected (0
// if each such child still runs), or none when this process has no child
// left in the group.
//
//	pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
func ReapGroup(pgid int) (pid int, none bool, err error) {
	var ws unix.WaitStatus
	pid, err = unix.Wait4(-pgid, &ws, unix.WNOHANG, nil)
	switch {
	case errors.Is(err, unix.ECHILD):
		return 0, true, nil
	case err != nil:
		return 0, false, syscallErr("wait4", err)
	}
	return pid, false, nil
}

package ipc

import "golang.org/x/sys/unix"

// SetNonblock turns O_NONBLOCK on or off for the open file description
// behind fd. Other processes sharing that description (after fork) see the
// change too; a pipe's two ends are separate descriptions. For calls that
// must not wait on a pipe or FIFO end others may share, a PipeEnd holds a
// description of its own.
//
//	int fcntl(int fd, F_SETFL, int flags);
func SetNonblock(fd int, on bool) error {
	return syscallErr("fcntl F_SETFL", unix.SetNonblock(fd, on))
}

package ipc

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// PollIn waits until one of fds has something to read, or its peer closed,
// or timeout passes (a negative timeout waits as long as it takes), and
// reports which fds are ready.
//
//	int poll(struct pollfd *fds, nfds_t nfds, int timeout);
func PollIn(fds []int, timeout time.Duration) ([]bool, error) {
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	deadline := time.Now().Add(timeout)
	for {
		ms := -1
		if timeout >= 0 {
			ms = max(int(time.Until(deadline).Milliseconds()), 0)
		}
		_, err := unix.Poll(pfds, ms)
		if errors.Is(err, unix.EINTR) {
			continue // the runtime's own signals interrupt poll; it never restarts by itself
		}
		if err != nil {
			return nil, syscallErr("poll", err)
		}
		ready := make([]bool, len(fds))
		for i := range pfds {
			ready[i] = pfds[i].Revents != 0
		}
		return ready, nil
	}
}

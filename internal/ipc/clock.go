package ipc

import "golang.org/x/sys/unix"

// Monotonic reads CLOCK_MONOTONIC in nanoseconds. Every process on the
// machine shares this clock, so times taken in different processes of one
// session can be compared.
//
//	int clock_gettime(clockid_t clockid, struct timespec *tp);
func Monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for this clock
	return ts.Nano()
}

package ipc

// Monotonic reads CLOCK_MONOTONIC in nanoseconds. Every process on the
// machine shares this clock, so times taken in different processes of one
// session can be compared. It is read as the Go runtime reads it, through
// the vDSO, without entering the kernel (see clock_unsafe.go).
//
//	int clock_gettime(clockid_t clockid, struct timespec *tp);
func Monotonic() int64 { return nanotime() }

package ipc

import _ "unsafe" // for go:linkname

// nanotime is the runtime's reading of CLOCK_MONOTONIC: on Linux,
// clock_gettime(CLOCK_MONOTONIC) through the vDSO, in user space. The
// runtime keeps it open to linkname for this use.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

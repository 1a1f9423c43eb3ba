package ipc

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// wordAt returns a pointer to the n-byte word at the start of mem, which
// must be long enough and aligned to n bytes, as atomic operations and the
// futex call require. mem is shared memory from a Segment.
func wordAt(mem []byte, n uintptr) (unsafe.Pointer, error) {
	if uintptr(len(mem)) < n {
		return nil, fmt.Errorf("shared word: %d bytes given, %d needed", len(mem), n)
	}
	p := unsafe.Pointer(&mem[0])
	if uintptr(p)%n != 0 {
		return nil, fmt.Errorf("shared word: address %p is not %d-byte aligned", p, n)
	}
	return p, nil
}

// uint32At returns the 32-bit word at the start of mem.
func uint32At(mem []byte) (*uint32, error) {
	p, err := wordAt(mem, 4)
	return (*uint32)(p), err
}

// int64At returns the 64-bit word at the start of mem.
func int64At(mem []byte) (*int64, error) {
	p, err := wordAt(mem, 8)
	return (*int64)(p), err
}

// futex makes one futex call on the word at addr and returns the kernel's
// result and bare errno. ts, for FUTEX_WAIT, is a relative timeout or nil.
//
//	long syscall(SYS_futex, uint32_t *uaddr, int futex_op, uint32_t val,
//	             const struct timespec *timeout, uint32_t *uaddr2, uint32_t val3);
func futex(addr *uint32, op int, val uint32, ts *unix.Timespec) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), uintptr(op),
		uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// futexWake wakes up to n processes asleep in FUTEX_WAIT on the word at
// addr and returns how many it woke. FUTEX_WAKE never sleeps: the kernel
// takes the sleepers off the word's wait queue under a spin lock, marks
// them runnable and returns. So it is a raw system call, which skips the
// runtime's bookkeeping for a call that may sleep; returning at once by
// construction, it holds up the garbage collector, which must wait for a
// raw call to come back before it can stop the world, no longer than any
// other short stretch of code. FUTEX_WAIT stays on futex, unix.Syscall6.
func futexWake(addr *uint32, n uint32) (int, error) {
	r, _, errno := unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp,
		uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

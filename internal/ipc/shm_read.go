package ipc

import (
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// Reading another process's segment from outside, without ever touching a
// page that may have nothing behind it.
//
// A POSIX object is a file on the /dev/shm tmpfs. Its size (ftruncate) is
// only a promise: the pages are found when first touched. When the tmpfs is
// full (a container's 64 MiB /dev/shm fills quickly), a touch through a
// mapping cannot be refused with an error, and the kernel sends SIGBUS,
// which ends a Go program. pread on a descriptor asks the same question
// through a system call, and a hole reads as zeros without taking a page,
// so ReadShmAt never maps anything.

// Fallocate reserves the pages of bytes [off, off+size) of the file behind
// fd, growing it if need be. On tmpfs a full file system is then ENOSPC
// here, and a mapping of those bytes can no longer fault for want of room.
//
//	int fallocate(int fd, int mode, off_t offset, off_t len);
func Fallocate(fd int, off, size int64) error {
	return syscallErr("fallocate", ignoringEINTR(func() error { return unix.Fallocate(fd, 0, off, size) }))
}

// ReadShmAt copies the first len(b) bytes of the POSIX shared memory object
// name into b with pread(2) on a read-only descriptor, and returns how many
// it copied (fewer if the object is smaller).
//
//	ssize_t pread(int fd, void *buf, size_t count, off_t offset);
func ReadShmAt(name string, b []byte) (int, error) {
	fd, err := ShmOpen(name, unix.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	n, err := ignoringEINTRN(func() (int, error) { return unix.Pread(fd, b, 0) })
	if err != nil {
		return 0, syscallErr("pread", err)
	}
	return n, nil
}

// ReadSysvShm copies the first len(b) bytes of System V segment id into b
// and returns how many it copied.
//
// There is no descriptor to pread here: shmat is the only way in, so this
// reads through a read-only attachment. That is safe for a reason apart
// from /dev/shm: System V segments live on the kernel's own internal tmpfs,
// which has no size limit, so a page touched for the first time is taken
// from memory (or the OOM killer steps in), never refused with SIGBUS; the
// room was checked by shmget against kernel.shmall when the segment was
// made. Huge-page segments (SHM_HUGETLB) are the exception, and in case one
// is met, the copy runs with the runtime told to turn a fault into a panic
// (debug.SetPanicOnFault), which is recovered here as an error.
func ReadSysvShm(id int, b []byte) (int, error) {
	mem, err := Shmat(id, unix.SHM_RDONLY)
	if err != nil {
		return 0, err
	}
	defer Shmdt(mem)
	return CopyGuarded(b, mem)
}

// ErrFault is returned by CopyGuarded when the memory it read from had no
// page behind it.
var ErrFault = errors.New("the shared memory has no page behind this address (SIGBUS)")

// CopyGuarded copies src into dst as copy does, except that a fault while
// reading src (SIGBUS from a mapping with nothing behind it) is returned as
// an error wrapping ErrFault instead of ending the program.
func CopyGuarded(dst, src []byte) (n int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: %v", ErrFault, r)
		}
	}()
	return copy(dst, src), nil
}

package ipc

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// shmDir is where Linux keeps POSIX shared memory objects: a tmpfs on
// which shm_open is an ordinary open.
const shmDir = "/dev/shm/"

// ErrBadShmName is returned for a name shm_open would not take: it must be a
// slash followed by 1 to 255 characters, none of them a slash.
var ErrBadShmName = errors.New("bad shared memory name: want a slash followed by 1 to 255 characters, no other slash")

// checkShmName accepts exactly the names POSIX calls portable, so that a
// name never reaches outside /dev/shm.
func checkShmName(name string) error {
	rest, ok := strings.CutPrefix(name, "/")
	bad := !ok || rest == "" || len(rest) > 255 || rest == "." || rest == ".." ||
		strings.ContainsAny(rest, "/\x00")
	if bad {
		return fmt.Errorf("%w: %q", ErrBadShmName, name)
	}
	return nil
}

// ShmOpen opens, or with O_CREAT creates, the POSIX shared memory object
// name ("/lesson-1") and returns its descriptor, which the caller owns.
//
//	int shm_open(const char *name, int oflag, mode_t mode);
//
// It does what glibc does: open(2) of the file in /dev/shm, with O_NOFOLLOW
// and O_CLOEXEC added. flags hold O_RDONLY or O_RDWR, and may add O_CREAT,
// O_EXCL and O_TRUNC; mode is masked by the umask. A new object is empty:
// give it a size with Ftruncate before mapping it.
func ShmOpen(name string, flags int, mode uint32) (int, error) {
	if err := checkShmName(name); err != nil {
		return -1, err
	}
	fd, err := ignoringEINTRN(func() (int, error) {
		return unix.Open(shmDir+name[1:], flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	})
	if err != nil {
		return -1, syscallErr("shm_open", err)
	}
	return fd, nil
}

// ShmUnlink removes the name of a POSIX shared memory object. Processes
// that have it mapped keep their mapping; the memory is freed when the last
// one goes.
//
//	int shm_unlink(const char *name);
func ShmUnlink(name string) error {
	if err := checkShmName(name); err != nil {
		return err
	}
	return syscallErr("shm_unlink", unix.Unlink(shmDir+name[1:]))
}

// ShmExists reports whether a POSIX shared memory object of that name
// exists. Tests use it to prove that cleanup happened.
func ShmExists(name string) (bool, error) {
	if err := checkShmName(name); err != nil {
		return false, err
	}
	var st unix.Stat_t
	err := unix.Lstat(shmDir+name[1:], &st)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	return err == nil, syscallErr("stat", err)
}

// Ftruncate sets the size of the file behind fd, here a shared memory
// object: new bytes read as zero.
//
//	int ftruncate(int fd, off_t length);
func Ftruncate(fd int, size int64) error {
	return syscallErr("ftruncate", ignoringEINTR(func() error { return unix.Ftruncate(fd, size) }))
}

// ShmSize reports the size in bytes of the object behind fd.
//
//	int fstat(int fd, struct stat *statbuf);
func ShmSize(fd int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, syscallErr("fstat", err)
	}
	return st.Size, nil
}

// Mmap maps the first size bytes of fd, readable and writable, shared with
// every other process that maps the same object (MAP_SHARED). The mapping
// stays valid after fd is closed; release it with Munmap.
//
//	void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
func Mmap(fd, size int) ([]byte, error) {
	b, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, syscallErr("mmap", err)
	}
	return b, nil
}

// Munmap releases a mapping made by Mmap.
//
//	int munmap(void *addr, size_t length);
func Munmap(b []byte) error {
	return syscallErr("munmap", unix.Munmap(b))
}

// CreateShmSegment creates the POSIX object name, which must not exist yet
// (O_EXCL), with size zero bytes, and maps it. The caller registers
// ShmUnlink(name) next. If a step after the creation fails, the object is
// unlinked again, so a failed call leaves nothing behind.
func CreateShmSegment(name string, size int) (*Segment, error) {
	fd, err := ShmOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b, err := sizeAndMap(fd, size)
	if err != nil {
		_ = ShmUnlink(name)
		return nil, err
	}
	return &Segment{b: b, release: Munmap}, nil
}

func sizeAndMap(fd, size int) ([]byte, error) {
	// Take the pages first: on a full /dev/shm this is ENOSPC, an error
	// the role reports, where a page found missing later is SIGBUS.
	// fallocate sets the size only once every page is there, so a process
	// that opens the object and finds a size never maps a page that is
	// not; the ftruncate after it, the call the lesson names, then
	// changes nothing.
	if err := Fallocate(fd, 0, int64(size)); err != nil {
		return nil, err
	}
	if err := Ftruncate(fd, int64(size)); err != nil {
		return nil, err
	}
	return Mmap(fd, size)
}

// OpenShmSegment maps the whole of an existing POSIX object, read and write.
// The descriptor is closed before it returns; the mapping does not need it.
func OpenShmSegment(name string) (*Segment, error) {
	fd, err := ShmOpen(name, unix.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	size, err := ShmSize(fd)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, fmt.Errorf("map %s: its size is still 0: %w", name, syscallErr("mmap", unix.EINVAL))
	}
	b, err := Mmap(fd, int(size))
	if err != nil {
		return nil, err
	}
	return &Segment{b: b, release: Munmap}, nil
}

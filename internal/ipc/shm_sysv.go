package ipc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// shmDest is SHM_DEST, the mode bit the kernel sets on a segment marked for
// removal that is still attached somewhere.
const shmDest = 0o1000

// Shmget returns the id of the System V shared memory segment with key,
// creating one of size bytes (rounded up to whole pages, zero filled) when
// flags hold IPC_CREAT. flags also carry the permission bits (0o600) and
// may add IPC_EXCL. key IPC_PRIVATE always makes a new segment, reachable
// only through its id.
//
//	int shmget(key_t key, size_t size, int shmflg);
func Shmget(key, size, flags int) (int, error) {
	id, err := unix.SysvShmGet(key, size, flags)
	if err != nil {
		return -1, syscallErr("shmget", err)
	}
	return id, nil
}

// Shmat attaches segment id to this process and returns its bytes. flags is
// 0 for read and write, or SHM_RDONLY. x/sys/unix follows the attach with an
// IPC_STAT to learn the size, and detaches again if that fails.
//
//	void *shmat(int shmid, const void *shmaddr, int shmflg);
func Shmat(id, flags int) ([]byte, error) {
	b, err := unix.SysvShmAttach(id, 0, flags)
	if err != nil {
		return nil, syscallErr("shmat", err)
	}
	return b, nil
}

// Shmdt detaches memory returned by Shmat. The segment stays until removed.
//
//	int shmdt(const void *shmaddr);
func Shmdt(b []byte) error {
	return syscallErr("shmdt", unix.SysvShmDetach(b))
}

// AttachSysvSegment attaches segment id for read and write as a Segment,
// whose Close detaches it.
func AttachSysvSegment(id int) (*Segment, error) {
	b, err := Shmat(id, 0)
	if err != nil {
		return nil, err
	}
	return &Segment{b: b, release: Shmdt}, nil
}

// ShmInfo is the kernel's view of a System V segment, from IPC_STAT.
type ShmInfo struct {
	Key     int    // the key it was created with; IPC_PRIVATE (0) once removed
	Size    int    // bytes asked for at creation
	Nattch  int    // processes (attachments) that have it mapped now
	Cpid    int    // the process that created it
	Lpid    int    // the last process to attach or detach
	Mode    uint32 // permission bits
	Removed bool   // IPC_RMID done, waiting for the last detach (SHM_DEST)
}

// ShmStat reads a segment's state: its size, how many attachments it has
// and who made it.
//
//	int shmctl(int shmid, IPC_STAT, struct shmid_ds *buf);
func ShmStat(id int) (ShmInfo, error) {
	var ds unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err != nil {
		return ShmInfo{}, syscallErr("shmctl IPC_STAT", err)
	}
	return ShmInfo{
		Key:     int(ds.Perm.Key),
		Size:    int(ds.Segsz),
		Nattch:  int(ds.Nattch),
		Cpid:    int(ds.Cpid),
		Lpid:    int(ds.Lpid),
		Mode:    ds.Perm.Mode & 0o777,
		Removed: ds.Perm.Mode&shmDest != 0,
	}, nil
}

// ShmRemove marks segment id for removal. The key is freed at once, but
// the memory, and the segment's line in /proc/sysvipc/shm, stay until the
// last process detaches (or exits).
//
//	int shmctl(int shmid, IPC_RMID, NULL);
func ShmRemove(id int) error {
	_, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	return syscallErr("shmctl IPC_RMID", err)
}

// ShmKeyExists reports whether a segment with key exists, by asking shmget
// for it without IPC_CREAT. A segment we may not use still exists.
func ShmKeyExists(key int) (bool, error) {
	_, err := unix.SysvShmGet(key, 0, 0)
	return keyLookup(syscallErr("shmget", err))
}

// ShmIDListed reports whether segment id still appears in
// /proc/sysvipc/shm, the list ipcs -m prints: the proof, after a removal,
// that the kernel has really freed it.
func ShmIDListed(id int) (bool, error) {
	return listedInSysvipc("/proc/sysvipc/shm", id)
}

// keyLookup turns the result of a get call made without IPC_CREAT into an
// existence answer.
func keyLookup(err error) (bool, error) {
	switch {
	case err == nil, errors.Is(err, unix.EACCES):
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, err
}

// listedInSysvipc reports whether a /proc/sysvipc file has a line for id,
// which is its second column (the first is the key).
func listedInSysvipc(file string, id int) (bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return false, fmt.Errorf("read kernel ipc list: %w", err)
	}
	want := strconv.Itoa(id)
	_, rows, _ := strings.Cut(string(data), "\n") // skip the header
	for line := range strings.Lines(rows) {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == want {
			return true, nil
		}
	}
	return false, nil
}

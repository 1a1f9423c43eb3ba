package ipc

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Room left in the kernel for new objects: cheap questions a server asks
// before it says it can take another session.

// ShmRoom reports the bytes an ordinary user may still write to the file
// system at dir (/dev/shm), and the inodes left there.
//
//	int statfs(const char *path, struct statfs *buf);
func ShmRoom(dir string) (bytes, inodes uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, syscallErr("statfs", err)
	}
	return st.Bavail * uint64(st.Bsize), st.Ffree, nil
}

// MqProbe creates the smallest POSIX message queue there is (one message of
// one byte) under name and removes it again, and returns the error mq_open
// gave, if any: EMFILE when this user's queues hold all the memory
// RLIMIT_MSGQUEUE allows, ENOSPC when the system has fs.mqueue.queues_max
// queues. A queue of that name left behind by an earlier probe is removed
// first.
func MqProbe(name string) error {
	attr := &MqAttr{Maxmsg: 1, Msgsize: 1}
	fd, err := MqOpen(name, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	if errors.Is(err, unix.EEXIST) {
		_ = MqUnlink(name)
		fd, err = MqOpen(name, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	}
	if err != nil {
		return err
	}
	unix.Close(fd)
	return MqUnlink(name)
}

// SysvUse counts the System V objects of this IPC namespace against the
// limits on their number.
type SysvUse struct {
	Msg, MsgMax int // message queues, kernel.msgmni
	Sem, SemMax int // semaphore sets, kernel.sem's fourth field (SEMMNI)
	Shm, ShmMax int // shared memory segments, kernel.shmmni
}

// Full names the first kind of System V object of which no more can be
// made, with its limit, or returns "" if every kind has room.
func (u SysvUse) Full() string {
	switch {
	case u.Msg >= u.MsgMax:
		return fmt.Sprintf("all %d System V message queue ids are taken (kernel.msgmni)", u.MsgMax)
	case u.Sem >= u.SemMax:
		return fmt.Sprintf("all %d System V semaphore set ids are taken (kernel.sem)", u.SemMax)
	case u.Shm >= u.ShmMax:
		return fmt.Sprintf("all %d System V shared memory ids are taken (kernel.shmmni)", u.ShmMax)
	}
	return ""
}

// ReadSysvUse counts the lines of /proc/sysvipc/{msg,sem,shm} (the lists
// ipcs prints) and reads the limits from /proc/sys/kernel. It creates
// nothing, so it cannot leave anything behind.
func ReadSysvUse() (SysvUse, error) {
	var u SysvUse
	for _, c := range []struct {
		list string
		n    *int
	}{{"msg", &u.Msg}, {"sem", &u.Sem}, {"shm", &u.Shm}} {
		data, err := os.ReadFile("/proc/sysvipc/" + c.list)
		if err != nil {
			return SysvUse{}, fmt.Errorf("count System V objects: %w", err)
		}
		*c.n = max(strings.Count(string(data), "\n")-1, 0) // less the header
	}
	msgmni, err := readProcSysInt("/proc/sys/kernel/msgmni")
	if err != nil {
		return SysvUse{}, err
	}
	shmmni, err := readProcSysInt("/proc/sys/kernel/shmmni")
	if err != nil {
		return SysvUse{}, err
	}
	sem, err := os.ReadFile("/proc/sys/kernel/sem")
	if err != nil {
		return SysvUse{}, fmt.Errorf("read kernel limit: %w", err)
	}
	f := strings.Fields(string(sem)) // SEMMSL SEMMNS SEMOPM SEMMNI
	if len(f) != 4 {
		return SysvUse{}, fmt.Errorf("read kernel limit /proc/sys/kernel/sem: %q is not four numbers", sem)
	}
	if _, err := fmt.Sscan(f[3], &u.SemMax); err != nil {
		return SysvUse{}, fmt.Errorf("read kernel limit /proc/sys/kernel/sem: %w", err)
	}
	u.MsgMax, u.ShmMax = int(msgmni), int(shmmni)
	return u, nil
}

package ipc

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// MqAttr is struct mq_attr: a POSIX message queue's shape and fill level.
// Maxmsg and Msgsize are fixed when the queue is created; Curmsgs is the
// number of messages waiting in it now.
type MqAttr struct {
	Flags   int // 0 or unix.O_NONBLOCK, for this descriptor only
	Maxmsg  int // how many messages the queue holds
	Msgsize int // the largest message in bytes
	Curmsgs int // messages waiting now
	_       [4]int
}

// MqPrioMax is MQ_PRIO_MAX: priorities run from 0 to MqPrioMax-1, and a
// receiver always gets the oldest message of the highest priority first.
const MqPrioMax = 32768

// mqKernelName turns a POSIX queue name ("/orders") into the name the
// kernel's mq_open and mq_unlink take. glibc checks for exactly one slash,
// at the start, and strips it; the system call itself wants no slash at all.
// A bad name fails with EINVAL, as in C.
func mqKernelName(call, name string) (string, error) {
	if len(name) < 2 || name[0] != '/' || strings.Contains(name[1:], "/") {
		return "", syscallErr(call, unix.EINVAL)
	}
	return name[1:], nil
}

// MqOpen opens the POSIX message queue name ("/orders": one slash, at the
// start), creating it if flags hold unix.O_CREAT. flags also take
// unix.O_RDONLY, O_WRONLY or O_RDWR, and O_EXCL and O_NONBLOCK. mode is the
// permission bits of a new queue; attr gives a new queue's Maxmsg and
// Msgsize (nil: the system defaults, fs.mqueue.msg_default and
// msgsize_default). The caller owns the returned descriptor and closes it
// with unix.Close; it is close-on-exec (the kernel always sets that).
//
//	mqd_t mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr);
func MqOpen(name string, flags int, mode uint32, attr *MqAttr) (int, error) {
	kname, err := mqKernelName("mq_open", name)
	if err != nil {
		return -1, err
	}
	fd, err := mqOpen(kname, flags, mode, attr)
	if err != nil {
		return -1, syscallErr("mq_open", err)
	}
	return fd, nil
}

// MqTimedSend puts msg on the queue with priority prio (below MqPrioMax).
// On a full queue it sleeps until a receiver makes room or the absolute
// deadline passes (ETIMEDOUT); a zero deadline waits without limit. On a
// descriptor opened with O_NONBLOCK a full queue fails at once with EAGAIN.
// A signal does not cut the wait short: the wrapper waits again, for the
// same deadline.
//
//	int mq_timedsend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
//	                 unsigned int msg_prio, const struct timespec *abs_timeout);
func MqTimedSend(fd int, msg []byte, prio uint, deadline time.Time) error {
	ts := mqDeadline(deadline)
	err := ignoringEINTR(func() error { return mqTimedsend(fd, msg, prio, ts) })
	return syscallErr("mq_timedsend", err)
}

// MqTrySend is MqTimedSend that never waits: on a full queue it fails with
// EAGAIN and sends nothing.
//
// It passes the epoch as its deadline, a deadline long past. The kernel
// then sends if there is room and otherwise answers ETIMEDOUT without
// sleeping (see mqTrySend: so it is a raw system call, cheaper than
// MqTimedSend's); MqTrySend reports that
// as EAGAIN, the answer an O_NONBLOCK descriptor gives for the same full
// queue, so every try form in this package says "would block" the same way.
// (O_NONBLOCK itself is a flag of the open queue description, which
// mq_getsetattr would have to set and clear around each call.)
func MqTrySend(fd int, msg []byte, prio uint) error {
	err := mqTrySend(fd, msg, prio)
	return syscallErr("mq_timedsend", tryErrno(err))
}

// MqTimedReceive takes the oldest message of the highest priority off the
// queue into buf and returns its length and priority. buf must hold at
// least the queue's Msgsize bytes, or the call fails with EMSGSIZE. On an
// empty queue it sleeps until a message comes or the absolute deadline
// passes (ETIMEDOUT); a zero deadline waits without limit.
//
//	ssize_t mq_timedreceive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
//	                        unsigned int *msg_prio, const struct timespec *abs_timeout);
func MqTimedReceive(fd int, buf []byte, deadline time.Time) (n int, prio uint, err error) {
	ts := mqDeadline(deadline)
	err = ignoringEINTR(func() error {
		n, prio, err = mqTimedreceive(fd, buf, ts)
		return err
	})
	return n, prio, syscallErr("mq_timedreceive", err)
}

// MqTryReceive is MqTimedReceive that never waits: on an empty queue it
// fails with EAGAIN, for the reason given at MqTrySend.
func MqTryReceive(fd int, buf []byte) (n int, prio uint, err error) {
	n, prio, err = mqTryReceive(fd, buf)
	return n, prio, syscallErr("mq_timedreceive", tryErrno(err))
}

// tryErrno turns the ETIMEDOUT of a call made with an expired deadline into
// EAGAIN.
func tryErrno(err error) error {
	if errors.Is(err, unix.ETIMEDOUT) {
		return unix.EAGAIN
	}
	return err
}

// mqDeadline converts an absolute deadline to the CLOCK_REALTIME timespec
// the kernel takes; nil means no deadline. A time before 1970 becomes the
// epoch, since the kernel refuses negative seconds.
func mqDeadline(deadline time.Time) *unix.Timespec {
	if deadline.IsZero() {
		return nil
	}
	ts := unix.NsecToTimespec(max(deadline.UnixNano(), 0))
	return &ts
}

// MqGetattr reads the queue's attributes through an open descriptor;
// Curmsgs is its fill level.
//
//	int mq_getattr(mqd_t mqdes, struct mq_attr *attr);
func MqGetattr(fd int) (MqAttr, error) {
	var a MqAttr
	err := mqGetsetattr(fd, nil, &a)
	return a, syscallErr("mq_getattr", err)
}

// MqStat reads the attributes of the queue called name from outside: it
// opens the queue read-only, reads them and closes it again, so it neither
// sends nor receives. It needs read permission on the queue.
func MqStat(name string) (MqAttr, error) {
	fd, err := MqOpen(name, unix.O_RDONLY, 0, nil)
	if err != nil {
		return MqAttr{}, err
	}
	defer unix.Close(fd)
	return MqGetattr(fd)
}

// MqUnlink removes the queue's name. Processes that have it open keep using
// it; the queue, and the memory it is charged for, go with the last close.
//
//	int mq_unlink(const char *name);
func MqUnlink(name string) error {
	kname, err := mqKernelName("mq_unlink", name)
	if err != nil {
		return err
	}
	return syscallErr("mq_unlink", mqUnlink(kname))
}

// MqExists reports whether a queue called name exists, by opening it
// without O_CREAT: ENOENT means no. A queue this user may not open (EACCES)
// exists all the same.
func MqExists(name string) (bool, error) {
	fd, err := MqOpen(name, unix.O_RDONLY, 0, nil)
	switch {
	case err == nil:
		unix.Close(fd)
		return true, nil
	case errors.Is(err, unix.EACCES):
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, err
}

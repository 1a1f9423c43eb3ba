package ipc

import (
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// System V message queues carry typed messages: each has a positive type
// (a C long) that a receiver can select on, so one queue serves as many
// mailboxes, one per type, or as a priority queue. A queue is found by key
// (or created with IPC_PRIVATE and passed on by id) and lives until
// removed, whoever dies.

// Flags for Msgrcv, from <linux/msg.h>; x/sys/unix does not name them.
const (
	MsgNoError = 0o10000 // MSG_NOERROR: cut a message too long for the buffer instead of failing with E2BIG
	MsgExcept  = 0o20000 // MSG_EXCEPT: with a positive type, take the first message NOT of that type
)

// msgTypeSize is sizeof(long), the type field in front of every message.
const msgTypeSize = 8

// Msgget returns the id of the message queue with key, creating it when
// flags hold unix.IPC_CREAT (with the permission bits in flags, and
// unix.IPC_EXCL to insist on a new one). unix.IPC_PRIVATE as key always
// creates a new queue that no other process can find by key: pass its id.
//
//	int msgget(key_t key, int msgflg);
func Msgget(key, flags int) (int, error) {
	id, _, errno := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flags), 0)
	if errno != 0 {
		return -1, syscallErr("msgget", errno)
	}
	return int(id), nil
}

// Msgsnd appends a message of type mtype (at least 1) with text data to
// queue id. When the queue has no room (the text would pass its Qbytes
// capacity, or it already holds Qbytes messages, a bound that matters only
// for tiny messages) it sleeps until a receiver makes room; with
// unix.IPC_NOWAIT in flags it fails at once with EAGAIN, the try form. A
// signal does not end the wait (msgsnd is never restarted by the kernel;
// the wrapper calls again). If the queue is removed meanwhile the call
// fails with EIDRM. A text longer than kernel.msgmax fails with EINVAL.
// With IPC_NOWAIT, which cannot sleep, it is a raw system call, cheaper
// than the blocking form's (see msg_unsafe.go).
//
//	int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
func Msgsnd(id, mtype int, data []byte, flags int) error {
	p := msgBuf(msgTypeSize + len(data))
	defer msgBufs.Put(p)
	buf := *p
	binary.NativeEndian.PutUint64(buf, uint64(mtype))
	copy(buf[msgTypeSize:], data)
	err := ignoringEINTR(func() error { return msgsnd(id, buf, flags) })
	return syscallErr("msgsnd", err)
}

// Msgrcv takes a message off queue id into buf and returns the length of
// its text and its type. mtype selects the message: 0 takes the oldest;
// a positive mtype the oldest of that type (of any other type with
// MsgExcept); a negative mtype the oldest of the lowest type at most
// -mtype, which makes types priorities. When no message matches it sleeps
// until one is sent; with unix.IPC_NOWAIT in flags it fails at once with
// ENOMSG, the try form. A message longer than buf fails with E2BIG and
// stays queued, unless flags hold MsgNoError. With IPC_NOWAIT it is a raw
// system call, as Msgsnd is.
//
//	ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg);
func Msgrcv(id int, buf []byte, mtype, flags int) (n, gotType int, err error) {
	p := msgBuf(msgTypeSize + len(buf))
	defer msgBufs.Put(p)
	raw := *p
	n, err = ignoringEINTRN(func() (int, error) { return msgrcv(id, raw, mtype, flags) })
	if err != nil {
		return 0, 0, syscallErr("msgrcv", err)
	}
	copy(buf, raw[msgTypeSize:msgTypeSize+n])
	return n, int(int64(binary.NativeEndian.Uint64(raw))), nil
}

// msgBufs recycles the buffers in which Msgsnd and Msgrcv lay a message
// out for the kernel (its type, then its text), so that a process sending
// or receiving in a loop does not allocate one per message.
var msgBufs sync.Pool

// msgBuf returns a buffer of n bytes from msgBufs, to be put back when the
// call is done. Its contents are left over from earlier calls.
func msgBuf(n int) *[]byte {
	p, _ := msgBufs.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	*p = (*p)[:n]
	return p
}

// MsgState is what msgctl IPC_STAT reports about a queue: its live state.
type MsgState struct {
	Key    int    // the key it was created with (0 for IPC_PRIVATE)
	Mode   uint32 // permission bits
	Qnum   int    // messages waiting: the depth
	Cbytes int    // bytes of text waiting
	Qbytes int    // capacity in bytes
	Lspid  int    // pid of the last sender (0 if none yet)
	Lrpid  int    // pid of the last receiver (0 if none yet)
	Stime  time.Time
	Rtime  time.Time
	Ctime  time.Time
}

// MsgStat reads queue id's state. It needs read permission on the queue,
// not a share in it: the server watches queues this way from outside.
//
//	int msgctl(int msqid, IPC_STAT, struct msqid_ds *buf);
func MsgStat(id int) (MsgState, error) {
	var ds msqidDS
	if err := msgctl(id, unix.IPC_STAT, &ds); err != nil {
		return MsgState{}, syscallErr("msgctl IPC_STAT", err)
	}
	return MsgState{
		Key: int(ds.Perm.Key), Mode: ds.Perm.Mode & 0o777,
		Qnum: int(ds.Qnum), Cbytes: int(ds.Cbytes), Qbytes: int(ds.Qbytes),
		Lspid: int(ds.Lspid), Lrpid: int(ds.Lrpid),
		Stime: unixTimeOrZero(ds.Stime), Rtime: unixTimeOrZero(ds.Rtime), Ctime: unixTimeOrZero(ds.Ctime),
	}, nil
}

// unixTimeOrZero converts seconds since the epoch, where 0 means "never".
func unixTimeOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// MsgSetQbytes changes queue id's capacity to qbytes bytes: how a lesson
// shrinks a queue so it fills sooner. Lowering it is allowed to the owner;
// raising it past kernel.msgmnb takes CAP_SYS_RESOURCE (EPERM otherwise).
//
//	int msgctl(int msqid, IPC_SET, struct msqid_ds *buf);
func MsgSetQbytes(id, qbytes int) error {
	var ds msqidDS
	if err := msgctl(id, unix.IPC_STAT, &ds); err != nil {
		return syscallErr("msgctl IPC_STAT", err)
	}
	ds.Qbytes = uint64(qbytes)
	return syscallErr("msgctl IPC_SET", msgctl(id, unix.IPC_SET, &ds))
}

// MsgRemove removes queue id at once, with the messages in it; processes
// asleep in Msgsnd or Msgrcv on it wake with EIDRM.
//
//	int msgctl(int msqid, IPC_RMID, NULL);
func MsgRemove(id int) error {
	return syscallErr("msgctl IPC_RMID", msgctl(id, unix.IPC_RMID, nil))
}

// MsgKeyExists reports whether a message queue with key exists.
func MsgKeyExists(key int) (bool, error) {
	_, err := Msgget(key, 0)
	return keyLookup(err)
}

// MsgIDListed reports whether queue id still appears in /proc/sysvipc/msg,
// the list ipcs -q prints.
func MsgIDListed(id int) (bool, error) {
	return listedInSysvipc("/proc/sysvipc/msg", id)
}

// MsgLimits are the kernel's limits on System V message queues.
type MsgLimits struct {
	Msgmax int // largest message text in bytes (kernel.msgmax)
	Msgmnb int // capacity in bytes of a new queue (kernel.msgmnb)
	Msgmni int // queues in the whole system (kernel.msgmni)
}

// ReadMsgLimits reads the limits from /proc/sys/kernel.
func ReadMsgLimits() (MsgLimits, error) {
	var l MsgLimits
	for _, f := range []struct {
		name string
		dst  *int
	}{{"msgmax", &l.Msgmax}, {"msgmnb", &l.Msgmnb}, {"msgmni", &l.Msgmni}} {
		n, err := readProcSysInt("/proc/sys/kernel/" + f.name)
		if err != nil {
			return MsgLimits{}, err
		}
		*f.dst = int(n)
	}
	return l, nil
}

// Check says in words why messages of size bytes cannot go through a new
// queue under these limits, or returns nil if they can. The error is a
// *LimitError.
func (l MsgLimits) Check(size int) error {
	switch {
	case size < 0:
		return &LimitError{Limit: "msgsz", Max: int64(l.Msgmax), Text: "a message cannot have a negative size"}
	case size > l.Msgmax:
		return limitErr("kernel.msgmax", int64(l.Msgmax), "a message may be at most %d bytes", l.Msgmax)
	case size > l.Msgmnb:
		return limitErr("kernel.msgmnb", int64(l.Msgmnb), "the queue holds at most %d bytes", l.Msgmnb)
	}
	return nil
}

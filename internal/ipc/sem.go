package ipc

import (
	"time"

	"golang.org/x/sys/unix"
)

// SemUndo (SEM_UNDO) in Sembuf.Flg asks the kernel to reverse the
// operation when the process exits, however it exits: a process killed
// while holding a semaphore as a lock gives it back.
const SemUndo = 0x1000

// semctl commands from <linux/sem.h>; x/sys/unix does not name them.
const (
	semGetPid  = 11 // GETPID
	semGetVal  = 12 // GETVAL
	semGetNcnt = 14 // GETNCNT
	semGetZcnt = 15 // GETZCNT
	semSetVal  = 16 // SETVAL
)

// Sembuf is one operation of a semop call, laid out as the kernel's struct
// sembuf: on semaphore Num of the set, add Op (a negative Op waits until
// the value can drop that far without going below zero; zero waits for the
// value to be zero). Flg takes SemUndo and unix.IPC_NOWAIT.
type Sembuf struct {
	Num uint16
	Op  int16
	Flg int16
}

// Semget returns the id of the System V semaphore set with key, creating a
// set of nsems semaphores, all zero, when flags hold IPC_CREAT. flags also
// carry the permission bits and may add IPC_EXCL.
//
//	int semget(key_t key, int nsems, int semflg);
func Semget(key, nsems, flags int) (int, error) {
	id, _, errno := unix.Syscall(unix.SYS_SEMGET, uintptr(key), uintptr(nsems), uintptr(flags))
	if errno != 0 {
		return -1, syscallErr("semget", errno)
	}
	return int(id), nil
}

// Semop applies all of ops at once, or none: if one would block, the call
// sleeps until all can go through together. That is how a process takes two
// semaphores without ever holding just one. A signal interrupts the wait
// (semop is never restarted); the wrapper goes back to waiting. If the set
// is removed meanwhile the call fails with EIDRM.
//
//	int semop(int semid, struct sembuf *sops, size_t nsops);
func Semop(id int, ops ...Sembuf) error {
	err := ignoringEINTR(func() error { return semtimedop(id, ops, nil) })
	return syscallErr("semop", err)
}

// SemTryop is Semop with IPC_NOWAIT added to every operation: where Semop
// would sleep it fails at once with EAGAIN and changes nothing. Since it
// cannot sleep it is a raw system call, cheaper than a Semop that can (see
// semtimedop).
func SemTryop(id int, ops ...Sembuf) error {
	var small [4]Sembuf // the usual one or two operations need no allocation
	nowait := small[:0]
	for _, op := range ops {
		op.Flg |= unix.IPC_NOWAIT
		nowait = append(nowait, op)
	}
	return syscallErr("semop", semtimedop(id, nowait, nil))
}

// semCannotSleep reports whether semop with ops returns without sleeping
// whatever the values are: only an operation that subtracts (Op < 0) or
// waits for zero (Op == 0) ever waits, and not with IPC_NOWAIT. A Semop
// made only of additions, a post, is such a call too.
func semCannotSleep(ops []Sembuf) bool {
	for _, op := range ops {
		if op.Op <= 0 && op.Flg&unix.IPC_NOWAIT == 0 {
			return false
		}
	}
	return true
}

// Semtimedop is Semop that waits at most d. When d runs out the kernel
// reports EAGAIN (not ETIMEDOUT), as it does for IPC_NOWAIT. A wait that a
// signal interrupts goes on for the time that is left.
//
//	int semtimedop(int semid, struct sembuf *sops, size_t nsops,
//	               const struct timespec *timeout);
func Semtimedop(id int, d time.Duration, ops ...Sembuf) error {
	deadline := time.Now().Add(d)
	err := ignoringEINTR(func() error {
		ts := unix.NsecToTimespec(max(time.Until(deadline), 0).Nanoseconds())
		return semtimedop(id, ops, &ts)
	})
	return syscallErr("semtimedop", err)
}

// semctl makes one semctl call. arg is the union semun, which the kernel
// takes by value: the int itself for SETVAL, unused for the commands here.
//
//	int semctl(int semid, int semnum, int cmd, ...);
func semctl(name string, id, num, cmd int, arg uintptr) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), arg, 0, 0)
	if errno != 0 {
		return -1, syscallErr(name, errno)
	}
	return int(r), nil
}

// SemGetVal reads the value of semaphore num of set id.
//
//	int semctl(int semid, int semnum, GETVAL);
func SemGetVal(id, num int) (int, error) {
	return semctl("semctl GETVAL", id, num, semGetVal, 0)
}

// SemGetNcnt counts the processes asleep in semop waiting for semaphore
// num to grow: the waiters a viewer sees queued on it.
//
//	int semctl(int semid, int semnum, GETNCNT);
func SemGetNcnt(id, num int) (int, error) {
	return semctl("semctl GETNCNT", id, num, semGetNcnt, 0)
}

// SemGetZcnt counts the processes asleep waiting for semaphore num to
// reach zero.
//
//	int semctl(int semid, int semnum, GETZCNT);
func SemGetZcnt(id, num int) (int, error) {
	return semctl("semctl GETZCNT", id, num, semGetZcnt, 0)
}

// SemGetPid returns the pid of the last process to operate on semaphore
// num (0 if none has yet).
//
//	int semctl(int semid, int semnum, GETPID);
func SemGetPid(id, num int) (int, error) {
	return semctl("semctl GETPID", id, num, semGetPid, 0)
}

// SemSetVal sets semaphore num of set id to val, waking the waiters that
// can now proceed, and clears every process's SEM_UNDO adjustment for it.
//
//	int semctl(int semid, int semnum, SETVAL, int val);
func SemSetVal(id, num, val int) error {
	_, err := semctl("semctl SETVAL", id, num, semSetVal, uintptr(val))
	return err
}

// SemRemove removes set id at once; processes asleep on it wake with
// EIDRM.
//
//	int semctl(int semid, 0, IPC_RMID);
func SemRemove(id int) error {
	_, err := semctl("semctl IPC_RMID", id, 0, unix.IPC_RMID, 0)
	return err
}

// SemKeyExists reports whether a semaphore set with key exists.
func SemKeyExists(key int) (bool, error) {
	_, err := Semget(key, 0, 0)
	return keyLookup(err)
}

// SemIDListed reports whether set id still appears in /proc/sysvipc/sem,
// the list ipcs -s prints.
func SemIDListed(id int) (bool, error) {
	return listedInSysvipc("/proc/sysvipc/sem", id)
}

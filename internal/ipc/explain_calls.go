package ipc

import "golang.org/x/sys/unix"

// callWords says what an errno means from one call in particular, where the
// general sentence would leave a student, or an operator, guessing which
// limit was met: ENOSPC from fallocate on /dev/shm is a full file system,
// from msgget it is the system's count of queues.
var callWords = map[string]map[unix.Errno]string{
	"fallocate": {
		unix.ENOSPC: "/dev/shm is full: there is no room for the segment's pages (ENOSPC)",
	},
	"ftruncate": {
		unix.ENOSPC: "/dev/shm is full: there is no room for the segment (ENOSPC)",
	},
	"shm_open": {
		unix.ENOSPC: "/dev/shm is full: it has no room, or no inodes, for another object (ENOSPC)",
	},
	"mq_open": {
		unix.EMFILE: "this user's message queues already hold all the memory they may (RLIMIT_MSGQUEUE), " +
			"or the process has too many descriptors open (EMFILE)",
		unix.ENOSPC: "the system has as many POSIX message queues as it allows (fs.mqueue.queues_max) (ENOSPC)",
	},
	"msgget": {
		unix.ENOSPC: "the system has as many System V message queues as it allows (kernel.msgmni) (ENOSPC)",
	},
	"semget": {
		unix.ENOSPC: "the system has as many System V semaphore sets, or semaphores, as it allows " +
			"(kernel.sem) (ENOSPC)",
	},
	"shmget": {
		unix.ENOSPC: "the system has as many System V shared memory segments, or bytes, as it allows " +
			"(kernel.shmmni, kernel.shmall) (ENOSPC)",
	},
}

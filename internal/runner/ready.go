package runner

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// Readiness: whether a session started now could get what it needs. A
// server that is up (/healthz) may still be unable to run anything: every
// slot taken, /dev/shm full, the user's message queue memory spent, no
// System V ids left. Ready says so, in words, for /readyz.

// shmNeed is the most a session writes to /dev/shm: the largest POSIX ring
// (1 MiB) and a page for its two semaphores.
const shmNeed = 1<<20 + 1<<12

// readyEvery is how long one reading of the kernel's room is trusted: a
// probe of every kind costs a few system calls and three small reads of
// /proc, and a load balancer may ask many times a second.
const readyEvery = time.Second

// kernelRoom is one reading of the room left for a session's objects.
type kernelRoom struct {
	shmFree, shmInodes uint64
	shmErr             error  // statfs failed: the room is unknown, not refused
	mqErr              error  // why the smallest POSIX queue could not be made
	sysvFull           string // which System V table is full, in words
	sysvErr            error  // the lists could not be read: unknown
}

// Ready reports whether the runner can start a session now, and if not, why
// in a sentence. It is cheap to call often: the kernel is asked at most
// once a second.
func (r *Runner) Ready() (ok bool, reason string) {
	r.mu.Lock()
	closed, running, limit := r.closed, r.running, r.cfg.MaxSessions
	r.mu.Unlock()
	if closed {
		return readiness(true, running, limit, kernelRoom{})
	}
	return readiness(false, running, limit, r.kernel.room.get())
}

// readiness decides from what Ready gathered.
func readiness(closed bool, running, limit int, room kernelRoom) (bool, string) {
	if closed {
		return false, "the server is shutting down"
	}
	var why []string
	if running >= limit {
		why = append(why, fmt.Sprintf("all %d session slots are taken: one must end before another can start", limit))
	}
	if room.shmErr == nil {
		switch {
		case room.shmInodes == 0:
			why = append(why, "/dev/shm has no inodes left for a shared memory object")
		case room.shmFree < shmNeed:
			why = append(why, fmt.Sprintf("/dev/shm has %s free, less than the %s a shared memory session may need",
				kib(room.shmFree), kib(shmNeed)))
		}
	}
	switch {
	case errors.Is(room.mqErr, unix.EMFILE):
		why = append(why, "this user's POSIX message queues hold all the memory they may (RLIMIT_MSGQUEUE)")
	case errors.Is(room.mqErr, unix.ENOSPC):
		why = append(why, "the system has as many POSIX message queues as it allows (fs.mqueue.queues_max)")
	case errors.Is(room.mqErr, unix.ENOMEM):
		why = append(why, "the kernel has no memory for another POSIX message queue")
	}
	if room.sysvErr == nil && room.sysvFull != "" {
		why = append(why, room.sysvFull)
	}
	if len(why) > 0 {
		return false, strings.Join(why, "; ")
	}
	return true, ""
}

// kib writes a byte count in KiB, or MiB from 1 MiB up.
func kib(n uint64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// roomCache keeps the latest reading of the kernel's room for readyEvery.
type roomCache struct {
	probe func() kernelRoom
	now   func() time.Time

	mu   sync.Mutex
	at   time.Time
	room kernelRoom
	read bool
}

func (c *roomCache) get() kernelRoom {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); !c.read || now.Sub(c.at) >= readyEvery || now.Before(c.at) {
		c.room, c.at, c.read = c.probe(), now, true
	}
	return c.room
}

// probeRoom reads the kernel's room. mqName is the queue name the probe
// makes and removes again; it belongs to this instance, so a probe cut
// short by a crash is swept with the instance's other objects.
func probeRoom(mqName string) kernelRoom {
	var k kernelRoom
	k.shmFree, k.shmInodes, k.shmErr = ipc.ShmRoom("/dev/shm")
	k.mqErr = ipc.MqProbe(mqName)
	u, err := ipc.ReadSysvUse()
	k.sysvFull, k.sysvErr = u.Full(), err
	return k
}

// probeQueueName is the name of the POSIX queue an instance's readiness
// probe makes.
func probeQueueName(instanceDir string) string {
	return NamePrefix + filepath.Base(instanceDir) + ".probe"
}

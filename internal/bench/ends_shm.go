package bench

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// Shared memory, laid out as in the C program: one region per direction,
// its control words on cache lines of their own, then the message slots.
// And the signal ping-pong, which moves no bytes at all.

// noDeadline makes a POSIX queue call wait as long as it takes.
var noDeadline time.Time

const (
	ringSlots   = 8   // messages a ring holds, as in the C program
	ringCtlSize = 128 // two FutexSems, 64 bytes apart
)

// ringLayout returns the slot size for size-byte messages (rounded up to
// 64 bytes) and the size of one region, a whole number of pages.
func ringLayout(size int) (slot, region int) {
	slot = (size + 63) &^ 63
	region = (ringCtlSize + ringSlots*slot + 4095) &^ 4095
	return slot, region
}

// ring is one direction: two futex semaphores count its full and free
// slots, so a side enters the kernel only to sleep, or to wake one that
// sleeps.
type ring struct {
	full, free *ipc.FutexSem
	data       []byte
	slot       int
	pos        int // this side's count of messages put or taken
}

func newRing(mem []byte, slot int, create bool) (*ring, error) {
	var full, free *ipc.FutexSem
	var err error
	if create {
		if full, err = ipc.NewFutexSem(mem, 0); err == nil {
			free, err = ipc.NewFutexSem(mem[64:], ringSlots)
		}
	} else if full, err = ipc.FutexSemAt(mem); err == nil {
		free, err = ipc.FutexSemAt(mem[64:])
	}
	return &ring{full: full, free: free, data: mem[ringCtlSize:], slot: slot}, err
}

func (r *ring) put(b []byte) error {
	if err := r.free.Wait(); err != nil {
		return err
	}
	copy(r.data[(r.pos%ringSlots)*r.slot:], b)
	r.pos++
	_, err := r.full.Post()
	return err
}

func (r *ring) take(b []byte) error {
	if err := r.full.Wait(); err != nil {
		return err
	}
	copy(b, r.data[(r.pos%ringSlots)*r.slot:])
	r.pos++
	_, err := r.free.Post()
	return err
}

// ringEnd writes one ring and reads the other.
type ringEnd struct{ out, in *ring }

func (e ringEnd) send(b []byte) error { return e.out.put(b) }
func (e ringEnd) recv(b []byte) error { return e.in.take(b) }

// rings maps both directions from mem; the first region carries messages
// to the echo.
func rings(mem []byte, size int, driver bool) (ringEnd, error) {
	slot, region := ringLayout(size)
	toEcho, err := newRing(mem[:region], slot, driver)
	if err != nil {
		return ringEnd{}, err
	}
	toDriver, err := newRing(mem[region:2*region], slot, driver)
	if driver {
		return ringEnd{out: toEcho, in: toDriver}, err
	}
	return ringEnd{out: toDriver, in: toEcho}, err
}

// setupShmFutex creates a POSIX shared memory object for both rings and
// unlinks its name at once; the echo maps it through the descriptor it
// inherits.
func setupShmFutex(prefix string, size int) (made, error) {
	name := prefix + ".shm"
	fd, err := ipc.ShmOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return made{}, err
	}
	_ = ipc.ShmUnlink(name)
	_, region := ringLayout(size)
	mem, err := mapFd(fd, 2*region, true)
	if err != nil {
		unix.Close(fd)
		return made{}, err
	}
	e, err := rings(mem, size, true)
	if err != nil {
		unix.Close(fd)
		_ = ipc.Munmap(mem)
		return made{}, err
	}
	return made{end: e, files: files(fd), done: func() { _ = ipc.Munmap(mem) }}, nil
}

func mapFd(fd, size int, grow bool) ([]byte, error) {
	if grow {
		if err := ipc.Ftruncate(fd, int64(size)); err != nil {
			return nil, err
		}
	}
	return ipc.Mmap(fd, size)
}

func openShmFutex(fd, size int) (end, error) {
	_, region := ringLayout(size)
	mem, err := mapFd(fd, 2*region, false)
	if err != nil {
		return nil, err
	}
	unix.Close(fd)
	return rings(mem, size, false)
}

// semEnd hands one message at a time through a buffer per direction in a
// System V segment, with a System V semaphore per direction counting the
// messages waiting: send copies and adds one, recv takes one and copies.
type semEnd struct {
	id            int
	out, in       []byte
	semOut, semIn uint16
}

func (e semEnd) send(b []byte) error {
	copy(e.out, b)
	return ipc.Semop(e.id, ipc.Sembuf{Num: e.semOut, Op: 1})
}

func (e semEnd) recv(b []byte) error {
	if err := ipc.Semop(e.id, ipc.Sembuf{Num: e.semIn, Op: -1}); err != nil {
		return err
	}
	copy(b, e.in)
	return nil
}

// semBuffers returns the two buffers of a segment: to the echo, to the
// driver.
func semBuffers(mem []byte, size int) (toEcho, toDriver []byte) {
	_, region := ringLayout(size)
	return mem[ringCtlSize : ringCtlSize+size], mem[region+ringCtlSize : region+ringCtlSize+size]
}

// setupShmSem creates the segment and a set of two semaphores (0 counts
// messages to the echo, 1 to the driver). The segment is removed as soon
// as the driver has attached it: it lives on while a process has it
// attached, and Linux lets the echo attach a removed segment by its id, so
// a driver killed at any later instant leaves nothing. The set cannot
// outlive its removal, so the driver removes it at the end, and the caller
// if the driver died first.
func setupShmSem(size, semKey int) (made, error) {
	_, region := ringLayout(size)
	shmID, err := ipc.Shmget(unix.IPC_PRIVATE, 2*region, unix.IPC_CREAT|0o600)
	if err != nil {
		return made{}, err
	}
	seg, err := ipc.AttachSysvSegment(shmID)
	rerr := ipc.ShmRemove(shmID)
	if err != nil {
		return made{}, err
	}
	if rerr != nil {
		seg.Close()
		return made{}, rerr
	}
	semID, err := ipc.Semget(orPrivate(semKey), 2, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		seg.Close()
		return made{}, err
	}
	toEcho, toDriver := semBuffers(seg.Bytes(), size)
	return made{
		end:     semEnd{id: semID, out: toEcho, in: toDriver, semOut: 0, semIn: 1},
		args:    []string{strconv.Itoa(shmID), strconv.Itoa(semID)},
		objects: []string{fmt.Sprintf("sem %d", semID)},
		done:    func() { _ = ipc.SemRemove(semID); seg.Close() },
	}, nil
}

func openShmSem(args []string, size int) (end, error) {
	shmID, err := strconv.Atoi(args[0])
	if err != nil {
		return nil, err
	}
	semID, err := strconv.Atoi(args[1])
	if err != nil {
		return nil, err
	}
	seg, err := ipc.AttachSysvSegment(shmID)
	if err != nil {
		return nil, err
	}
	toEcho, toDriver := semBuffers(seg.Bytes(), size)
	return semEnd{id: semID, out: toDriver, in: toEcho, semOut: 1, semIn: 0}, nil
}

// sigEnd sends one signal to its peer with sigqueue and reads one from its
// signalfd. The driver sends SIGUSR1 and the echo answers SIGUSR2.
type sigEnd struct {
	r    *ipc.SignalReader
	peer int
	out  unix.Signal
	in   unix.Signal
}

func (e *sigEnd) send([]byte) error { return ipc.Sigqueue(e.peer, e.out, 0) }

func (e *sigEnd) recv([]byte) error {
	si, err := e.r.Read()
	if err == nil && si.Signo != e.in {
		err = fmt.Errorf("got signal %d, want %d", si.Signo, e.in)
	}
	return err
}

// signalsUsed are blocked in both processes from their start (see
// ipc.ReexecWithSignalsBlocked).
var signalsUsed = []unix.Signal{unix.SIGUSR1, unix.SIGUSR2}

func setupSignal() (made, error) {
	r, err := ipc.NewSignalReader(unix.SIGUSR2)
	if err != nil {
		return made{}, err
	}
	e := &sigEnd{r: r, out: unix.SIGUSR1, in: unix.SIGUSR2}
	return made{end: e, opened: func(pid int) error { e.peer = pid; return nil }, done: func() {}}, nil
}

func openSignal() (end, error) {
	r, err := ipc.NewSignalReader(unix.SIGUSR1)
	if err != nil {
		return nil, err
	}
	return &sigEnd{r: r, peer: os.Getppid(), out: unix.SIGUSR2, in: unix.SIGUSR1}, nil
}

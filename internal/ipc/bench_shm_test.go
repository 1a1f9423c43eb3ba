package ipc

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// Shared-memory mechanisms for BenchmarkIPC, laid out as in the C program:
// two regions, one per direction, each with its control words on cache
// lines of their own and then the message slots.

const (
	ringSlots   = 8   // messages a ring holds, as in the C program
	ringCtlSize = 128 // two FutexSems, 64 bytes apart
)

var benchShmSeq atomic.Int64

// ringLayout returns the slot size for size-byte messages (rounded up to
// 64 bytes) and the size of one region, a whole number of pages.
func ringLayout(size int) (slot, region int) {
	slot = (size + 63) &^ 63
	region = (ringCtlSize + ringSlots*slot + 4095) &^ 4095
	return slot, region
}

// futexRing is one direction of a ring of ringSlots messages in shared
// memory. Two semaphores count its full and free slots; a side sleeps in
// FUTEX_WAIT only when it has to, and the other makes FUTEX_WAKE only when
// someone may sleep, as the C program's ring does with its head and tail.
type futexRing struct {
	full, free *FutexSem
	data       []byte
	slot       int
	pos        uint32 // this side's count of messages put or taken
	try        bool   // TryWait before Wait
}

func newFutexRing(mem []byte, slot int, create bool) (*futexRing, error) {
	full, free, err := ringSems(mem, create)
	if err != nil {
		return nil, err
	}
	return &futexRing{full: full, free: free, data: mem[ringCtlSize:], slot: slot}, nil
}

// ringSems sets up a ring's two semaphores (creating) or finds them.
func ringSems(mem []byte, create bool) (full, free *FutexSem, err error) {
	if !create {
		full, err = FutexSemAt(mem)
		if err == nil {
			free, err = FutexSemAt(mem[64:])
		}
		return full, free, err
	}
	full, err = NewFutexSem(mem, 0)
	if err == nil {
		free, err = NewFutexSem(mem[64:], ringSlots)
	}
	return full, free, err
}

// acquire takes a unit of s: with TryWait first if r.try, then Wait if
// that would block.
func (r *futexRing) acquire(s *FutexSem) error {
	if r.try {
		if err := s.TryWait(); !WouldBlock(err) {
			return err
		}
	}
	return s.Wait()
}

func (r *futexRing) put(b []byte) error {
	if err := r.acquire(r.free); err != nil {
		return err
	}
	copy(r.data[int(r.pos%ringSlots)*r.slot:], b)
	r.pos++
	_, err := r.full.Post()
	return err
}

func (r *futexRing) take(b []byte) error {
	if err := r.acquire(r.full); err != nil {
		return err
	}
	copy(b, r.data[int(r.pos%ringSlots)*r.slot:])
	r.pos++
	_, err := r.free.Post()
	return err
}

// ringEnd writes one ring and reads the other.
type ringEnd struct{ out, in *futexRing }

func (e ringEnd) tryFirst() (benchEnd, error) {
	e.out.try, e.in.try = true, true
	return e, nil
}

func (e ringEnd) send(b []byte) error { return e.out.put(b) }
func (e ringEnd) recv(b []byte) error { return e.in.take(b) }

// setupShmFutex creates a POSIX shared memory object holding both rings;
// the child maps it by name.
func setupShmFutex(b *testing.B, size int) benchPair {
	name := fmt.Sprintf("/ipcbench-%d-%d", os.Getpid(), benchShmSeq.Add(1))
	slot, region := ringLayout(size)
	seg, err := CreateShmSegment(name, 2*region)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { seg.Close(); _ = ShmUnlink(name) })
	mem := seg.Bytes()
	toChild, err := newFutexRing(mem[:region], slot, true)
	if err != nil {
		b.Fatal(err)
	}
	toParent, err := newFutexRing(mem[region:], slot, true)
	if err != nil {
		b.Fatal(err)
	}
	return benchPair{end: ringEnd{out: toChild, in: toParent}, args: []string{name}}
}

func openShmFutexEnd(size int, args []string) (benchEnd, error) {
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return nil, err
	}
	slot, region := ringLayout(size)
	mem := seg.Bytes()
	if len(mem) < 2*region {
		return nil, fmt.Errorf("segment of %d bytes, want %d", len(mem), 2*region)
	}
	in, err := newFutexRing(mem[:region], slot, false)
	if err != nil {
		return nil, err
	}
	out, err := newFutexRing(mem[region:], slot, false)
	return ringEnd{out: out, in: in}, err
}

// semEnd hands one message at a time through a buffer per direction in a
// System V segment, with a System V semaphore per direction counting the
// messages waiting: send copies and adds one, recv takes one and copies.
// With try set, recv tries with IPC_NOWAIT first; send's semop, an
// addition, never waits, and the scenarios make it directly too.
type semEnd struct {
	id      int
	out, in []byte
	semOut  uint16
	semIn   uint16
	try     bool
}

func (e semEnd) tryFirst() (benchEnd, error) { e.try = true; return e, nil }

func (e semEnd) send(b []byte) error {
	copy(e.out, b)
	return Semop(e.id, Sembuf{Num: e.semOut, Op: 1})
}

func (e semEnd) recv(b []byte) error {
	take := Sembuf{Num: e.semIn, Op: -1}
	err := error(unix.EAGAIN) // without try, straight to the blocking call
	if e.try {
		err = SemTryop(e.id, take)
	}
	if WouldBlock(err) {
		err = Semop(e.id, take)
	}
	if err != nil {
		return err
	}
	copy(b, e.in)
	return nil
}

// setupShmSem creates the segment and a set of two semaphores; semaphore 0
// counts messages to the child, 1 messages to the parent.
func setupShmSem(b *testing.B, size int) benchPair {
	_, region := ringLayout(size)
	shmID, err := Shmget(unix.IPC_PRIVATE, 2*region, unix.IPC_CREAT|0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ShmRemove(shmID) })
	seg, err := AttachSysvSegment(shmID)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { seg.Close() })
	semID, err := Semget(unix.IPC_PRIVATE, 2, unix.IPC_CREAT|0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = SemRemove(semID) })
	mem := seg.Bytes()
	end := semEnd{id: semID, out: mem[ringCtlSize : ringCtlSize+size],
		in: mem[region+ringCtlSize : region+ringCtlSize+size], semOut: 0, semIn: 1}
	return benchPair{end: end, args: []string{strconv.Itoa(shmID), strconv.Itoa(semID)}}
}

func openShmSemEnd(size int, args []string) (benchEnd, error) {
	shmID, _ := strconv.Atoi(args[0])
	semID, _ := strconv.Atoi(args[1])
	seg, err := AttachSysvSegment(shmID)
	if err != nil {
		return nil, err
	}
	_, region := ringLayout(size)
	mem := seg.Bytes()
	return semEnd{id: semID, in: mem[ringCtlSize : ringCtlSize+size],
		out: mem[region+ringCtlSize : region+ringCtlSize+size], semOut: 1, semIn: 0}, nil
}

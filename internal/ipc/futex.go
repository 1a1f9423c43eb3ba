package ipc

import (
	"errors"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// futex operations. The FUTEX_PRIVATE_FLAG variants are not used: they key
// the wait queue on this process's address space, and the words here are
// shared with other processes, which map them at other addresses.
const (
	futexWaitOp = 0 // FUTEX_WAIT: sleep if the word still holds val
	futexWakeOp = 1 // FUTEX_WAKE: wake up to val sleepers on the word
)

// futexSemMax is SEM_VALUE_MAX on Linux.
const futexSemMax = math.MaxInt32

// FutexSemSize is the number of bytes a FutexSem occupies in shared memory.
const FutexSemSize = 8

// FutexSem is a counting semaphore, as POSIX sem_t, kept in two 32-bit words
// of shared memory: the value, and the number of processes that found it
// zero and are waiting. The kernel is entered only to sleep (FUTEX_WAIT on
// the value word) and to wake a sleeper (FUTEX_WAKE), and Post makes that
// call only when the waiters word says someone may sleep.
//
// A process killed while it waits leaves the waiters word one too high;
// Post then makes a syscall that wakes nobody, which is harmless.
type FutexSem struct {
	value   *uint32
	waiters *uint32
}

// NewFutexSem sets up a semaphore with value initial in the first
// FutexSemSize bytes of mem, which must be 4-byte aligned. Exactly one
// process does this, before any other uses the semaphore.
func NewFutexSem(mem []byte, initial uint32) (*FutexSem, error) {
	if initial > futexSemMax {
		return nil, errors.New("futex semaphore: initial value above SEM_VALUE_MAX")
	}
	s, err := FutexSemAt(mem)
	if err != nil {
		return nil, err
	}
	atomic.StoreUint32(s.waiters, 0)
	atomic.StoreUint32(s.value, initial)
	return s, nil
}

// FutexSemAt uses the semaphore another process set up in mem with
// NewFutexSem.
func FutexSemAt(mem []byte) (*FutexSem, error) {
	if len(mem) < FutexSemSize {
		return nil, errors.New("futex semaphore: needs 8 bytes of shared memory")
	}
	v, err := uint32At(mem)
	if err != nil {
		return nil, err
	}
	w, err := uint32At(mem[4:])
	if err != nil {
		return nil, err
	}
	return &FutexSem{value: v, waiters: w}, nil
}

// Value reads the semaphore's value.
func (s *FutexSem) Value() int { return int(atomic.LoadUint32(s.value)) }

// Waiters reads how many processes are in Wait or TimedWait having found
// the value zero: asleep in the kernel, or about to be.
func (s *FutexSem) Waiters() int { return int(atomic.LoadUint32(s.waiters)) }

// take decrements the value if it is above zero, with a compare-and-swap
// loop so that two processes never take the same unit.
func (s *FutexSem) take() bool {
	for {
		v := atomic.LoadUint32(s.value)
		if v == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(s.value, v, v-1) {
			return true
		}
	}
}

// TryWait decrements the value if it is above zero, and otherwise fails
// with EAGAIN at once, as sem_trywait does.
func (s *FutexSem) TryWait() error {
	if s.take() {
		return nil
	}
	return syscallErr("sem_trywait", unix.EAGAIN)
}

// Wait decrements the value, sleeping in the kernel while it is zero.
func (s *FutexSem) Wait() error {
	return s.wait("sem_wait", nil)
}

// TimedWait is Wait that gives up with ETIMEDOUT after d.
func (s *FutexSem) TimedWait(d time.Duration) error {
	deadline := time.Now().Add(d)
	return s.wait("sem_timedwait", &deadline)
}

// wait loops: take a unit if there is one; if not, count itself a waiter
// and sleep while the value word is still zero. The kernel compares the
// word and queues the sleeper atomically, so a Post that lands between the
// take and the sleep makes FUTEX_WAIT return EAGAIN at once instead of
// being missed.
func (s *FutexSem) wait(name string, deadline *time.Time) error {
	for !s.take() {
		var ts *unix.Timespec
		if deadline != nil {
			left := time.Until(*deadline)
			if left <= 0 {
				return syscallErr(name, unix.ETIMEDOUT)
			}
			t := unix.NsecToTimespec(left.Nanoseconds())
			ts = &t
		}
		atomic.AddUint32(s.waiters, 1)
		_, err := futex(s.value, futexWaitOp, 0, ts)
		atomic.AddUint32(s.waiters, ^uint32(0))
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) &&
			!errors.Is(err, unix.ETIMEDOUT) {
			return syscallErr("futex", err)
		}
	}
	return nil
}

// Post increments the value and, if some process may be waiting, wakes
// one. It returns how many the kernel woke: 0 when no syscall was needed
// (or the waiter had not gone to sleep yet), 1 otherwise. Past
// SEM_VALUE_MAX it fails with EOVERFLOW, as sem_post does.
func (s *FutexSem) Post() (woken int, err error) {
	for {
		v := atomic.LoadUint32(s.value)
		if v >= futexSemMax {
			return 0, syscallErr("sem_post", unix.EOVERFLOW)
		}
		if atomic.CompareAndSwapUint32(s.value, v, v+1) {
			break
		}
	}
	if atomic.LoadUint32(s.waiters) == 0 {
		return 0, nil
	}
	n, err := futexWake(s.value, 1)
	return n, syscallErr("futex", err)
}

// FutexMutexSize is the number of bytes a FutexMutex occupies.
const FutexMutexSize = 4

// Mutex states, as in Ulrich Drepper's "Futexes Are Tricky".
const (
	mutexFree      = 0 // unlocked
	mutexLocked    = 1 // locked, nobody waiting
	mutexContended = 2 // locked, and someone may be asleep waiting
)

// FutexMutex is a lock in one 32-bit word of shared memory, with three
// states: 0 free, 1 locked, 2 locked with waiters. Taking a free lock and
// releasing an uncontended one are single atomic instructions; only a
// contended lock enters the kernel. It is not robust: if the holder dies,
// the lock stays taken.
type FutexMutex struct {
	state *uint32
}

// NewFutexMutex sets up an unlocked mutex in the first 4 bytes of mem.
func NewFutexMutex(mem []byte) (*FutexMutex, error) {
	m, err := FutexMutexAt(mem)
	if err != nil {
		return nil, err
	}
	atomic.StoreUint32(m.state, mutexFree)
	return m, nil
}

// FutexMutexAt uses the mutex another process set up in mem.
func FutexMutexAt(mem []byte) (*FutexMutex, error) {
	w, err := uint32At(mem)
	if err != nil {
		return nil, err
	}
	return &FutexMutex{state: w}, nil
}

// State reads the lock word: 0 free, 1 locked, 2 locked with waiters.
func (m *FutexMutex) State() int { return int(atomic.LoadUint32(m.state)) }

// TryLock takes the lock if it is free, and otherwise fails with EAGAIN
// (pthread_mutex_trylock says EBUSY; EAGAIN is what every other try form in
// this package returns).
func (m *FutexMutex) TryLock() error {
	if atomic.CompareAndSwapUint32(m.state, mutexFree, mutexLocked) {
		return nil
	}
	return syscallErr("mutex trylock", unix.EAGAIN)
}

// Lock takes the lock, sleeping in the kernel while another process holds
// it. A waiter always sets the state to 2 so that the holder's Unlock knows
// to wake someone.
func (m *FutexMutex) Lock() error {
	if atomic.CompareAndSwapUint32(m.state, mutexFree, mutexLocked) {
		return nil
	}
	for atomic.SwapUint32(m.state, mutexContended) != mutexFree {
		_, err := futex(m.state, futexWaitOp, mutexContended, nil)
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return syscallErr("futex", err)
		}
	}
	return nil
}

// Unlock releases the lock and, if it was contended, wakes one waiter.
func (m *FutexMutex) Unlock() error {
	if atomic.SwapUint32(m.state, mutexFree) == mutexLocked {
		return nil
	}
	_, err := futexWake(m.state, 1)
	return syscallErr("futex", err)
}

// SharedInt64 is a 64-bit counter in shared memory, for the race lesson.
// Every access is an atomic load or store, so the Go race detector has
// nothing to report; what is or is not atomic is the read-modify-write.
type SharedInt64 struct {
	p *int64
}

// SharedInt64At uses the first 8 bytes of mem, which must be 8-byte aligned.
func SharedInt64At(mem []byte) (*SharedInt64, error) {
	p, err := int64At(mem)
	if err != nil {
		return nil, err
	}
	return &SharedInt64{p: p}, nil
}

// Load reads the counter.
func (c *SharedInt64) Load() int64 { return atomic.LoadInt64(c.p) }

// Store writes the counter.
func (c *SharedInt64) Store(v int64) { atomic.StoreInt64(c.p, v) }

// Swap writes v and returns the value it replaced. It is the same single
// store as Store (XCHG on x86, where Store uses XCHG too), so a race stays
// a race; the old value only tells what the store overwrote.
func (c *SharedInt64) Swap(v int64) int64 { return atomic.SwapInt64(c.p, v) }

// Add adds delta in one atomic instruction (LOCK XADD on x86) and returns
// the new value: no update is ever lost.
func (c *SharedInt64) Add(delta int64) int64 { return atomic.AddInt64(c.p, delta) }

// IncrementNonAtomic adds one the wrong way on purpose: a load, then a
// store of the loaded value plus one, as two separate instructions. If
// another process stores between the two, one of the increments is lost.
// It returns the value it stored.
func (c *SharedInt64) IncrementNonAtomic() int64 {
	v := atomic.LoadInt64(c.p)
	atomic.StoreInt64(c.p, v+1)
	return v + 1
}

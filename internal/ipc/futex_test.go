package ipc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Layout of the shared page in these tests.
const (
	offCounter = 0   // SharedInt64
	offMutex   = 64  // FutexMutex
	offSem     = 128 // FutexSem
)

func init() {
	registerChild("futex-sem-waiter", futexSemWaiter)
	registerChild("futex-mutex-holder", futexMutexHolder)
}

// futexSemWaiter waits on the semaphore in object args[0]: it tries first,
// reports "would-block ADDR" (ADDR: the value word in its own mapping),
// then waits and reports "got".
func futexSemWaiter(args []string) int {
	link := childLinkEnds()
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return roleFail("%v", err)
	}
	defer seg.Close()
	s, err := FutexSemAt(seg.Bytes()[offSem:])
	if err != nil {
		return roleFail("%v", err)
	}
	if err := s.TryWait(); !errors.Is(err, unix.EAGAIN) {
		return roleFail("TryWait at zero = %v, want EAGAIN", err)
	}
	link.report("would-block %p", &seg.Bytes()[offSem])
	if err := s.Wait(); err != nil {
		return roleFail("%v", err)
	}
	link.report("got")
	return awaitEnd(link)
}

// futexMutexHolder locks the mutex in object args[0], reports "locked",
// and unlocks when told "unlock".
func futexMutexHolder(args []string) int {
	link := childLinkEnds()
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return roleFail("%v", err)
	}
	defer seg.Close()
	m, err := FutexMutexAt(seg.Bytes()[offMutex:])
	if err != nil {
		return roleFail("%v", err)
	}
	if err := m.Lock(); err != nil {
		return roleFail("%v", err)
	}
	link.report("locked")
	if cmd := link.await(); cmd != "unlock" {
		return roleFail("told %q, want unlock", cmd)
	}
	if err := m.Unlock(); err != nil {
		return roleFail("%v", err)
	}
	return awaitEnd(link)
}

func TestFutexSemBlocksUntilPost(t *testing.T) {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	s, err := NewFutexSem(seg.Bytes()[offSem:], 0)
	if err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "futex-sem-waiter", nil, name)
	f := nextFields(t, link, "would-block")
	addr, _ := strconv.ParseUint(strings.TrimPrefix(f[0], "0x"), 16, 64)
	waitFor(t, 10*time.Second, "Waiters to show the child", func() bool { return s.Waiters() == 1 })
	// The kernel, too, shows the child asleep on the word.
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_FUTEX, addr)
	woken, err := s.Post()
	if err != nil || woken != 1 {
		t.Fatalf("Post = %d, %v, want 1 woken", woken, err)
	}
	link.expect(t, "got")
	if s.Value() != 0 || s.Waiters() != 0 {
		t.Fatalf("value %d, waiters %d after the wait, want 0 and 0", s.Value(), s.Waiters())
	}
	if woken, err := s.Post(); err != nil || woken != 0 {
		t.Fatalf("Post with nobody waiting = %d, %v, want no wake-up", woken, err)
	}
	finishLinked(t, c, link)
}

func TestFutexSemTimedWait(t *testing.T) {
	seg := createShm(t, shmName(t), 4096)
	s, err := NewFutexSem(seg.Bytes()[offSem:], 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.TimedWait(30 * time.Millisecond); !errors.Is(err, unix.ETIMEDOUT) {
		t.Fatalf("TimedWait at zero = %v, want ETIMEDOUT", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("gave up after %v, before its 30ms", d)
	}
	if s.Waiters() != 0 {
		t.Fatalf("waiters = %d after a timed-out wait, want 0", s.Waiters())
	}
	if _, err := s.Post(); err != nil {
		t.Fatal(err)
	}
	if err := s.TimedWait(time.Second); err != nil {
		t.Fatalf("TimedWait with the value at 1 = %v", err)
	}
	if err := s.TryWait(); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryWait at zero = %v, want EAGAIN", err)
	}
	if _, err := FutexSemAt(seg.Bytes()[1:]); err == nil {
		t.Fatal("FutexSemAt accepted a misaligned word")
	}
}

// A waiter killed in the middle of Wait leaves the waiters word one too
// high; Post still works, and the object goes when unlinked.
func TestFutexSemWaiterKilled(t *testing.T) {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	s, err := NewFutexSem(seg.Bytes()[offSem:], 0)
	if err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "futex-sem-waiter", nil, name)
	nextFields(t, link, "would-block")
	waitFor(t, 10*time.Second, "the child to wait", func() bool { return s.Waiters() == 1 })
	c.kill(t)
	if s.Waiters() != 1 {
		t.Fatalf("waiters = %d after the waiter died, want the stale 1", s.Waiters())
	}
	if woken, err := s.Post(); err != nil || woken != 0 {
		t.Fatalf("Post = %d, %v, want nobody woken", woken, err)
	}
	if s.Value() != 1 {
		t.Fatalf("value %d, want 1", s.Value())
	}
}

func TestFutexMutexAcrossProcesses(t *testing.T) {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	m, err := NewFutexMutex(seg.Bytes()[offMutex:])
	if err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "futex-mutex-holder", nil, name)
	link.expect(t, "locked")
	if err := m.TryLock(); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryLock on a held lock = %v, want EAGAIN", err)
	}
	if m.State() != 1 {
		t.Fatalf("state %d while held without waiters, want 1", m.State())
	}
	locked := make(chan error, 1)
	go func() { locked <- m.Lock() }()
	waitFor(t, 10*time.Second, "the lock to show a waiter", func() bool { return m.State() == 2 })
	select {
	case err := <-locked:
		t.Fatalf("Lock returned %v while the child held the lock", err)
	default:
	}
	link.say(t, "unlock")
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock still waiting after the child unlocked")
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	if m.State() != 0 {
		t.Fatalf("state %d after unlock, want 0", m.State())
	}
	finishLinked(t, c, link)
}

func ExampleSharedInt64_IncrementNonAtomic() {
	name := fmt.Sprintf("/ipc-example-%d", unix.Getpid())
	seg, err := CreateShmSegment(name, 4096)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ShmUnlink(name)
	defer seg.Close()
	n, _ := SharedInt64At(seg.Bytes())
	n.IncrementNonAtomic()
	n.Add(2)
	fmt.Println(n.Load())
	// Output: 3
}

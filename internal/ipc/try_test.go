package ipc

import (
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// The try forms are raw system calls, which is safe only because they
// never sleep. These tests make each one answer "would block" many times
// on a full or empty object and check that the calling thread did not give
// up the CPU for it: a call that slept, even briefly, would count a
// voluntary context switch each time.

// tryTimes is how many times each try form is made.
const tryTimes = 2000

// assertNeverSleeps calls try tryTimes times on a locked thread and fails
// if any call did not answer "would block" or the thread slept for more
// than a few of them (the runtime itself may park the thread now and then).
func assertNeverSleeps(t *testing.T, what string, try func() error) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadVoluntarySwitches(t)
	for i := range tryTimes {
		if err := try(); !WouldBlock(err) {
			t.Fatalf("%s, call %d: got %v, want a would-block error", what, i, err)
		}
	}
	if slept := threadVoluntarySwitches(t) - before; slept > tryTimes/100 {
		t.Errorf("%s: the thread slept %d times in %d calls", what, slept, tryTimes)
	}
	// In a round trip nearly every try fails, one per message: a failed
	// try allocates nothing, its error made once and kept.
	if n := testing.AllocsPerRun(100, func() { try() }); n > 0 {
		t.Errorf("%s: %.1f allocations per failed try, want none", what, n)
	}
}

// threadVoluntarySwitches counts the times the calling thread has given up
// the CPU by sleeping.
func threadVoluntarySwitches(t *testing.T) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Nvcsw
}

func TestTryFormsNeverSleepPipe(t *testing.T) {
	r, w := testPipeEnds(t)
	assertPipeEndNeverSleeps(t, "pipe", r, w)
}

func TestTryFormsNeverSleepFifo(t *testing.T) {
	r, w := testFifoEnds(t)
	assertPipeEndNeverSleeps(t, "FIFO", r, w)
}

// assertPipeEndNeverSleeps makes r's TryRead on its empty pipe, then w's
// TryWrite on it full.
func assertPipeEndNeverSleeps(t *testing.T, what string, r, w *PipeEnd) {
	t.Helper()
	buf := make([]byte, 64)
	assertNeverSleeps(t, "PipeEnd.TryRead on an empty "+what, func() error {
		_, err := r.TryRead(buf)
		return err
	})
	fillByTries(t, w, make([]byte, 4096))
	assertNeverSleeps(t, "PipeEnd.TryWrite on a full "+what, func() error {
		_, err := w.TryWrite(buf)
		return err
	})
}

func TestTryFormsNeverSleepSocket(t *testing.T) {
	a, b, err := Socketpair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(a); unix.Close(b) })
	buf := make([]byte, 4096)
	assertNeverSleeps(t, "TryRecv on an empty socket", func() error {
		_, err := TryRecv(b, buf)
		return err
	})
	for filled := 0; ; filled += 4096 {
		if _, err := TrySend(a, buf); WouldBlock(err) {
			break
		} else if err != nil || filled > 1<<26 {
			t.Fatalf("filling the socket: %v after %d bytes", err, filled)
		}
	}
	assertNeverSleeps(t, "TrySend on a full socket", func() error {
		_, err := TrySend(a, buf)
		return err
	})
}

func TestTryFormsNeverSleepSysvMsg(t *testing.T) {
	id := testMsgQueue(t)
	if err := MsgSetQbytes(id, 64); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	assertNeverSleeps(t, "Msgrcv IPC_NOWAIT on an empty queue", func() error {
		_, _, err := Msgrcv(id, buf, 0, unix.IPC_NOWAIT)
		return err
	})
	if err := Msgsnd(id, 1, buf, unix.IPC_NOWAIT); err != nil {
		t.Fatal(err)
	}
	assertNeverSleeps(t, "Msgsnd IPC_NOWAIT on a full queue", func() error {
		return Msgsnd(id, 1, buf, unix.IPC_NOWAIT)
	})
}

func TestTryFormsNeverSleepSem(t *testing.T) {
	id, err := Semget(unix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := SemRemove(id); err != nil {
			t.Errorf("remove set %d: %v", id, err)
		}
	})
	assertNeverSleeps(t, "SemTryop -1 on a zero semaphore", func() error {
		return SemTryop(id, Sembuf{Op: -1})
	})
}

func TestTryFormsNeverSleepPosixMq(t *testing.T) {
	_, fd := testMq(t, 1, 64)
	buf := make([]byte, 64)
	assertNeverSleeps(t, "MqTryReceive on an empty queue", func() error {
		_, _, err := MqTryReceive(fd, buf)
		return err
	})
	if err := MqTrySend(fd, buf, 0); err != nil {
		t.Fatal(err)
	}
	assertNeverSleeps(t, "MqTrySend on a full queue", func() error {
		return MqTrySend(fd, buf, 0)
	})
}

func TestTryFormsNeverSleepSignalfd(t *testing.T) {
	r, err := NewSignalReader(SigRTMax)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	assertNeverSleeps(t, "SignalReader.TryRead with nothing pending", func() error {
		_, err := r.TryRead()
		return err
	})
}

// TestPostNeverSleeps checks the calls that are raw because they cannot
// sleep whatever the state: a FutexSem post that makes the FUTEX_WAKE call,
// and a semop that only adds.
func TestPostNeverSleeps(t *testing.T) {
	s, err := NewFutexSem(make([]byte, 16), 0) // 16 bytes from make are 16-byte aligned
	if err != nil {
		t.Fatal(err)
	}
	atomic.StoreUint32(s.waiters, 1) // a waiter counted but never asleep: every Post wakes
	id, err := Semget(unix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := SemRemove(id); err != nil {
			t.Errorf("remove set %d: %v", id, err)
		}
	})
	// assertNeverSleeps wants "would block"; here success is what is
	// wanted, so it is reported as that.
	asWouldBlock := func(err error) error {
		if err != nil {
			return err
		}
		return unix.EAGAIN
	}
	assertNeverSleeps(t, "FutexSem.Post with a waiter counted", func() error {
		_, err := s.Post()
		return asWouldBlock(err)
	})
	assertNeverSleeps(t, "Semop +1", func() error {
		return asWouldBlock(Semop(id, Sembuf{Op: 1}))
	})
}

package ipc

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("sem-op", semOpChild)
	registerChild("sem-deadlock", semDeadlockChild)
}

// semOpChild applies one operation to set args[0]: semaphore args[1], op
// args[2], SEM_UNDO if args[3] is "undo". It tries first and reports
// "would-block" before the blocking call, then "done" (or "eidrm" if the
// set is removed while it waits), and holds on until told to end.
func semOpChild(args []string) int {
	link := childLinkEnds()
	id, _ := strconv.Atoi(args[0])
	num, _ := strconv.Atoi(args[1])
	op, _ := strconv.Atoi(args[2])
	sb := Sembuf{Num: uint16(num), Op: int16(op)}
	if args[3] == "undo" {
		sb.Flg = SemUndo
	}
	err := SemTryop(id, sb)
	if errors.Is(err, unix.EAGAIN) {
		link.report("would-block")
		err = Semop(id, sb)
	}
	switch {
	case errors.Is(err, unix.EIDRM):
		link.report("eidrm")
	case err != nil:
		return roleFail("%v", err)
	default:
		link.report("done")
	}
	return awaitEnd(link)
}

// semDeadlockChild takes semaphore 1 of set args[0], then waits for
// semaphore 0, which the test holds.
func semDeadlockChild(args []string) int {
	link := childLinkEnds()
	id, _ := strconv.Atoi(args[0])
	if err := Semop(id, Sembuf{Num: 1, Op: -1, Flg: SemUndo}); err != nil {
		return roleFail("%v", err)
	}
	link.report("holds 1")
	if err := Semop(id, Sembuf{Num: 0, Op: -1, Flg: SemUndo}); err != nil {
		return roleFail("%v", err)
	}
	link.report("holds 0 and 1")
	return awaitEnd(link)
}

// createSemSet makes a private set of n semaphores for the test and, on
// cleanup, removes it and checks that the kernel's list no longer has it.
func createSemSet(t *testing.T, n int) int {
	t.Helper()
	id, err := Semget(unix.IPC_PRIVATE, n, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := SemRemove(id); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
			t.Errorf("remove semaphore set %d: %v", id, err)
		}
		if listed, err := SemIDListed(id); listed || err != nil {
			t.Errorf("set %d still in /proc/sysvipc/sem after cleanup (err %v)", id, err)
		}
	})
	return id
}

// semState reads one of the GET commands, failing the test on error.
func semState(t *testing.T, get func(id, num int) (int, error), id, num int) int {
	t.Helper()
	v, err := get(id, num)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSemBlocksUntilPost(t *testing.T) {
	id := createSemSet(t, 1)
	c, link := startLinked(t, "sem-op", nil, strconv.Itoa(id), "0", "-1", "")
	link.expect(t, "would-block")
	waitFor(t, 10*time.Second, "GETNCNT to show the child waiting", func() bool {
		return semState(t, SemGetNcnt, id, 0) == 1
	})
	if err := Semop(id, Sembuf{Num: 0, Op: 1}); err != nil {
		t.Fatal(err)
	}
	link.expect(t, "done")
	if v := semState(t, SemGetVal, id, 0); v != 0 {
		t.Errorf("value %d after one post and one wait, want 0", v)
	}
	if n := semState(t, SemGetNcnt, id, 0); n != 0 {
		t.Errorf("GETNCNT = %d after the wait ended, want 0", n)
	}
	if pid := semState(t, SemGetPid, id, 0); pid != c.cmd.Process.Pid {
		t.Errorf("GETPID = %d, want the child %d, which operated last", pid, c.cmd.Process.Pid)
	}
	finishLinked(t, c, link)
}

func TestSemWaitForZero(t *testing.T) {
	id := createSemSet(t, 1)
	if err := SemSetVal(id, 0, 2); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "sem-op", nil, strconv.Itoa(id), "0", "0", "")
	link.expect(t, "would-block")
	waitFor(t, 10*time.Second, "GETZCNT to show the child waiting", func() bool {
		return semState(t, SemGetZcnt, id, 0) == 1
	})
	if err := SemTryop(id, Sembuf{Num: 0, Op: -2}); err != nil {
		t.Fatal(err)
	}
	link.expect(t, "done")
	finishLinked(t, c, link)
}

func TestSemtimedopTimesOut(t *testing.T) {
	id := createSemSet(t, 1)
	start := time.Now()
	err := Semtimedop(id, 30*time.Millisecond, Sembuf{Num: 0, Op: -1})
	if !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("Semtimedop at zero = %v, want EAGAIN", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("gave up after %v, before its 30ms", d)
	}
	if err := SemSetVal(id, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := Semtimedop(id, time.Second, Sembuf{Num: 0, Op: -1}); err != nil {
		t.Fatalf("Semtimedop with the value at 1 = %v", err)
	}
	if err := Semop(id); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("Semop with no operations = %v, want EINVAL", err)
	}
}

func TestSemRemoveWakesWaiter(t *testing.T) {
	id, err := Semget(unix.IPC_PRIVATE, 1, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SemRemove(id) })
	c, link := startLinked(t, "sem-op", nil, strconv.Itoa(id), "0", "-1", "")
	link.expect(t, "would-block")
	waitFor(t, 10*time.Second, "the child to wait", func() bool {
		return semState(t, SemGetNcnt, id, 0) == 1
	})
	if err := SemRemove(id); err != nil {
		t.Fatal(err)
	}
	link.expect(t, "eidrm")
	if listed, _ := SemIDListed(id); listed {
		t.Fatal("set still listed after IPC_RMID")
	}
	if _, err := SemGetVal(id, 0); !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
		t.Fatalf("GETVAL on a removed set = %v, want EINVAL", err)
	}
	finishLinked(t, c, link)
}

// A process killed while it holds a semaphore with SEM_UNDO gives it back.
func TestSemUndoOnKill(t *testing.T) {
	key := testKey(t)
	id, err := Semget(key, 1, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = SemRemove(id)
		if ok, _ := SemKeyExists(key); ok {
			t.Error("key still finds the set after cleanup")
		}
	})
	if ok, err := SemKeyExists(key); !ok || err != nil {
		t.Fatalf("SemKeyExists = %v, %v after creating the set", ok, err)
	}
	if err := SemSetVal(id, 0, 1); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "sem-op", nil, strconv.Itoa(id), "0", "-1", "undo")
	link.expect(t, "done")
	if v := semState(t, SemGetVal, id, 0); v != 0 {
		t.Fatalf("value %d while the child holds it, want 0", v)
	}
	c.kill(t)
	if v := semState(t, SemGetVal, id, 0); v != 1 {
		t.Fatalf("value %d after the holder was killed, want 1 (SEM_UNDO)", v)
	}
}

// Two processes, two semaphores, taken in opposite orders: each ends up
// asleep waiting for the one the other holds, and the kernel's counts show
// the cycle. Killing one breaks it: SEM_UNDO releases what it held.
func TestSemDeadlockTwoSemaphores(t *testing.T) {
	id := createSemSet(t, 2)
	for num := range 2 {
		if err := SemSetVal(id, num, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := Semop(id, Sembuf{Num: 0, Op: -1, Flg: SemUndo}); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "sem-deadlock", nil, strconv.Itoa(id))
	link.expect(t, "holds 1")
	waitFor(t, 10*time.Second, "the child to wait for semaphore 0", func() bool {
		return semState(t, SemGetNcnt, id, 0) == 1
	})
	if err := SemTryop(id, Sembuf{Num: 1, Op: -1, Flg: SemUndo}); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("try for semaphore 1 = %v, want EAGAIN", err)
	}
	got := make(chan error, 1)
	go func() { got <- Semop(id, Sembuf{Num: 1, Op: -1, Flg: SemUndo}) }()
	waitFor(t, 10*time.Second, "both processes to wait", func() bool {
		return semState(t, SemGetNcnt, id, 1) == 1
	})
	if n := semState(t, SemGetNcnt, id, 0); n != 1 {
		t.Fatalf("GETNCNT on semaphore 0 = %d during the deadlock, want 1", n)
	}
	c.kill(t)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting for semaphore 1 after its holder was killed")
	}
	if err := Semop(id, Sembuf{Num: 0, Op: 1, Flg: SemUndo}, Sembuf{Num: 1, Op: 1, Flg: SemUndo}); err != nil {
		t.Fatal(err)
	}
	for num := range 2 {
		if v := semState(t, SemGetVal, id, num); v != 1 {
			t.Errorf("semaphore %d = %d after the deadlock was broken, want 1", num, v)
		}
	}
}

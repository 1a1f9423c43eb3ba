package runner

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// leftQueue makes a System V queue and records it as a session of the
// instance directory dir had, as a server does before it starts workers.
func leftQueue(t *testing.T, dir string) int {
	t.Helper()
	key := (&names{}).Key()
	id, err := ipc.Msgget(key, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ipc.MsgRemove(id) })
	sdir := filepath.Join(dir, "abc")
	if err := os.MkdirAll(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	objs := []scenario.Object{{Kind: scenario.ObjMsgSysV, Label: "queue", Key: key}}
	b, _ := json.Marshal(objs)
	if err := os.WriteFile(filepath.Join(sdir, objectsFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}

func queueThere(t *testing.T, key int) bool {
	t.Helper()
	ok, err := ipc.MsgKeyExists(key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// The sweep takes an instance for dead by its lock, not its pid: a dead
// instance that was pid 1, as in a container after a restart, is swept; a
// live one, whatever its pid, is left alone.
func TestSweepByLock(t *testing.T) {
	state := t.TempDir()
	log := slog.New(slog.DiscardHandler)

	live, liveLock, err := makeInstance(state)
	if err != nil {
		t.Fatal(err)
	}
	defer liveLock.Close()
	liveKey := leftQueue(t, live)

	// A dead instance that ran as pid 1: its lock file is there, unlocked.
	dead := filepath.Join(state, "1-ab12")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, lockFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadKey := leftQueue(t, dead)
	probe := probeQueueName(dead)
	fd, err := ipc.MqOpen(probe, unix.O_RDONLY|unix.O_CREAT, 0o600, &ipc.MqAttr{Maxmsg: 1, Msgsize: 1})
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	t.Cleanup(func() { _ = ipc.MqUnlink(probe) })

	// A directory from before the lock, named by the pid of a process
	// that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(state, strconv.Itoa(cmd.Process.Pid))
	oldKey := leftQueue(t, old)

	if n := sweep(state, log); n != 2 {
		t.Errorf("sweep removed %d objects, want 2", n)
	}
	if !queueThere(t, liveKey) {
		t.Error("the sweep removed a live instance's queue")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live instance's directory: %v", err)
	}
	for _, c := range []struct {
		dir string
		key int
	}{{dead, deadKey}, {old, oldKey}} {
		if queueThere(t, c.key) {
			t.Errorf("the queue of %s was not swept", filepath.Base(c.dir))
		}
		if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", filepath.Base(c.dir), err)
		}
	}
	if ok, _ := ipc.MqExists(probe); ok {
		t.Error("the dead instance's probe queue was not swept")
	}
	// Once the live instance lets go of its lock, it is swept too.
	liveLock.Close()
	if n := sweep(state, log); n != 1 || queueThere(t, liveKey) {
		t.Errorf("after the lock was dropped the sweep removed %d objects, want the queue", n)
	}
}

// A stray zombie, a child nobody waits for, is collected at its second
// sighting; one in a live session's process group is left to the session.
func TestStrayReaper(t *testing.T) {
	start := func(pgid int) int {
		pid, err := syscall.ForkExec("/bin/true", []string{"true"},
			&syscall.ProcAttr{Sys: &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}})
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	stray := start(0)
	claimed := start(0)
	t.Cleanup(func() { ipc.Reap(claimed) })
	waitZombie(t, stray)
	waitZombie(t, claimed)

	launching := true
	z := &strayReaper{log: slog.New(slog.DiscardHandler), seen: map[int]bool{},
		claimed: func() (map[int]bool, bool) { return map[int]bool{claimed: true}, launching }}
	z.sweep() // first sighting
	if !zombie(stray) {
		t.Fatal("a zombie was collected at its first sighting")
	}
	z.sweep() // a session is being launched: nothing is taken
	if !zombie(stray) {
		t.Fatal("a zombie was collected while a session was being launched")
	}
	launching = false
	z.sweep()
	if zombie(stray) {
		t.Fatal("a stray zombie seen twice was not collected")
	}
	if !zombie(claimed) {
		t.Fatal("a zombie in a live session's group was collected")
	}
	if z.reaped != 1 {
		t.Fatalf("reaped %d, want 1", z.reaped)
	}
}

func zombie(pid int) bool {
	st, err := ipc.ReadProcStat(pid)
	return err == nil && st.Zombie()
}

func waitZombie(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not become a zombie", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// ProcStopped sees SIGSTOP and SIGCONT, in a process that is not the
// caller's child as well as in one that is.
func TestProcStopped(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	until := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ProcStopped(pid) != want {
			if time.Now().After(deadline) {
				t.Fatalf("ProcStopped(%d) never became %v", pid, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if ProcStopped(pid) {
		t.Fatal("a sleeping process is reported stopped")
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	until(true)
	syscall.Kill(pid, syscall.SIGCONT)
	until(false)
	if ProcStopped(1 << 30) {
		t.Fatal("a process that does not exist is reported stopped")
	}
}

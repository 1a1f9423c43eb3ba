package ipc

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("shm-sysv-peer", shmSysvPeer)
}

// shmSysvPeer attaches segment args[0], answers a "ping" at offset 0 with
// "pong" at offset 100, and stays attached until told to end.
func shmSysvPeer(args []string) int {
	link := childLinkEnds()
	id, _ := strconv.Atoi(args[0])
	seg, err := AttachSysvSegment(id)
	if err != nil {
		return roleFail("%v", err)
	}
	defer seg.Close()
	if string(seg.Bytes()[:4]) == "ping" {
		copy(seg.Bytes()[100:], "pong")
	}
	link.report("attached")
	return awaitEnd(link)
}

// createSysvShm makes a segment for the test and, on cleanup, removes it
// and checks that the kernel's list no longer has it. Mappings must be
// released by cleanups registered later, which run first.
func createSysvShm(t *testing.T, key, size int) int {
	t.Helper()
	id, err := Shmget(key, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ShmRemove(id); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
			t.Errorf("remove segment %d: %v", id, err)
		}
		if listed, err := ShmIDListed(id); listed || err != nil {
			t.Errorf("segment %d still in /proc/sysvipc/shm after cleanup (err %v)", id, err)
		}
	})
	return id
}

func TestShmSysvBytesCrossProcesses(t *testing.T) {
	id := createSysvShm(t, unix.IPC_PRIVATE, 4096)
	seg, err := AttachSysvSegment(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Close() })
	copy(seg.Bytes(), "ping")
	c, link := startLinked(t, "shm-sysv-peer", nil, strconv.Itoa(id))
	link.expect(t, "attached")
	if got := string(seg.Bytes()[100:104]); got != "pong" {
		t.Fatalf("read %q where the child wrote pong", got)
	}
	info, err := ShmStat(id)
	if err != nil {
		t.Fatal(err)
	}
	want := ShmInfo{Key: 0, Size: 4096, Nattch: 2, Cpid: os.Getpid(), Lpid: c.cmd.Process.Pid, Mode: 0o600}
	if info != want {
		t.Fatalf("ShmStat = %+v, want %+v", info, want)
	}
	finishLinked(t, c, link)
	if info, _ := ShmStat(id); info.Nattch != 1 {
		t.Fatalf("nattch = %d after the child detached and exited, want 1", info.Nattch)
	}
}

// A removed segment loses its key at once but lives on, and stays listed,
// until its last user detaches: here a child killed while attached.
func TestShmSysvRemovedWhileAttached(t *testing.T) {
	key := testKey(t)
	id := createSysvShm(t, key, 8192)
	if ok, err := ShmKeyExists(key); !ok || err != nil {
		t.Fatalf("ShmKeyExists = %v, %v after creating it", ok, err)
	}
	c, link := startLinked(t, "shm-sysv-peer", nil, strconv.Itoa(id))
	link.expect(t, "attached")
	if err := ShmRemove(id); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ShmKeyExists(key); ok {
		t.Fatal("the key still finds the segment after IPC_RMID")
	}
	info, err := ShmStat(id)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Removed || info.Nattch != 1 || info.Key != 0 {
		t.Fatalf("after IPC_RMID with one attachment: %+v", info)
	}
	if listed, _ := ShmIDListed(id); !listed {
		t.Fatal("segment left /proc/sysvipc/shm while still attached")
	}
	c.kill(t)
	waitFor(t, 5*time.Second, "the segment to leave /proc/sysvipc/shm", func() bool {
		listed, _ := ShmIDListed(id)
		return !listed
	})
	if _, err := ShmStat(id); !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
		t.Fatalf("ShmStat of a freed segment = %v, want EINVAL", err)
	}
}

func TestShmSysvExclusiveAndMissing(t *testing.T) {
	key := testKey(t)
	createSysvShm(t, key, 4096)
	if _, err := Shmget(key, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second exclusive shmget = %v, want EEXIST", err)
	}
	if _, err := Shmat(1<<30, 0); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("Shmat of a missing id = %v, want EINVAL", err)
	}
	if ok, err := ShmKeyExists(key ^ 0x5a5a5a); ok || err != nil {
		t.Fatalf("ShmKeyExists of an unused key = %v, %v", ok, err)
	}
}

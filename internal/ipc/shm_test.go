package ipc

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// finishLinked closes the test's end of the control pipe, which tells the
// child to end, and waits for it to exit 0.
func finishLinked(t *testing.T, c *child, l *childLink) {
	t.Helper()
	l.ctl.Close()
	c.wait(t, 20*time.Second)
}

// awaitEnd waits until the test closes its end of the control pipe and
// returns the child's exit code, 0.
func awaitEnd(l roleLink) int {
	for l.await() != "" {
	}
	return 0
}

// nextFields reads the child's next report line, which must start with
// word, and returns the words after it.
func nextFields(t *testing.T, l *childLink, word string) []string {
	t.Helper()
	f := strings.Fields(l.next(t, 20*time.Second))
	if len(f) == 0 || f[0] != word {
		t.Fatalf("child reported %q, want %q first", f, word)
	}
	return f[1:]
}

// shmName makes a POSIX shared memory name no other test or run uses.
func shmName(t *testing.T) string {
	return fmt.Sprintf("/ipctest-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "_"))
}

// createShm creates and maps a POSIX object for the test, and on cleanup
// unmaps and unlinks it and checks that /dev/shm no longer has it.
func createShm(t *testing.T, name string, size int) *Segment {
	t.Helper()
	seg, err := CreateShmSegment(name, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		seg.Close()
		removeShmChecked(t, name)
	})
	return seg
}

// removeShmChecked unlinks name, if it is still there, and fails the test
// if it survives.
func removeShmChecked(t *testing.T, name string) {
	if err := ShmUnlink(name); err != nil && !errors.Is(err, unix.ENOENT) {
		t.Errorf("unlink %s: %v", name, err)
	}
	if ok, err := ShmExists(name); ok || err != nil {
		t.Errorf("%s still in /dev/shm after cleanup (err %v)", name, err)
	}
}

func init() {
	registerChild("shm-posix-peer", shmPosixPeer)
	registerChild("shm-posix-creator", shmPosixCreator)
}

// shmPosixPeer maps the object args[0], checks the test's "ping" and
// answers "pong" at offset 100, through memory alone.
func shmPosixPeer(args []string) int {
	link := childLinkEnds()
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return roleFail("%v", err)
	}
	defer seg.Close()
	if got := string(seg.Bytes()[:4]); got != "ping" {
		return roleFail("read %q from shared memory, want ping", got)
	}
	copy(seg.Bytes()[100:], "pong")
	link.report("wrote")
	return awaitEnd(link)
}

// shmPosixCreator creates the object args[0] and counts in it until killed
// (or 30 seconds pass).
func shmPosixCreator(args []string) int {
	link := childLinkEnds()
	seg, err := CreateShmSegment(args[0], 4096)
	if err != nil {
		return roleFail("%v", err)
	}
	n, err := SharedInt64At(seg.Bytes())
	if err != nil {
		return roleFail("%v", err)
	}
	link.report("counting")
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		for range 1000 {
			n.Add(1)
		}
	}
	return 0
}

func TestShmPosixBytesCrossProcesses(t *testing.T) {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	if ok, err := ShmExists(name); !ok || err != nil {
		t.Fatalf("ShmExists(%s) = %v, %v after creating it", name, ok, err)
	}
	copy(seg.Bytes(), "ping")
	c, link := startLinked(t, "shm-posix-peer", nil, name)
	link.expect(t, "wrote")
	if got := string(seg.Bytes()[100:104]); got != "pong" {
		t.Fatalf("read %q where the child wrote pong", got)
	}
	finishLinked(t, c, link)
}

func TestShmPosixRemovedAfterCreatorKilled(t *testing.T) {
	name := shmName(t)
	t.Cleanup(func() { removeShmChecked(t, name) })
	c, link := startLinked(t, "shm-posix-creator", nil, name)
	link.expect(t, "counting")
	seg, err := OpenShmSegment(name)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	n, err := SharedInt64At(seg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	first := n.Load()
	waitFor(t, 10*time.Second, "the child's counter to move", func() bool { return n.Load() > first })
	c.kill(t)
	if ok, _ := ShmExists(name); !ok {
		t.Fatal("the object vanished with its creator; it should stay until unlinked")
	}
	if err := ShmUnlink(name); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ShmExists(name); ok {
		t.Fatal("object still exists after ShmUnlink")
	}
	if got := n.Load(); got == 0 {
		t.Fatal("the mapping lost its contents after unlink")
	}
}

func TestShmOpenNames(t *testing.T) {
	for _, name := range []string{"", "noslash", "/", "/a/b", "//a", "/.", "/..", "/x\x00y", "/" + strings.Repeat("n", 256)} {
		if _, err := ShmOpen(name, unix.O_RDONLY, 0); !errors.Is(err, ErrBadShmName) {
			t.Errorf("ShmOpen(%q) = %v, want ErrBadShmName", name, err)
		}
	}
	missing := shmName(t) + "-missing"
	if _, err := ShmOpen(missing, unix.O_RDONLY, 0); !errors.Is(err, unix.ENOENT) {
		t.Errorf("ShmOpen of a missing object = %v, want ENOENT", err)
	}
}

func TestShmCreateExclusive(t *testing.T) {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	if len(seg.Bytes()) != 4096 {
		t.Fatalf("mapped %d bytes, want 4096", len(seg.Bytes()))
	}
	if _, err := CreateShmSegment(name, 4096); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second create = %v, want EEXIST", err)
	}
	if ok, _ := ShmExists(name); !ok {
		t.Fatal("a failed second create removed the first object")
	}
	fd, err := ShmOpen(name, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if size, err := ShmSize(fd); size != 4096 || err != nil {
		t.Fatalf("ShmSize = %d, %v, want 4096", size, err)
	}
	if err := seg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := seg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

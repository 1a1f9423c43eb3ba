package ipc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests of shared memory, semaphores, futexes and sockets talk to their
// child over two pipes, one line at a time: the child reads the test's
// lines on fd 3 and writes its own on fd 4. Closing the test's end tells
// the child to finish.

// lineLink is the test's side of those pipes.
type lineLink struct {
	toChild   *os.File
	fromChild *os.File
	lines     *bufio.Reader
}

// startLinked starts role with the two pipes as fds 3 and 4 and extra as
// fds 5, 6, .... The test's copies of the child's pipe ends are closed, so
// each side sees end of file when the other goes away.
func startLinked(t *testing.T, role string, extra []*os.File, args ...string) (*child, *lineLink) {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmdW.Close(); repR.Close() })
	c := startChild(t, role, append([]*os.File{cmdR, repW}, extra...), args...)
	cmdR.Close()
	repW.Close()
	return c, &lineLink{toChild: cmdW, fromChild: repR, lines: bufio.NewReader(repR)}
}

// send writes one line to the child.
func (l *lineLink) send(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(l.toChild, line); err != nil {
		t.Fatalf("send %q to child: %v", line, err)
	}
}

// expect reads the child's next line, which must start with word, and
// returns the words after it.
func (l *lineLink) expect(t *testing.T, word string) []string {
	t.Helper()
	_ = l.fromChild.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := l.lines.ReadString('\n')
	if err != nil {
		t.Fatalf("waiting for %q from child: %v (got %q)", word, err, line)
	}
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != word {
		t.Fatalf("child said %q, want %q", strings.TrimSpace(line), word)
	}
	return f[1:]
}

// finish closes the test's end of the command pipe, which tells the child
// to end, and waits for it to exit 0.
func (l *lineLink) finish(t *testing.T, c *child) {
	t.Helper()
	l.toChild.Close()
	c.wait(t, 20*time.Second)
}

// childLink is the child's side: it reads the test's lines from fd 3 and
// writes its own on fd 4.
type childLink struct {
	in  *bufio.Reader
	out *os.File
}

func openChildLink() *childLink {
	return &childLink{in: bufio.NewReader(os.NewFile(3, "from-test")), out: os.NewFile(4, "to-test")}
}

// say writes one line to the test.
func (c *childLink) say(format string, args ...any) {
	fmt.Fprintf(c.out, format+"\n", args...)
}

// hear reads the test's next line; io.EOF means the test is done with us.
func (c *childLink) hear() (string, error) {
	line, err := c.in.ReadString('\n')
	return strings.TrimSpace(line), err
}

// awaitEnd waits until the test closes its end, and returns exit code 0.
func (c *childLink) awaitEnd() int {
	for {
		if _, err := c.hear(); err != nil {
			return 0
		}
	}
}

// childFail reports why a child role failed and returns its exit code.
func childFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "child %d: "+format+"\n", append([]any{os.Getpid()}, args...)...)
	return 1
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
	link := openChildLink()
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return childFail("%v", err)
	}
	defer seg.Close()
	if got := string(seg.Bytes()[:4]); got != "ping" {
		return childFail("read %q from shared memory, want ping", got)
	}
	copy(seg.Bytes()[100:], "pong")
	link.say("wrote")
	return link.awaitEnd()
}

// shmPosixCreator creates the object args[0] and counts in it until killed
// (or 30 seconds pass).
func shmPosixCreator(args []string) int {
	link := openChildLink()
	seg, err := CreateShmSegment(args[0], 4096)
	if err != nil {
		return childFail("%v", err)
	}
	n, err := SharedInt64At(seg.Bytes())
	if err != nil {
		return childFail("%v", err)
	}
	link.say("counting")
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
	link.finish(t, c)
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

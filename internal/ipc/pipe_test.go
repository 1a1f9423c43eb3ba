package ipc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("pipe-drain", rolePipeDrain)
	registerChild("pipe-hold", rolePipeHold)
	registerChild("fifo-writer", roleFifoWriter)
}

// rolePipeDrain waits for "drain", then reads its pipe (descriptor 5) to
// the end and reports how many bytes of each kind it got.
func rolePipeDrain(args []string) int {
	l := childLinkEnds()
	l.report("ready")
	if cmd := l.await(); cmd != "drain" {
		return roleFail("want drain, got %q", cmd)
	}
	counts := map[byte]int{}
	buf := make([]byte, 8192)
	for {
		n, err := Read(5, buf)
		if err != nil {
			return roleFail("read: %v", err)
		}
		if n == 0 {
			break
		}
		for _, b := range buf[:n] {
			counts[b]++
		}
	}
	l.report("got a=%d b=%d", counts['a'], counts['b'])
	return 0
}

// rolePipeHold holds its pipe's read end (descriptor 5) open without
// reading, until the parent says "exit" or goes away.
func rolePipeHold(args []string) int {
	l := childLinkEnds()
	l.report("ready")
	l.await()
	return 0
}

// testPipe returns a pipe as two files, closed when the test ends.
func testPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	rfd, wfd, err := Pipe2(0)
	if err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(rfd), "pipe-r"), os.NewFile(uintptr(wfd), "pipe-w")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// fillPipe writes 4096-byte chunks until the pipe behind the write end w
// is full and returns how many bytes it took. It writes through a
// non-blocking description of its own, so w stays as it was.
func fillPipe(t *testing.T, w int) int {
	t.Helper()
	nb, err := reopenNonblock(w, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(nb)
	chunk := bytes.Repeat([]byte{'a'}, 4096)
	filled := 0
	for {
		n, err := Write(nb, chunk)
		if WouldBlock(err) {
			return filled
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		if filled += n; filled > 1<<24 {
			t.Fatal("pipe never filled")
		}
	}
}

// writeInBackground starts a blocking WriteFull of b and returns where its
// result arrives.
func writeInBackground(w int, b []byte) chan error {
	done := make(chan error, 1)
	go func() { done <- WriteFull(w, b) }()
	return done
}

func awaitResult(t *testing.T, done chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

func TestPipeFullBlocksWriter(t *testing.T) {
	rf, wf := testPipe(t)
	w := int(wf.Fd())
	c, link := startLinked(t, "pipe-drain", []*os.File{rf})
	rf.Close()
	link.expect(t, "ready")

	filled := fillPipe(t, w)
	size, err := PipeSize(w)
	if err != nil || filled != size {
		t.Fatalf("filled %d bytes, pipe size %d (%v)", filled, size, err)
	}
	if pending, _ := Pending(w); pending != size {
		t.Fatalf("FIONREAD says %d bytes pending, want %d", pending, size)
	}

	done := writeInBackground(w, bytes.Repeat([]byte{'b'}, 3*4096))
	waitBlockedIn(t, os.Getpid(), unix.SYS_WRITE, uint64(w))
	select {
	case err := <-done:
		t.Fatalf("write on a full pipe returned (%v) before the reader read", err)
	default:
	}
	link.say(t, "drain")
	if err := awaitResult(t, done, "blocked write"); err != nil {
		t.Fatalf("blocked write: %v", err)
	}
	wf.Close()
	link.expect(t, fmt.Sprintf("got a=%d b=%d", size, 3*4096))
	c.wait(t, 20*time.Second)
}

func TestPipeEPIPEWhenReaderGone(t *testing.T) {
	rf, wf := testPipe(t)
	w := int(wf.Fd())
	c, link := startLinked(t, "pipe-hold", []*os.File{rf})
	rf.Close()
	link.expect(t, "ready")
	if err := WriteFull(w, []byte("hello")); err != nil {
		t.Fatalf("write with a reader: %v", err)
	}
	c.kill(t)
	n, err := Write(w, []byte("anyone?"))
	if n != 0 || !errors.Is(err, unix.EPIPE) {
		t.Fatalf("write after the reader died = %d, %v; want EPIPE", n, err)
	}
	// The test process is still here: the runtime swallowed the SIGPIPE.
	if text, errno := Explain(err); errno != "EPIPE" || !strings.Contains(text, "write failed") {
		t.Fatalf("Explain = %q, %q", text, errno)
	}
}

func TestPipeBlockedWriterGetsEPIPEWhenReaderKilled(t *testing.T) {
	rf, wf := testPipe(t)
	w := int(wf.Fd())
	c, link := startLinked(t, "pipe-hold", []*os.File{rf})
	rf.Close()
	link.expect(t, "ready")
	fillPipe(t, w)
	done := writeInBackground(w, []byte("one more"))
	waitBlockedIn(t, os.Getpid(), unix.SYS_WRITE, uint64(w))
	c.kill(t)
	if err := awaitResult(t, done, "blocked write"); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("blocked write after the reader was killed: %v, want EPIPE", err)
	}
}

// roleFifoWriter opens the FIFO at args[0] for writing, which waits for a
// reader, and writes args[1] lines.
func roleFifoWriter(args []string) int {
	fd, err := OpenFifo(args[0], unix.O_WRONLY)
	if err != nil {
		return roleFail("open: %v", err)
	}
	defer unix.Close(fd)
	var count int
	fmt.Sscan(args[1], &count)
	for i := range count {
		if err := WriteFull(fd, fmt.Appendf(nil, "line %d\n", i)); err != nil {
			return roleFail("write: %v", err)
		}
	}
	return 0
}

func TestFifoOpenWaitsForBothSides(t *testing.T) {
	path := t.TempDir() + "/fifo"
	if err := Mkfifo(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = RemoveFifo(path)
		if ok, _ := FifoExists(path); ok {
			t.Error("FIFO still exists after cleanup")
		}
	})
	if ok, err := FifoExists(path); !ok || err != nil {
		t.Fatalf("FifoExists = %v, %v", ok, err)
	}
	if err := Mkfifo(path); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second Mkfifo: %v, want EEXIST", err)
	}
	if _, err := OpenFifo(path, unix.O_WRONLY|unix.O_NONBLOCK); !errors.Is(err, unix.ENXIO) || !WouldBlock(err) {
		t.Fatalf("non-blocking open for writing with no reader: %v, want ENXIO", err)
	}

	c := startChild(t, "fifo-writer", nil, path, "3")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_OPENAT)
	fd, err := OpenFifo(path, unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "fifo")
	defer f.Close()
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := Read(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "line 0\nline 1\nline 2\n" {
		t.Fatalf("read %q", got)
	}
	c.wait(t, 20*time.Second)

	if err := RemoveFifo(path); err != nil {
		t.Fatal(err)
	}
	if ok, err := FifoExists(path); ok || err != nil {
		t.Fatalf("FifoExists after RemoveFifo = %v, %v", ok, err)
	}
}

package ipc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("pipe-end-writer", rolePipeEndWriter)
	registerChild("pipe-end-hold", rolePipeEndHold)
}

// newTestPipeEnd makes a PipeEnd of fd, closed when the test ends.
func newTestPipeEnd(t *testing.T, fd int, name string) *PipeEnd {
	t.Helper()
	f := os.NewFile(uintptr(fd), name)
	e, err := NewPipeEnd(f)
	if err != nil {
		f.Close()
		t.Fatalf("NewPipeEnd(%s): %v", name, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// testPipeEnds returns both ends of a new pipe as PipeEnds.
func testPipeEnds(t *testing.T) (r, w *PipeEnd) {
	t.Helper()
	rfd, wfd, err := Pipe2(0)
	if err != nil {
		t.Fatal(err)
	}
	return newTestPipeEnd(t, rfd, "pipe-r"), newTestPipeEnd(t, wfd, "pipe-w")
}

// testFifoEnds makes a FIFO and returns both its ends, opened in this
// process, as PipeEnds.
func testFifoEnds(t *testing.T) (r, w *PipeEnd) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := Mkfifo(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = RemoveFifo(path) })
	// The reader first and without waiting, so that the writer's open
	// finds it; then the reader's descriptor is made blocking, as a
	// PipeEnd wants.
	rfd, err := OpenFifo(path, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if err := SetNonblock(rfd, false); err != nil {
		unix.Close(rfd)
		t.Fatal(err)
	}
	r = newTestPipeEnd(t, rfd, "fifo-r")
	wfd, err := OpenFifo(path, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	return r, newTestPipeEnd(t, wfd, "fifo-w")
}

// fdFlags returns a descriptor's status flags (F_GETFL).
func fdFlags(t *testing.T, fd int) int {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags
}

func TestPipeEndTries(t *testing.T) {
	for _, kind := range []struct {
		name string
		ends func(*testing.T) (r, w *PipeEnd)
	}{{"pipe", testPipeEnds}, {"fifo", testFifoEnds}} {
		t.Run(kind.name, func(t *testing.T) {
			r, w := kind.ends(t)
			buf := make([]byte, 4096)
			n, err := r.TryRead(buf)
			var serr *os.SyscallError
			if n != 0 || !errors.Is(err, unix.EAGAIN) || !WouldBlock(err) || !errors.As(err, &serr) || serr.Syscall != "read" {
				t.Fatalf("TryRead on an empty pipe = %d, %v; want 0 and read: EAGAIN", n, err)
			}
			if n, err := w.TryWrite([]byte("hi")); n != 2 || err != nil {
				t.Fatalf("TryWrite = %d, %v; want 2 bytes", n, err)
			}
			if n, err := r.TryRead(buf); n != 2 || err != nil || string(buf[:2]) != "hi" {
				t.Fatalf("TryRead = %d, %v (%q); want \"hi\"", n, err, buf[:n])
			}
			size, err := PipeSize(w.Fd())
			if err != nil {
				t.Fatal(err)
			}
			if filled := fillByTries(t, w, buf); filled != size {
				t.Fatalf("TryWrite took %d bytes before EAGAIN, pipe size %d", filled, size)
			}
			if n, err := w.TryWrite([]byte{'x'}); n != 0 || !errors.Is(err, unix.EAGAIN) {
				t.Fatalf("TryWrite on a full pipe = %d, %v; want 0, EAGAIN", n, err)
			}
			// The descriptors given stay blocking for the waits; the
			// private ones are non-blocking and never reach a child.
			for _, e := range []*PipeEnd{r, w} {
				if fdFlags(t, e.Fd())&unix.O_NONBLOCK != 0 {
					t.Errorf("descriptor %d made non-blocking", e.Fd())
				}
				if fdFlags(t, e.own)&unix.O_NONBLOCK == 0 {
					t.Errorf("private descriptor %d is blocking", e.own)
				}
				if fl, _ := unix.FcntlInt(uintptr(e.own), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
					t.Errorf("private descriptor %d lacks FD_CLOEXEC", e.own)
				}
			}
		})
	}
}

// fillByTries writes len(chunk)-byte chunks with TryWrite until the kernel
// answers EAGAIN and returns how many bytes it took.
func fillByTries(t *testing.T, w *PipeEnd, chunk []byte) int {
	t.Helper()
	filled := 0
	for {
		n, err := w.TryWrite(chunk)
		if WouldBlock(err) {
			return filled
		}
		if err != nil {
			t.Fatalf("TryWrite: %v", err)
		}
		if filled += n; filled > 1<<24 {
			t.Fatal("pipe never filled")
		}
	}
}

// TestPipeEndCountsTwice shows why Close closes both descriptions: each
// counts as a reader or writer of the pipe, so the other side sees end of
// file or EPIPE only when both are gone. It also shows that each private
// description takes the access mode of its own end: of an anonymous pipe,
// whose two ends share one inode, a reader's would keep a writer from ever
// seeing EPIPE.
func TestPipeEndCountsTwice(t *testing.T) {
	r, w := testPipeEnds(t)
	buf := make([]byte, 16)
	w.f.Close() // the given write end only: the private one still writes
	if n, err := r.TryRead(buf); n != 0 || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryRead with the private writer open = %d, %v; want EAGAIN", n, err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after the given end was closed reported no error")
	}
	if n, err := r.TryRead(buf); n != 0 || err != nil {
		t.Fatalf("TryRead with every writer closed = %d, %v; want end of file", n, err)
	}
	if n, err := Read(r.Fd(), buf); n != 0 || err != nil {
		t.Fatalf("blocking read with every writer closed = %d, %v; want end of file", n, err)
	}

	r, w = testPipeEnds(t)
	r.f.Close()
	if n, err := w.TryWrite([]byte("x")); n != 1 || err != nil {
		t.Fatalf("TryWrite with the private reader open = %d, %v; want 1 byte", n, err)
	}
	r.Close()
	if _, err := w.TryWrite([]byte("x")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("TryWrite with every reader closed: %v, want EPIPE", err)
	}
	if _, err := Write(w.Fd(), []byte("x")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("blocking write with every reader closed: %v, want EPIPE", err)
	}
}

// TestPipeEndPrivateFlag changes O_NONBLOCK on the given descriptor, as
// another process sharing its description could, and checks that the tries
// do not notice.
func TestPipeEndPrivateFlag(t *testing.T) {
	r, _ := testPipeEnds(t)
	buf := make([]byte, 16)
	for _, on := range []bool{true, false} {
		if err := SetNonblock(r.Fd(), on); err != nil {
			t.Fatal(err)
		}
		if n, err := r.TryRead(buf); n != 0 || !errors.Is(err, unix.EAGAIN) {
			t.Fatalf("TryRead with O_NONBLOCK %v on the given descriptor = %d, %v; want EAGAIN", on, n, err)
		}
	}
}

func TestNewPipeEndRefusesOtherFiles(t *testing.T) {
	a, b, err := Socketpair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(b) })
	sock := os.NewFile(uintptr(a), "socket")
	defer sock.Close()
	if _, err := NewPipeEnd(sock); !errors.Is(err, ErrNotPipe) {
		t.Fatalf("NewPipeEnd(socket): %v, want ErrNotPipe", err)
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := NewPipeEnd(file); !errors.Is(err, ErrNotPipe) {
		t.Fatalf("NewPipeEnd(regular file): %v, want ErrNotPipe", err)
	}
	// On failure the file stays the caller's, still open.
	if _, err := file.Stat(); err != nil {
		t.Fatalf("file after a failed NewPipeEnd: %v", err)
	}
}

// rolePipeEndWriter makes a PipeEnd of its descriptor 3, the write end of
// a pipe, writes args[0] messages of args[1] bytes try-first, as the
// scenarios do, and closes it.
func rolePipeEndWriter(args []string) int {
	count, _ := strconv.Atoi(args[0])
	size, _ := strconv.Atoi(args[1])
	w, err := NewPipeEnd(os.NewFile(3, "pipe-w"))
	if err != nil {
		return roleFail("NewPipeEnd: %v", err)
	}
	msg := bytes.Repeat([]byte{'m'}, size)
	for range count {
		n, err := w.TryWrite(msg)
		if WouldBlock(err) || (err == nil && n < len(msg)) {
			err = WriteFull(w.Fd(), msg[n:])
		}
		if err != nil {
			return roleFail("write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		return roleFail("close: %v", err)
	}
	return 0
}

// rolePipeEndHold makes a PipeEnd of its descriptor 5, a pipe's read end,
// and holds it without reading until the parent says "exit" or goes away.
func rolePipeEndHold(args []string) int {
	l := childLinkEnds()
	r, err := NewPipeEnd(os.NewFile(5, "pipe-r"))
	if err != nil {
		return roleFail("NewPipeEnd: %v", err)
	}
	defer r.Close()
	l.report("ready")
	l.await()
	return 0
}

// TestPipeEndBetweenProcesses has a child write messages try-first through
// a PipeEnd, blocking whenever the pipe is full, and checks that every byte
// arrives and that its Close gives the reader end of file.
func TestPipeEndBetweenProcesses(t *testing.T) {
	rfd, wfd, err := Pipe2(0)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestPipeEnd(t, rfd, "pipe-r")
	wf := os.NewFile(uintptr(wfd), "pipe-w")
	defer wf.Close()
	const count, size = 200, 3000 // 600,000 bytes: the pipe fills many times
	c := startChild(t, "pipe-end-writer", []*os.File{wf}, strconv.Itoa(count), strconv.Itoa(size))
	wf.Close()
	got := 0
	buf := make([]byte, 8192)
	for {
		n, err := r.TryRead(buf)
		if WouldBlock(err) {
			n, err = Read(r.Fd(), buf)
		}
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got, err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	if got != count*size {
		t.Fatalf("read %d bytes to end of file, want %d", got, count*size)
	}
	c.wait(t, 20*time.Second)
}

// TestPipeEndReaderKilled blocks a writer on a full pipe whose only reader,
// in a child, holds it as a PipeEnd; killing the child closes both of its
// descriptions, and the writer gets EPIPE.
func TestPipeEndReaderKilled(t *testing.T) {
	rfd, wfd, err := Pipe2(0)
	if err != nil {
		t.Fatal(err)
	}
	w := newTestPipeEnd(t, wfd, "pipe-w")
	rf := os.NewFile(uintptr(rfd), "pipe-r")
	defer rf.Close()
	c, link := startLinked(t, "pipe-end-hold", []*os.File{rf})
	rf.Close()
	link.expect(t, "ready")
	fillByTries(t, w, make([]byte, 4096))
	done := writeInBackground(w.Fd(), []byte("one more"))
	waitBlockedIn(t, os.Getpid(), unix.SYS_WRITE, uint64(w.Fd()))
	c.kill(t)
	if err := awaitResult(t, done, "blocked write"); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("blocked write after the reader was killed: %v, want EPIPE", err)
	}
	if _, err := w.TryWrite([]byte("x")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("TryWrite after the reader was killed: %v, want EPIPE", err)
	}
}

// TestPipeEndFifoBeforeWriter checks the FIFO reader's case: opened before
// any writer came, the private description reads 0 at once, as the given
// one would, and a writer that comes later is seen by both.
func TestPipeEndFifoBeforeWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := Mkfifo(path); err != nil {
		t.Fatal(err)
	}
	rfd, err := OpenFifo(path, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestPipeEnd(t, rfd, "fifo-r")
	buf := make([]byte, 16)
	if n, err := r.TryRead(buf); n != 0 || err != nil {
		t.Fatalf("TryRead before any writer = %d, %v; want 0", n, err)
	}
	wfd, err := OpenFifo(path, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	w := newTestPipeEnd(t, wfd, "fifo-w")
	if n, err := r.TryRead(buf); n != 0 || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryRead with a writer = %d, %v; want EAGAIN", n, err)
	}
	if err := WriteFull(w.Fd(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if n, err := r.TryRead(buf); n != 5 || err != nil {
		t.Fatalf("TryRead = %d, %v; want 5 bytes", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := r.TryRead(buf); n != 0 || err != nil {
		t.Fatalf("TryRead after the writer closed = %d, %v; want end of file", n, err)
	}
}

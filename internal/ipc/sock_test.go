package ipc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestLoopbackOnly(t *testing.T) {
	for _, ip := range []string{"0.0.0.0", "10.0.0.1", "8.8.8.8", "::1", "localhost", ""} {
		if _, err := LoopbackSockaddr(ip, 0); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("LoopbackSockaddr(%q) = %v, want ErrNotLoopback", ip, err)
		}
	}
	for _, ip := range []string{"127.0.0.1", "127.1.2.3"} {
		if _, err := LoopbackSockaddr(ip, 0); err != nil {
			t.Errorf("LoopbackSockaddr(%q) = %v", ip, err)
		}
	}
	fd, err := Socket(unix.AF_INET, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, fd)
	outside := &unix.SockaddrInet4{Addr: [4]byte{8, 8, 8, 8}, Port: 53}
	for what, err := range map[string]error{
		"bind 0.0.0.0":    Bind(fd, &unix.SockaddrInet4{}),
		"connect 8.8.8.8": Connect(fd, outside),
		"connect ::1":     Connect(fd, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}),
		"sendto 8.8.8.8":  second(SendTo(fd, []byte("x"), 0, outside)),
	} {
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s = %v, want ErrNotLoopback", what, err)
		}
	}
	if _, err := Socket(unix.AF_INET6, unix.SOCK_STREAM); !errors.Is(err, unix.EAFNOSUPPORT) {
		t.Errorf("Socket(AF_INET6) = %v, want EAFNOSUPPORT", err)
	}
}

func second(_ int, err error) error { return err }

func TestUnixSockaddrLimits(t *testing.T) {
	if _, err := UnixSockaddr("/tmp", "a/b"); !errors.Is(err, unix.EINVAL) {
		t.Errorf("name with a slash = %v, want EINVAL", err)
	}
	if _, err := UnixSockaddr("/"+strings.Repeat("d", 100), "name-long"); !errors.Is(err, unix.ENAMETOOLONG) {
		t.Errorf("110-byte path = %v, want ENAMETOOLONG", err)
	}
	if sa, err := UnixSockaddr("/tmp", "s"); err != nil || sa.Name != "/tmp/s" {
		t.Errorf("UnixSockaddr = %v, %v", sa, err)
	}
}

func TestSocketOptions(t *testing.T) {
	lfd, port, err := ListenLoopback(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, lfd)
	if _, err := TryAccept(lfd); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryAccept with nobody connecting = %v, want EAGAIN", err)
	}
	fd, err := DialLoopback(unix.SOCK_STREAM, port)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, fd)
	conn := acceptForTest(t, lfd)
	if err := SetNoDelay(fd, true); err != nil {
		t.Fatal(err)
	}
	if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); v != 1 || err != nil {
		t.Fatalf("TCP_NODELAY = %d, %v after SetNoDelay", v, err)
	}
	for _, o := range []struct {
		name string
		set  func(int, int) error
		get  func(int) (int, error)
	}{{"SO_SNDBUF", SetSndBuf, SndBuf}, {"SO_RCVBUF", SetRcvBuf, RcvBuf}} {
		if err := o.set(fd, 8192); err != nil {
			t.Fatal(err)
		}
		if v, err := o.get(fd); v != 16384 || err != nil {
			t.Errorf("%s = %d, %v after setting 8192, want the doubled 16384", o.name, v, err)
		}
	}
	if _, err := TryRecv(conn, make([]byte, 10)); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("TryRecv on an empty socket = %v, want EAGAIN", err)
	}
	if n, err := Send(fd, []byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	buf := make([]byte, 10)
	if n, err := Recv(conn, buf, 0); n != 5 || err != nil || string(buf[:5]) != "hello" {
		t.Fatalf("Recv = %d %q, %v", n, buf[:n], err)
	}
	if p, err := LocalPort(lfd); p != port || err != nil {
		t.Fatalf("LocalPort = %d, %v, want %d", p, err, port)
	}
}

// closeOnCleanup closes fd when the test ends.
func closeOnCleanup(t *testing.T, fd int) {
	t.Cleanup(func() { unix.Close(fd) })
}

// acceptForTest waits for one connection on lfd, and closes it when the
// test ends. It polls with TryAccept so that a peer that never connects
// fails the test instead of hanging it.
func acceptForTest(t *testing.T, lfd int) int {
	t.Helper()
	conn := -1
	waitFor(t, 20*time.Second, "a connection to accept", func() bool {
		fd, err := TryAccept(lfd)
		if err != nil && !errors.Is(err, unix.EAGAIN) {
			t.Fatal(err)
		}
		conn = fd
		return err == nil
	})
	closeOnCleanup(t, conn)
	return conn
}

// sockDir makes a short directory for socket files (sun_path is small)
// and checks, when the test ends, that no socket file is left in it.
func sockDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ipcs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		left, _ := os.ReadDir(dir)
		for _, e := range left {
			t.Errorf("socket file %s left behind", e.Name())
		}
		os.RemoveAll(dir)
	})
	return dir
}

// sockName is a socket file name unique to this process and test.
func sockName(t *testing.T) string {
	return fmt.Sprintf("s%d-%x", os.Getpid(), testKey(t))
}

// listenUnixForTest binds a Unix socket of type typ in a fresh directory;
// when the test ends it is closed and its file removed.
func listenUnixForTest(t *testing.T, typ int) (int, string) {
	t.Helper()
	fd, path, err := ListenUnix(typ, sockDir(t), sockName(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fd)
		if err := UnlinkSocket(path); err != nil && !errors.Is(err, unix.ENOENT) {
			t.Errorf("unlink %s: %v", path, err)
		}
		if ok, _ := SocketFileExists(path); ok {
			t.Errorf("socket file %s still there after cleanup", path)
		}
	})
	return fd, path
}

// setRecvTimeout bounds every blocking receive on fd, so a test whose
// peer died fails instead of hanging.
func setRecvTimeout(t *testing.T, fd int) {
	t.Helper()
	tv := unix.Timeval{Sec: 20}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
}

// atoi parses a number a child reported.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("child reported %q, not a number", s)
	}
	return n
}

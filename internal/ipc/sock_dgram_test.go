package ipc

import (
	"encoding/binary"
	"errors"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("udp-sender", udpSender)
	registerChild("unix-dgram-server", unixDgramServer)
}

// udpSender sends args[1] datagrams of args[2] bytes to 127.0.0.1 port
// args[0] as fast as it can, each numbered in its first 4 bytes, and
// reports "sent". Told "one more", it sends the next number and reports
// "sent" again.
func udpSender(args []string) int {
	link := childLinkEnds()
	port, _ := strconv.Atoi(args[0])
	count, _ := strconv.Atoi(args[1])
	size, _ := strconv.Atoi(args[2])
	fd, err := DialLoopback(unix.SOCK_DGRAM, port)
	if err != nil {
		return roleFail("%v", err)
	}
	b := make([]byte, size)
	seq := uint32(0)
	for ; seq < uint32(count); seq++ {
		binary.BigEndian.PutUint32(b, seq)
		if _, err := Send(fd, b, 0); err != nil {
			return roleFail("%v", err)
		}
	}
	link.report("sent")
	if link.await() == "one more" {
		binary.BigEndian.PutUint32(b, seq)
		if _, err := Send(fd, b, 0); err != nil {
			return roleFail("%v", err)
		}
		link.report("sent")
	}
	return awaitEnd(link)
}

// unixDgramServer binds a datagram socket at args[0]/args[1], reports
// "bound PATH", then reports "got N" for each datagram until killed.
func unixDgramServer(args []string) int {
	link := childLinkEnds()
	fd, path, err := ListenUnix(unix.SOCK_DGRAM, args[0], args[1])
	if err != nil {
		return roleFail("%v", err)
	}
	link.report("bound %s", path)
	buf := make([]byte, 64<<10)
	for {
		n, err := Recv(fd, buf, 0)
		if err != nil {
			return roleFail("%v", err)
		}
		link.report("got %d", n)
	}
}

// UDP on loopback never blocks the sender: when the receiver's buffer is
// full the kernel drops the datagram. The drops show in /proc/net/udp at
// once, as gaps in the numbering, and through SO_RXQ_OVFL on the next
// datagram that is queued.
func TestUDPDropsWhenReceiverFull(t *testing.T) {
	const count = 64
	fd, port, err := ListenLoopback(unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, fd)
	setRecvTimeout(t, fd)
	if err := SetRcvBuf(fd, 4096); err != nil {
		t.Fatal(err)
	}
	if err := SetRxqOvfl(fd); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "udp-sender", nil, strconv.Itoa(port), strconv.Itoa(count), "512")
	link.expect(t, "sent")
	stat := udpStat(t, port)
	if stat.Drops == 0 || stat.RxQueue == 0 {
		t.Fatalf("/proc/net/udp: %+v, want drops and bytes queued", stat)
	}
	if n, err := SockInq(fd); n != 512 || err != nil {
		t.Fatalf("SIOCINQ = %d, %v, want 512, the next datagram's size", n, err)
	}
	seen, stamped := drainNumbered(t, fd)
	if len(seen)+stat.Drops != count || countGaps(seen, count) != stat.Drops {
		t.Fatalf("received %d, %d gaps, kernel counts %d drops; sent %d", len(seen), countGaps(seen, count), stat.Drops, count)
	}
	if stamped != 0 {
		t.Fatalf("datagrams queued before the first drop carry a count of %d, want 0", stamped)
	}
	link.say(t, "one more")
	link.expect(t, "sent")
	buf := make([]byte, 512)
	n, drops, err := RecvDrops(fd, buf, 0)
	if err != nil || n != 512 || binary.BigEndian.Uint32(buf) != count {
		t.Fatalf("RecvDrops = %d, %v, number %d, want datagram %d", n, err, binary.BigEndian.Uint32(buf), count)
	}
	if int(drops) != stat.Drops {
		t.Fatalf("SO_RXQ_OVFL count %d, /proc/net/udp %d", drops, stat.Drops)
	}
	t.Logf("%d of %d datagrams dropped", drops, count)
	finishLinked(t, c, link)
}

// udpStat returns the /proc/net/udp line of the socket bound to port.
func udpStat(t *testing.T, port int) InetSocket {
	t.Helper()
	socks, err := InetSockets("udp", port)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.LocalPort == port {
			return s
		}
	}
	t.Fatalf("no UDP socket on port %d in /proc/net/udp", port)
	return InetSocket{}
}

// drainNumbered reads every queued datagram without blocking and returns
// the numbers seen and the last drop count stamped on one.
func drainNumbered(t *testing.T, fd int) (map[uint32]bool, int) {
	t.Helper()
	seen := map[uint32]bool{}
	last := 0
	buf := make([]byte, 2048)
	for {
		n, drops, err := RecvDrops(fd, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			return seen, last
		}
		if err != nil || n < 4 {
			t.Fatalf("RecvDrops = %d, %v", n, err)
		}
		seen[binary.BigEndian.Uint32(buf)] = true
		last = int(drops)
	}
}

// countGaps counts the numbers below count that never arrived: what a
// receiver knows of loss when the sender numbers its datagrams.
func countGaps(seen map[uint32]bool, count int) int {
	gaps := 0
	for i := range uint32(count) {
		if !seen[i] {
			gaps++
		}
	}
	return gaps
}

// A Unix datagram socket keeps message boundaries, and its file outlives
// the process that bound it: after a SIGKILL the test must remove it.
func TestUnixDgramFileOutlivesServer(t *testing.T) {
	dir := sockDir(t)
	c, link := startLinked(t, "unix-dgram-server", nil, dir, sockName(t))
	path := nextFields(t, link, "bound")[0]
	t.Cleanup(func() { _ = UnlinkSocket(path) })
	fd, err := DialUnix(unix.SOCK_DGRAM, path)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, fd)
	for _, size := range []int{10, 200, 3000} {
		if _, err := Send(fd, make([]byte, size), 0); err != nil {
			t.Fatal(err)
		}
		if got := atoi(t, nextFields(t, link, "got")[0]); got != size {
			t.Fatalf("server got %d bytes, sent one datagram of %d", got, size)
		}
	}
	c.kill(t)
	if ok, _ := SocketFileExists(path); !ok {
		t.Fatal("socket file went with its process; it should stay until unlinked")
	}
	if _, err := Send(fd, []byte("x"), 0); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("send to a dead server = %v, want ECONNREFUSED", err)
	}
	if _, err := DialUnix(unix.SOCK_DGRAM, path); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("connect to a file nobody has bound = %v, want ECONNREFUSED", err)
	}
	if err := UnlinkSocket(path); err != nil {
		t.Fatal(err)
	}
	if ok, _ := SocketFileExists(path); ok {
		t.Fatal("socket file still there after UnlinkSocket")
	}
}

package ipc

import (
	"errors"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("stream-sender", streamSender)
}

// dialStreamPeer connects the child's end the way the test set it up:
// args[0] is "fd" (a socketpair end on descriptor 5), "unix" (path
// args[1]), "tcp" (port args[1] on 127.0.0.1) or "unix-dgram" (a datagram
// socket connected to path args[1]).
func dialStreamPeer(args []string) (int, error) {
	switch args[0] {
	case "fd":
		return 5, nil
	case "unix":
		return DialUnix(unix.SOCK_STREAM, args[1])
	case "tcp":
		port, _ := strconv.Atoi(args[1])
		return DialLoopback(unix.SOCK_STREAM, port)
	case "unix-dgram":
		return DialUnix(unix.SOCK_DGRAM, args[1])
	}
	return -1, errors.New("unknown stream kind " + args[0])
}

// streamSender sends 1 KiB chunks to a receiver that does not read. With
// args[2] "fill" it sends without blocking until the buffers are full and
// reports "full SENT OUTQ", then makes one blocking send and reports "sent
// TOTAL". With "flood" it reports "flooding" and sends until killed.
func streamSender(args []string) int {
	link := childLinkEnds()
	fd, err := dialStreamPeer(args)
	if err != nil {
		return roleFail("%v", err)
	}
	if err := SetSndBuf(fd, 4096); err != nil {
		return roleFail("%v", err)
	}
	chunk := make([]byte, 1024)
	if args[2] == "flood" {
		link.report("flooding")
		for {
			if _, err := Send(fd, chunk, 0); err != nil {
				return roleFail("%v", err)
			}
		}
	}
	total, err := fillStream(fd, chunk)
	if err != nil {
		return roleFail("%v", err)
	}
	outq, err := SockOutq(fd)
	if err != nil {
		return roleFail("%v", err)
	}
	link.report("full %d %d", total, outq)
	n, err := Send(fd, chunk, 0)
	if err != nil {
		return roleFail("%v", err)
	}
	link.report("sent %d", total+n)
	return awaitEnd(link)
}

// fillStream sends chunks with TrySend until the kernel would block.
func fillStream(fd int, chunk []byte) (int, error) {
	total := 0
	for total < 64<<20 {
		n, err := TrySend(fd, chunk)
		if errors.Is(err, unix.EAGAIN) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, errors.New("sent 64 MiB and the buffers never filled")
}

// startStreamPeer connects a socket of the given kind to a new
// stream-sender child and returns the test's end, which only receives.
func startStreamPeer(t *testing.T, kind, how string) (int, *child, *childLink) {
	t.Helper()
	switch kind {
	case "pair":
		a, b, err := Socketpair(unix.SOCK_STREAM)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, a)
		peer := os.NewFile(uintptr(b), "peer")
		c, link := startLinked(t, "stream-sender", []*os.File{peer}, "fd", "", how)
		peer.Close()
		return a, c, link
	case "unix":
		lfd, path := listenUnixForTest(t, unix.SOCK_STREAM)
		c, link := startLinked(t, "stream-sender", nil, "unix", path, how)
		return acceptForTest(t, lfd), c, link
	case "tcp":
		lfd, port, err := ListenLoopback(unix.SOCK_STREAM)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, lfd)
		// Accepted sockets inherit the listener's buffer size; it must be
		// set before the handshake, which announces the window.
		if err := SetRcvBuf(lfd, 4096); err != nil {
			t.Fatal(err)
		}
		c, link := startLinked(t, "stream-sender", nil, "tcp", strconv.Itoa(port), how)
		return acceptForTest(t, lfd), c, link
	case "unix-dgram":
		fd, path := listenUnixForTest(t, unix.SOCK_DGRAM)
		c, link := startLinked(t, "stream-sender", nil, "unix-dgram", path, how)
		return fd, c, link
	}
	t.Fatalf("unknown stream kind %q", kind)
	return -1, nil, nil
}

// recvAtLeast receives from fd until it has got want bytes in all.
func recvAtLeast(t *testing.T, fd int, got *int, want int) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for *got < want {
		n, err := Recv(fd, buf, 0)
		if err != nil || n == 0 {
			t.Fatalf("receive after %d of %d bytes: %d, %v", *got, want, n, err)
		}
		*got += n
	}
}

// A receiver that does not read makes the sender block: a stream sender
// once its send buffer is full (TCP: once the receiver's window is, too);
// a Unix datagram sender once the datagrams it queued, which count against
// its send buffer until read, fill it.
func TestSenderBlocksWhenFull(t *testing.T) {
	for _, kind := range []string{"pair", "unix", "tcp", "unix-dgram"} {
		t.Run(kind, func(t *testing.T) {
			fd, c, link := startStreamPeer(t, kind, "fill")
			setRecvTimeout(t, fd)
			f := nextFields(t, link, "full")
			sent, outq := atoi(t, f[0]), atoi(t, f[1])
			if sent == 0 || outq == 0 {
				t.Fatalf("sender full after %d bytes with %d queued, want both above 0", sent, outq)
			}
			inq, err := SockInq(fd)
			if err != nil || inq == 0 {
				t.Fatalf("SIOCINQ = %d, %v with the buffers full", inq, err)
			}
			t.Logf("sender full after %d bytes; SIOCOUTQ %d at the sender, SIOCINQ %d here", sent, outq, inq)
			if kind == "tcp" {
				checkTCPQueued(t, fd)
			}
			waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_SENDTO) // Send is send(2), a sendto with no address
			got := 0
			recvAtLeast(t, fd, &got, sent)
			total := atoi(t, nextFields(t, link, "sent")[0])
			recvAtLeast(t, fd, &got, total)
			if got != total {
				t.Fatalf("received %d bytes, the child sent %d", got, total)
			}
			finishLinked(t, c, link)
		})
	}
}

// checkTCPQueued checks that /proc/net/tcp, which anyone can read, shows
// the unread bytes on the test's end of the connection.
func checkTCPQueued(t *testing.T, fd int) {
	t.Helper()
	port, err := LocalPort(fd)
	if err != nil {
		t.Fatal(err)
	}
	socks, err := InetSockets("tcp", port)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.LocalPort == port && s.State == 1 && s.RxQueue > 0 {
			return
		}
	}
	t.Fatalf("no established socket on port %d with bytes queued in %+v", port, socks)
}

// A sender killed in the middle of a transfer: the receiver reads what was
// queued and then end of file, and the socket file, which outlives every
// process, is removed by the test.
func TestStreamSenderKilledMidTransfer(t *testing.T) {
	fd, c, link := startStreamPeer(t, "unix", "flood")
	setRecvTimeout(t, fd)
	link.expect(t, "flooding")
	got := 0
	recvAtLeast(t, fd, &got, 256<<10)
	c.kill(t)
	buf := make([]byte, 64<<10)
	for {
		n, err := Recv(fd, buf, 0)
		if err != nil {
			t.Fatalf("after %d bytes: %v, want end of file", got, err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	t.Logf("received %d bytes before end of file", got)
}

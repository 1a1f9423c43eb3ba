package ipc

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SockInq reports the bytes waiting to be read on a socket: on a stream,
// all unread bytes of data; on a datagram socket, the size of the next
// datagram only (0 if none).
//
//	int ioctl(int sockfd, SIOCINQ, int *count);
func SockInq(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	return n, syscallErr("ioctl SIOCINQ", err)
}

// SockOutq reports what a socket has sent that is not yet gone, and the
// two kinds of socket count it differently. On TCP it is bytes of data not
// yet acknowledged by the peer. On a Unix socket it is the kernel memory
// the data the peer has not yet read takes (sk_wmem_alloc): each message
// costs its buffer's whole size, bookkeeping included, some 768 bytes for a
// 64-byte message on x86-64. That is the measure SO_SNDBUF limits, so it
// tells when a sender must wait, but it is not a count of bytes of data.
//
//	int ioctl(int sockfd, SIOCOUTQ, int *count);
func SockOutq(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	return n, syscallErr("ioctl SIOCOUTQ", err)
}

// RcvBuf reads SO_RCVBUF, the receive buffer limit in bytes. Linux reports
// twice what was set: the other half pays for its bookkeeping.
//
//	int getsockopt(int sockfd, SOL_SOCKET, SO_RCVBUF, int *val, socklen_t *len);
func RcvBuf(fd int) (int, error) {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	return n, syscallErr("getsockopt SO_RCVBUF", err)
}

// SetRcvBuf sets SO_RCVBUF. The kernel doubles n, raises it to a minimum
// of about 2 KiB and caps it at net.core.rmem_max; a small buffer makes a
// receiver fall behind, and datagrams drop, after a few messages. On TCP,
// set it before listen or connect, as it shapes the advertised window.
//
//	int setsockopt(int sockfd, SOL_SOCKET, SO_RCVBUF, const int *val, socklen_t len);
func SetRcvBuf(fd, n int) error {
	return syscallErr("setsockopt SO_RCVBUF", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n))
}

// SndBuf reads SO_SNDBUF, the send buffer limit in bytes (twice what was
// set, as for SO_RCVBUF).
//
//	int getsockopt(int sockfd, SOL_SOCKET, SO_SNDBUF, int *val, socklen_t *len);
func SndBuf(fd int) (int, error) {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	return n, syscallErr("getsockopt SO_SNDBUF", err)
}

// SetSndBuf sets SO_SNDBUF (doubled, with a minimum of about 4 KiB, capped
// at net.core.wmem_max). A small send buffer makes a sender block soon.
//
//	int setsockopt(int sockfd, SOL_SOCKET, SO_SNDBUF, const int *val, socklen_t len);
func SetSndBuf(fd, n int) error {
	return syscallErr("setsockopt SO_SNDBUF", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, n))
}

// SetNoDelay turns TCP_NODELAY on or off. On, each small send leaves at
// once instead of waiting to be merged with the next (Nagle's algorithm).
//
//	int setsockopt(int sockfd, IPPROTO_TCP, TCP_NODELAY, const int *val, socklen_t len);
func SetNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return syscallErr("setsockopt TCP_NODELAY", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

// SetRxqOvfl turns on SO_RXQ_OVFL: from then on RecvDrops reports how many
// datagrams the socket has dropped because its receive buffer was full.
//
//	int setsockopt(int sockfd, SOL_SOCKET, SO_RXQ_OVFL, const int *val, socklen_t len);
func SetRxqOvfl(fd int) error {
	return syscallErr("setsockopt SO_RXQ_OVFL", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1))
}

// RecvDrops is Recv for a datagram socket with SO_RXQ_OVFL on. Along with
// the datagram it returns the socket's count of drops so far, as the kernel
// stamped it on this datagram when queueing it: drops after the last queued
// datagram show on the next one to arrive.
//
//	ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags);
func RecvDrops(fd int, b []byte, flags int) (n int, drops uint32, err error) {
	oob := make([]byte, unix.CmsgSpace(4))
	var oobn int
	n, err = ignoringEINTRN(func() (int, error) {
		n, on, _, _, err := unix.Recvmsg(fd, b, oob, flags)
		oobn = on
		return n, err
	})
	if err != nil {
		return 0, 0, syscallErr("recvmsg", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return n, 0, fmt.Errorf("recvmsg: control message: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			drops = binary.NativeEndian.Uint32(m.Data)
		}
	}
	return n, drops, nil
}

// InetSocket is one line of /proc/net/tcp or /proc/net/udp: the kernel's
// view of an IPv4 socket, readable by any process of the machine without
// the socket's descriptor.
type InetSocket struct {
	LocalPort  int
	RemotePort int
	State      int // TCP state (1 established, 10 listen); UDP: 7 unconnected, 1 connected
	// TxQueue is, on TCP, bytes not yet acknowledged; on UDP, the kernel
	// memory charged to the send buffer.
	TxQueue int
	// RxQueue is, on TCP, bytes not yet read, except on a listening
	// socket, where it counts connections not yet accepted; on UDP, the
	// kernel memory charged to the receive buffer, bookkeeping included.
	RxQueue int
	Drops   int // datagrams dropped (UDP: receive buffer full)
}

// tcpListen is the state of a listening TCP socket in /proc/net/tcp.
const tcpListen = 10

// Listening says whether s is a listening TCP socket, whose RxQueue counts
// connections, not bytes.
func (s InetSocket) Listening() bool { return s.State == tcpListen }

// InetSockets lists the IPv4 sockets of protocol proto ("tcp" or "udp")
// whose local or remote port is port. For a TCP connection on loopback that
// is the listener and both ends.
func InetSockets(proto string, port int) ([]InetSocket, error) {
	if proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("inet sockets: protocol %q: want tcp or udp", proto)
	}
	data, err := os.ReadFile("/proc/net/" + proto)
	if err != nil {
		return nil, fmt.Errorf("inet sockets: %w", err)
	}
	_, rows, _ := strings.Cut(string(data), "\n")
	var out []InetSocket
	for line := range strings.Lines(rows) {
		s, err := parseInetLine(line, proto == "udp")
		if err != nil {
			return nil, fmt.Errorf("inet sockets: /proc/net/%s: %w", proto, err)
		}
		if s.LocalPort == port || s.RemotePort == port {
			out = append(out, s)
		}
	}
	return out, nil
}

// parseInetLine reads the fields of one /proc/net/{tcp,udp} line that
// matter here; only UDP lines end with a drops count:
//
//	sl local_address rem_address st tx_queue:rx_queue ... drops
//	0: 0100007F:A5C3 00000000:0000 07 00000000:00000000 ... 0
func parseInetLine(line string, hasDrops bool) (InetSocket, error) {
	f := strings.Fields(line)
	if len(f) < 5 || (hasDrops && len(f) < 13) {
		return InetSocket{}, fmt.Errorf("short line %q", line)
	}
	_, lport, _ := strings.Cut(f[1], ":")
	_, rport, _ := strings.Cut(f[2], ":")
	tx, rx, _ := strings.Cut(f[4], ":")
	var p hexParser
	s := InetSocket{
		LocalPort:  p.int(lport),
		RemotePort: p.int(rport),
		State:      p.int(f[3]),
		TxQueue:    p.int(tx),
		RxQueue:    p.int(rx),
	}
	if hasDrops {
		drops, err := strconv.Atoi(f[12])
		s.Drops = drops
		p.err = cmp.Or(p.err, err)
	}
	if p.err != nil {
		return InetSocket{}, fmt.Errorf("line %q: %w", line, p.err)
	}
	return s, nil
}

// hexParser parses hexadecimal fields and keeps the first error.
type hexParser struct{ err error }

func (p *hexParser) int(field string) int {
	v, err := strconv.ParseUint(field, 16, 32)
	p.err = cmp.Or(p.err, err)
	return int(v)
}

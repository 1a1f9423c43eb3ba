package ipc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Exact lookups through sock_diag. A dump (InetDiag), even filtered to one
// port, makes the kernel walk its whole table of connections, every
// bucket of it: some 262,144 on a machine with a few GiB of memory, a few
// milliseconds whatever the number of sockets. A lookup names one socket by
// its ports and finds it in its hash bucket, so a session's sockets cost a
// few microseconds each, and all of them go in one request.

// InetEnd names one IPv4 loopback socket by its local port and, for a
// connection, its remote port (0 for a listening TCP socket or an
// unconnected UDP one).
type InetEnd struct {
	Local, Remote int
}

// inetDiagNoCookie asks for whichever socket has the ports, not one
// particular socket (INET_DIAG_NOCOOKIE).
const inetDiagNoCookie = 0xffffffff

// lookupRequest is one exact request for end, with an acknowledgement
// asked, so that every request gets exactly one NLMSG_ERROR answer (errno 0
// after a found socket's record).
func lookupRequest(b []byte, seq uint32, protocol int, end InetEnd) {
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], sizeofNlmsghdr+sizeofInetDiagReq)
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[8:], seq)
	req := b[sizeofNlmsghdr:]
	req[0] = unix.AF_INET
	req[1] = byte(protocol)
	req[2] = 1 << (inetDiagSkmeminfo - 1)
	ne.PutUint32(req[4:], 0xffffffff)
	id := req[8:]
	// The socket id is sport, dport, src[4], dst[4], if, cookie[2]. TCP
	// finds the socket whose local end is (src, sport) and remote end
	// (dst, dport); UDP looks up as for an arriving datagram, from (src,
	// sport) to (dst, dport), so the two ends go the other way round.
	local, remote := end.Local, end.Remote
	if protocol == unix.IPPROTO_UDP {
		local, remote = remote, local
	}
	binary.BigEndian.PutUint16(id[0:], uint16(local))
	binary.BigEndian.PutUint16(id[2:], uint16(remote))
	loopback := []byte{127, 0, 0, 1}
	if protocol == unix.IPPROTO_UDP || local != 0 {
		copy(id[4:], loopback) // src
	}
	if protocol == unix.IPPROTO_UDP || remote != 0 {
		copy(id[20:], loopback) // dst
	}
	ne.PutUint32(id[40:], inetDiagNoCookie)
	ne.PutUint32(id[44:], inetDiagNoCookie)
}

// InetLookup finds the IPv4 loopback sockets of protocol proto ("tcp" or
// "udp") with the given ends, in one round of requests. An end with no
// socket is left out. A TCP end whose connection is gone may find the
// listener of its local port instead: each socket is returned once.
//
//	socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG); sendto; recvfrom
func InetLookup(proto string, ends []InetEnd) ([]InetSocket, error) {
	protocol := unix.IPPROTO_TCP
	switch proto {
	case "tcp":
	case "udp":
		protocol = unix.IPPROTO_UDP
	default:
		return nil, fmt.Errorf("inet sockets: protocol %q: want tcp or udp", proto)
	}
	if len(ends) == 0 {
		return nil, nil
	}
	const one = sizeofNlmsghdr + sizeofInetDiagReq
	req := make([]byte, one*len(ends))
	for i, e := range ends {
		if e.Local <= 0 || e.Local > 0xffff || e.Remote < 0 || e.Remote > 0xffff {
			return nil, fmt.Errorf("inet sockets: ports %d, %d out of range", e.Local, e.Remote)
		}
		lookupRequest(req[i*one:], uint32(i+1), protocol, e)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, syscallErr("socket NETLINK_SOCK_DIAG", err)
	}
	defer unix.Close(fd)
	// Enough room for every answer, so none is dropped while the kernel
	// answers the later requests.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1024*len(ends)+(64<<10))
	if err := diagTimeout(fd); err != nil {
		return nil, err
	}
	if err := ignoringEINTR(func() error {
		return unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	}); err != nil {
		return nil, syscallErr("sendto", err)
	}
	var out []InetSocket
	seen := map[uint64]bool{}
	buf := make([]byte, 8<<10)
	for acks := 0; acks < len(ends); {
		n, err := ignoringEINTRN(func() (int, error) {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			return n, err
		})
		if err != nil {
			return nil, syscallErr("recvfrom", err)
		}
		a, err := parseLookup(buf[:n], &out, seen)
		if err != nil {
			return nil, err
		}
		acks += a
	}
	return out, nil
}

// parseLookup reads one datagram of answers, appends each socket not seen
// yet, and returns how many requests it saw answered in full.
func parseLookup(b []byte, out *[]InetSocket, seen map[uint64]bool) (int, error) {
	ne := binary.NativeEndian
	acks := 0
	for len(b) >= sizeofNlmsghdr {
		l := int(ne.Uint32(b[0:]))
		if l < sizeofNlmsghdr || l > len(b) {
			return acks, fmt.Errorf("sock_diag: message of %d bytes in %d", l, len(b))
		}
		msg := b[sizeofNlmsghdr:l]
		typ := ne.Uint16(b[4:])
		b = b[min(nlAlign(l), len(b)):]
		switch typ {
		case unix.NLMSG_ERROR:
			acks++
			if len(msg) < 4 {
				continue
			}
			errno := unix.Errno(-int32(ne.Uint32(msg)))
			if errno != 0 && !errors.Is(errno, unix.ENOENT) {
				return acks, syscallErr("sock_diag", errno)
			}
		case unix.SOCK_DIAG_BY_FAMILY:
			if len(msg) < sizeofInetDiagMsg {
				return acks, fmt.Errorf("sock_diag: short record of %d bytes", len(msg))
			}
			cookie := uint64(ne.Uint32(msg[44:])) | uint64(ne.Uint32(msg[48:]))<<32
			if seen[cookie] {
				continue
			}
			seen[cookie] = true
			*out = append(*out, diagSocket(msg))
		}
	}
	return acks, nil
}

// diagTimeout bounds each wait for the kernel's answer: the kernel answers
// at once, so a wait this long means an answer was lost, and a sampler
// must not wait for it for ever.
//
//	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)
func diagTimeout(fd int) error {
	tv := unix.Timeval{Sec: 1}
	return syscallErr("setsockopt SO_RCVTIMEO", unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
}

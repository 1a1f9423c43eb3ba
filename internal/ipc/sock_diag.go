package ipc

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// The kernel's view of IPv4 sockets through sock_diag (NETLINK_SOCK_DIAG),
// the interface ss(8) uses: a request names a protocol and carries a small
// filter program, and the kernel answers with one record per matching
// socket. Unlike reading /proc/net/tcp, which formats a line of text for
// every socket of the network namespace, only the sockets on the port are
// sent, and nothing is parsed from text.

// From <linux/inet_diag.h>, which x/sys/unix does not carry.
const (
	inetDiagReqBytecode = 1 // INET_DIAG_REQ_BYTECODE: the request's filter
	inetDiagSkmeminfo   = 7 // INET_DIAG_SKMEMINFO: the socket's memory counters, drops among them

	inetDiagBCJmp = 1  // INET_DIAG_BC_JMP: always takes "no"
	inetDiagBCSEq = 11 // INET_DIAG_BC_S_EQ: local port equals the next op's "no" (Linux 4.16)
	inetDiagBCDEq = 12 // INET_DIAG_BC_D_EQ: remote port equals it

	sizeofNlmsghdr     = 16
	sizeofInetDiagReq  = 56 // struct inet_diag_req_v2
	sizeofInetDiagMsg  = 72 // struct inet_diag_msg
	sizeofNlattr       = 4
	inetDiagMsgRqueue  = 56 // offsets in inet_diag_msg
	inetDiagMsgWqueue  = 60
	inetDiagSockidPort = 4 // sport, then dport, big-endian, at the start of the socket id
)

// portFilter is the filter program "local port is port, or remote port is
// port". Each op is {code u8, yes u8, no u16}: the kernel moves on by yes
// bytes when the test holds and by no bytes when it fails, and accepts the
// socket if it lands exactly at the end. A port test takes its port from
// the next op's no. The jump op's yes is never taken; it is there because
// the kernel checks a program by following yes from the start.
//
//	 0  S_EQ  yes 8 (to 8)  no 12 (to 12)
//	 4        port
//	 8  JMP   yes 4         no 12 (to 20: the end, accept)
//	12  D_EQ  yes 8 (to 20: accept)  no 12 (to 24: past the end, refuse)
//	16        port
func portFilter(port int) []byte {
	b := make([]byte, 20)
	op := func(off int, code, yes byte, no uint16) {
		b[off], b[off+1] = code, yes
		binary.NativeEndian.PutUint16(b[off+2:], no)
	}
	op(0, inetDiagBCSEq, 8, 12)
	op(4, 0, 0, uint16(port))
	op(8, inetDiagBCJmp, 4, 12)
	op(12, inetDiagBCDEq, 8, 12)
	op(16, 0, 0, uint16(port))
	return b
}

// diagRequest builds the netlink message asking for every IPv4 socket of
// protocol (IPPROTO_TCP or IPPROTO_UDP) whose local or remote port is port,
// with its memory counters.
func diagRequest(protocol, port int) []byte {
	filter := portFilter(port)
	n := sizeofNlmsghdr + sizeofInetDiagReq + sizeofNlattr + len(filter)
	b := make([]byte, n)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(n))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(b[8:], 1) // sequence number
	req := b[sizeofNlmsghdr:]
	req[0] = unix.AF_INET
	req[1] = byte(protocol)
	req[2] = 1 << (inetDiagSkmeminfo - 1) // extensions wanted
	ne.PutUint32(req[4:], 0xffffffff)     // every state
	attr := req[sizeofInetDiagReq:]
	ne.PutUint16(attr[0:], uint16(sizeofNlattr+len(filter)))
	ne.PutUint16(attr[2:], inetDiagReqBytecode)
	copy(attr[sizeofNlattr:], filter)
	return b
}

// InetDiag lists the IPv4 sockets of protocol proto ("tcp" or "udp") whose
// local or remote port is port, as InetSockets does, asking the kernel
// through sock_diag. Drops counts, for UDP and TCP alike, the packets the
// socket dropped (SK_MEMINFO_DROPS; for UDP, mostly a full receive buffer).
//
//	socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG); sendto; recvfrom
func InetDiag(proto string, port int) ([]InetSocket, error) {
	protocol := unix.IPPROTO_TCP
	switch proto {
	case "tcp":
	case "udp":
		protocol = unix.IPPROTO_UDP
	default:
		return nil, fmt.Errorf("inet sockets: protocol %q: want tcp or udp", proto)
	}
	if port <= 0 || port > 0xffff {
		return nil, fmt.Errorf("inet sockets: port %d out of range", port)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, syscallErr("socket NETLINK_SOCK_DIAG", err)
	}
	defer unix.Close(fd)
	if err := diagTimeout(fd); err != nil {
		return nil, err
	}
	if err := ignoringEINTR(func() error {
		return unix.Sendto(fd, diagRequest(protocol, port), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	}); err != nil {
		return nil, syscallErr("sendto", err)
	}
	var out []InetSocket
	buf := make([]byte, 32<<10)
	for {
		n, err := ignoringEINTRN(func() (int, error) {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			return n, err
		})
		if err != nil {
			return nil, syscallErr("recvfrom", err)
		}
		done, err := parseDiag(buf[:n], &out)
		if err != nil || done {
			return out, err
		}
	}
}

// parseDiag reads one datagram of netlink messages into out, and says
// whether the dump is over.
func parseDiag(b []byte, out *[]InetSocket) (bool, error) {
	ne := binary.NativeEndian
	for len(b) >= sizeofNlmsghdr {
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if l < sizeofNlmsghdr || l > len(b) {
			return true, fmt.Errorf("sock_diag: message of %d bytes in %d", l, len(b))
		}
		msg := b[sizeofNlmsghdr:l]
		b = b[min(nlAlign(l), len(b)):]
		switch typ {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			if len(msg) >= 4 {
				if errno := -int32(ne.Uint32(msg)); errno != 0 {
					return true, syscallErr("sock_diag", unix.Errno(errno))
				}
			}
			return true, nil
		case unix.SOCK_DIAG_BY_FAMILY:
			if len(msg) < sizeofInetDiagMsg {
				return true, fmt.Errorf("sock_diag: short record of %d bytes", len(msg))
			}
			*out = append(*out, diagSocket(msg))
		}
	}
	return false, nil
}

func nlAlign(n int) int { return (n + 3) &^ 3 }

// diagSocket reads one inet_diag_msg record and its attributes.
func diagSocket(msg []byte) InetSocket {
	ne := binary.NativeEndian
	s := InetSocket{
		LocalPort:  int(binary.BigEndian.Uint16(msg[inetDiagSockidPort:])),
		RemotePort: int(binary.BigEndian.Uint16(msg[inetDiagSockidPort+2:])),
		State:      int(msg[1]), // the TCP state numbers /proc/net shows, for UDP too
		RxQueue:    int(ne.Uint32(msg[inetDiagMsgRqueue:])),
		TxQueue:    int(ne.Uint32(msg[inetDiagMsgWqueue:])),
	}
	if s.Listening() {
		s.TxQueue = 0 // sock_diag gives the backlog's limit here; /proc/net/tcp, 0
	}
	for a := msg[sizeofInetDiagMsg:]; len(a) >= sizeofNlattr; {
		al := int(ne.Uint16(a[0:]))
		if al < sizeofNlattr || al > len(a) {
			break
		}
		if ne.Uint16(a[2:]) == inetDiagSkmeminfo && al >= sizeofNlattr+4*(unix.SK_MEMINFO_DROPS+1) {
			s.Drops = int(ne.Uint32(a[sizeofNlattr+4*unix.SK_MEMINFO_DROPS:]))
		}
		a = a[min(nlAlign(al), len(a)):]
	}
	return s
}

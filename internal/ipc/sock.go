package ipc

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotLoopback is returned for any IP address outside 127.0.0.0/8: the
// playground's sockets never leave the machine.
var ErrNotLoopback = errors.New("only loopback addresses (127.0.0.0/8) are allowed")

// maxUnixPath is the longest socket path bind and connect take: sun_path
// holds 108 bytes, and we keep one for the terminating NUL.
const maxUnixPath = 107

// Socket creates a socket and returns its descriptor, which the caller owns.
// domain is AF_UNIX or AF_INET; typ is SOCK_STREAM, SOCK_DGRAM or
// SOCK_SEQPACKET. SOCK_CLOEXEC is always added. The socket blocks: use the
// Try forms below for calls that must not.
//
//	int socket(int domain, int type, int protocol);
func Socket(domain, typ int) (int, error) {
	if domain != unix.AF_UNIX && domain != unix.AF_INET {
		return -1, syscallErr("socket", unix.EAFNOSUPPORT) // only Unix and IPv4 here
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, syscallErr("socket", err)
	}
	return fd, nil
}

// Socketpair creates two connected Unix domain sockets of type typ, with
// no name anywhere; the caller owns both.
//
//	int socketpair(int domain, int type, int protocol, int sv[2]);
func Socketpair(typ int) (a, b int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, syscallErr("socketpair", err)
	}
	return fds[0], fds[1], nil
}

// UnixSockaddr is the address of the socket file called name in directory
// dir. name may not contain a slash, and the whole path must fit sun_path.
func UnixSockaddr(dir, name string) (*unix.SockaddrUnix, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("unix socket name %q: %w", name, unix.EINVAL)
	}
	return unixSockaddr(filepath.Join(dir, name))
}

func unixSockaddr(path string) (*unix.SockaddrUnix, error) {
	if len(path) > maxUnixPath {
		return nil, fmt.Errorf("unix socket path is %d bytes, the limit is %d: %w",
			len(path), maxUnixPath, unix.ENAMETOOLONG)
	}
	return &unix.SockaddrUnix{Name: path}, nil
}

// LoopbackSockaddr is the IPv4 address ip:port, refused with ErrNotLoopback
// unless ip is a loopback address. Port 0 lets bind choose a free port.
func LoopbackSockaddr(ip string, port int) (*unix.SockaddrInet4, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return nil, fmt.Errorf("%w: %q is not an IPv4 address", ErrNotLoopback, ip)
	}
	if !addr.IsLoopback() {
		return nil, fmt.Errorf("%w: %s is not one", ErrNotLoopback, ip)
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("port %d is out of range: %w", port, unix.EINVAL)
	}
	return &unix.SockaddrInet4{Port: port, Addr: addr.As4()}, nil
}

// checkLoopback lets through Unix addresses and IPv4 loopback ones only.
func checkLoopback(sa unix.Sockaddr) error {
	switch a := sa.(type) {
	case *unix.SockaddrUnix:
		return nil
	case *unix.SockaddrInet4:
		if a.Addr[0] == 127 {
			return nil
		}
		return fmt.Errorf("%w: %s is not one", ErrNotLoopback, netip.AddrFrom4(a.Addr))
	}
	return fmt.Errorf("%w: %T is not a Unix or IPv4 address", ErrNotLoopback, sa)
}

// Bind gives the socket its address: a path (which creates the socket
// file; it stays after close until UnlinkSocket) or a loopback address.
//
//	int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen);
func Bind(fd int, sa unix.Sockaddr) error {
	if err := checkLoopback(sa); err != nil {
		return err
	}
	return syscallErr("bind", unix.Bind(fd, sa))
}

// Listen makes a bound stream socket accept connections; backlog bounds how
// many finished connections wait for Accept.
//
//	int listen(int sockfd, int backlog);
func Listen(fd, backlog int) error {
	return syscallErr("listen", unix.Listen(fd, backlog))
}

// Connect connects the socket to a path or loopback address. For a
// datagram socket it only sets the default destination. A Unix stream
// connect blocks while the listener's backlog is full.
//
//	int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen);
func Connect(fd int, sa unix.Sockaddr) error {
	if err := checkLoopback(sa); err != nil {
		return err
	}
	err := unix.Connect(fd, sa)
	for errors.Is(err, unix.EINTR) {
		// Go's signal handlers use SA_RESTART, so the kernel restarts an
		// interrupted connect by itself; should EINTR surface anyway,
		// connecting again resumes the attempt, and EISCONN then says
		// it has already succeeded.
		if err = unix.Connect(fd, sa); errors.Is(err, unix.EISCONN) {
			err = nil
		}
	}
	return syscallErr("connect", err)
}

// Accept waits for a connection on a listening socket and returns the
// descriptor of its server side, which the caller owns (SOCK_CLOEXEC set).
//
//	int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
func Accept(fd int) (int, error) {
	nfd, err := ignoringEINTRN(func() (int, error) {
		nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		return nfd, err
	})
	if err != nil {
		return -1, syscallErr("accept4", err)
	}
	return nfd, nil
}

// TryAccept accepts a connection that is already waiting, and otherwise
// fails at once with EAGAIN. accept has no per-call non-blocking flag, so it
// asks poll first, with no timeout; with one accepting process that is
// exact.
//
//	int poll(struct pollfd *fds, nfds_t nfds, 0);
func TryAccept(fd int) (int, error) {
	ready, err := pollNow(fd, unix.POLLIN)
	if err != nil {
		return -1, err
	}
	if !ready {
		return -1, syscallErr("accept4", unix.EAGAIN)
	}
	return Accept(fd)
}

// Send sends b on a connected socket and returns how many bytes the kernel
// took: on a stream socket possibly fewer than len(b), on a datagram socket
// all of b as one datagram. It blocks while the send buffer is full; a Unix
// datagram counts against its sender's buffer until it is read, so a slow
// reader blocks its senders, while UDP never blocks and drops instead.
// MSG_NOSIGNAL is always added: a closed peer is an EPIPE error, never a
// signal.
//
//	ssize_t send(int sockfd, const void *buf, size_t len, int flags);
func Send(fd int, b []byte, flags int) (int, error) {
	return SendTo(fd, b, flags, nil)
}

// TrySend is Send with MSG_DONTWAIT: where Send would block it fails at
// once with EAGAIN. Since it cannot sleep it is a raw system call, cheaper
// than Send's (see send in sock_unsafe.go); so is any Send or Recv whose
// flags hold MSG_DONTWAIT.
func TrySend(fd int, b []byte) (int, error) {
	return Send(fd, b, unix.MSG_DONTWAIT)
}

// SendTo sends b to the address to, which must be a path or a loopback
// address; a nil to means the connected peer, as Send.
//
//	ssize_t sendto(int sockfd, const void *buf, size_t len, int flags,
//	               const struct sockaddr *dest_addr, socklen_t addrlen);
//
// A send to the connected peer is the sendto system call with no address,
// which is what send(2) is; one to an address goes through sendmsg, since
// x/sys/unix's Sendto does not return the byte count.
func SendTo(fd int, b []byte, flags int, to unix.Sockaddr) (int, error) {
	if to == nil {
		n, err := ignoringEINTRN(func() (int, error) { return send(fd, b, flags|unix.MSG_NOSIGNAL) })
		return n, syscallErr("sendto", err)
	}
	if err := checkLoopback(to); err != nil {
		return 0, err
	}
	n, err := ignoringEINTRN(func() (int, error) {
		return unix.SendmsgN(fd, b, nil, to, flags|unix.MSG_NOSIGNAL)
	})
	return n, syscallErr("sendto", err)
}

// Recv receives into b and returns the byte count. On a stream socket 0
// bytes and no error mean the peer closed; a datagram socket returns one
// datagram, cut to len(b). It blocks until there is something to read.
//
//	ssize_t recv(int sockfd, void *buf, size_t len, int flags);
func Recv(fd int, b []byte, flags int) (int, error) {
	n, err := ignoringEINTRN(func() (int, error) { return recv(fd, b, flags) })
	if err != nil {
		return 0, syscallErr("recvfrom", err)
	}
	return n, nil
}

// TryRecv is Recv with MSG_DONTWAIT: with nothing to read it fails at once
// with EAGAIN. Like TrySend it is a raw system call.
func TryRecv(fd int, b []byte) (int, error) {
	return Recv(fd, b, unix.MSG_DONTWAIT)
}

// RecvFrom is Recv that also returns the sender's address, where the
// socket type has one (nil on a connected stream).
//
//	ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags,
//	                 struct sockaddr *src_addr, socklen_t *addrlen);
func RecvFrom(fd int, b []byte, flags int) (int, unix.Sockaddr, error) {
	var from unix.Sockaddr
	n, err := ignoringEINTRN(func() (int, error) {
		n, sa, err := unix.Recvfrom(fd, b, flags)
		from = sa
		return n, err
	})
	if err != nil {
		return 0, nil, syscallErr("recvfrom", err)
	}
	return n, from, nil
}

// Shutdown closes one or both directions of a connection (SHUT_WR sends
// end of file to the peer while this side can still read). On a listening
// socket, SHUT_RD wakes a process blocked in accept; closing it does not.
//
//	int shutdown(int sockfd, int how);
func Shutdown(fd, how int) error {
	return syscallErr("shutdown", unix.Shutdown(fd, how))
}

// LocalPort returns the port a bound IPv4 socket has, the way to learn the
// port bind chose for port 0.
//
//	int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
func LocalPort(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, syscallErr("getsockname", err)
	}
	in, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return 0, fmt.Errorf("getsockname: %T is not an IPv4 address", sa)
	}
	return in.Port, nil
}

// UnlinkSocket removes a socket file. Closing the socket, or the death of
// its process, leaves the file behind, and a later bind to the path fails
// with EADDRINUSE until it is removed.
//
//	int unlink(const char *pathname);
func UnlinkSocket(path string) error {
	return syscallErr("unlink", unix.Unlink(path))
}

// SocketFileExists reports whether path exists and is a socket file.
func SocketFileExists(path string) (bool, error) {
	var st unix.Stat_t
	err := unix.Lstat(path, &st)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, syscallErr("stat", err)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFSOCK, nil
}

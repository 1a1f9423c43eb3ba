package ipc

import (
	"golang.org/x/sys/unix"
)

// listenBacklog is ample for a lesson's handful of connections, and small
// enough that a full backlog can be shown.
const listenBacklog = 16

// ListenLoopback creates a socket of type typ (SOCK_STREAM for TCP,
// SOCK_DGRAM for UDP) bound to 127.0.0.1 on a port the kernel picks, and
// listening if it is a stream. It returns the descriptor, which the caller
// owns, and the port.
func ListenLoopback(typ int) (fd, port int, err error) {
	fd, err = Socket(unix.AF_INET, typ)
	if err != nil {
		return -1, 0, err
	}
	err = Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err == nil {
		err = listenIfStream(fd, typ)
	}
	if err == nil {
		port, err = LocalPort(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	return fd, port, nil
}

// listenIfStream makes fd listen unless typ is a datagram type, which has
// no connections to accept.
func listenIfStream(fd, typ int) error {
	if typ == unix.SOCK_DGRAM {
		return nil
	}
	return Listen(fd, listenBacklog)
}

// DialLoopback creates a socket of type typ connected to 127.0.0.1:port
// and returns its descriptor, which the caller owns.
func DialLoopback(typ, port int) (int, error) {
	sa, err := LoopbackSockaddr("127.0.0.1", port)
	if err != nil {
		return -1, err
	}
	return dial(unix.AF_INET, typ, sa)
}

// ListenUnix creates a Unix socket of type typ bound to the file name in
// directory dir, listening unless it is a datagram socket. It returns the
// descriptor, which the caller owns, and the path, which the caller removes
// with UnlinkSocket; on failure nothing is left behind.
func ListenUnix(typ int, dir, name string) (fd int, path string, err error) {
	sa, err := UnixSockaddr(dir, name)
	if err != nil {
		return -1, "", err
	}
	fd, err = Socket(unix.AF_UNIX, typ)
	if err != nil {
		return -1, "", err
	}
	if err := Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, "", err
	}
	if err := listenIfStream(fd, typ); err != nil {
		unix.Close(fd)
		_ = UnlinkSocket(sa.Name)
		return -1, "", err
	}
	return fd, sa.Name, nil
}

// DialUnix creates a Unix socket of type typ connected to the socket file
// at path and returns its descriptor, which the caller owns.
func DialUnix(typ int, path string) (int, error) {
	sa, err := unixSockaddr(path)
	if err != nil {
		return -1, err
	}
	return dial(unix.AF_UNIX, typ, sa)
}

// dial creates a socket and connects it to sa.
func dial(domain, typ int, sa unix.Sockaddr) (int, error) {
	fd, err := Socket(domain, typ)
	if err != nil {
		return -1, err
	}
	if err := Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

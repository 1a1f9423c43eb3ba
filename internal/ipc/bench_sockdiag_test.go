package ipc

import (
	"fmt"
	"net"
	"testing"
)

// BenchmarkInetRead is one reading of a TCP port's sockets, as the sampler
// makes ten times a second for every TCP port of every session: the old way
// (/proc/net/tcp, a line of text for every socket of the namespace, then
// parsed), a sock_diag dump filtered to the port in the kernel, and the
// sampler's way: sock_diag lookups of the session's own sockets by their
// ports, all in one request.
// "others" is how many unrelated loopback connections (two sockets each)
// the machine holds besides the session's one.
//
//	go test -run '^$' -bench InetRead ./internal/ipc
func BenchmarkInetRead(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	dial := func(l net.Listener) {
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c, s)
	}
	dial(ln) // the session's connection
	client := conns[0].LocalAddr().(*net.TCPAddr).Port
	lookup := func(proto string, port int) ([]InetSocket, error) {
		return InetLookup(proto, []InetEnd{{port, 0}, {client, port}, {port, client}})
	}
	other, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	for _, others := range []int{0, 1000} {
		for len(conns) < 2+2*others {
			dial(other)
		}
		for _, m := range []struct {
			name string
			read func(string, int) ([]InetSocket, error)
		}{{"proc", InetSockets}, {"sock_diag_dump", InetDiag}, {"sock_diag_lookup", lookup}} {
			b.Run(fmt.Sprintf("others=%d/%s", others, m.name), func(b *testing.B) {
				for b.Loop() {
					socks, err := m.read("tcp", port)
					if err != nil || len(socks) < 3 {
						b.Fatalf("%d sockets, %v; want the listener and both ends", len(socks), err)
					}
				}
			})
		}
	}
}

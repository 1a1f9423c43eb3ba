package ipc

import (
	"net"
	"slices"
	"testing"
	"time"
)

func sortSocks(s []InetSocket) []InetSocket {
	slices.SortFunc(s, func(a, b InetSocket) int {
		if a.LocalPort != b.LocalPort {
			return a.LocalPort - b.LocalPort
		}
		return a.RemotePort - b.RemotePort
	})
	return s
}

// sock_diag and /proc/net/tcp tell the same: the listener with a
// connection not yet accepted, both ends of a connection, and the unread
// bytes of one of them.
func TestInetDiagTCPAgreesWithProc(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	c1, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	s1, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	c2, err := net.Dial("tcp4", ln.Addr().String()) // left in the accept queue
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c1.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		diag, err := InetDiag("tcp", port)
		if err != nil {
			t.Fatal(err)
		}
		proc, err := InetSockets("tcp", port)
		if err != nil {
			t.Fatal(err)
		}
		c1p, c2p := c1.LocalAddr().(*net.TCPAddr).Port, c2.LocalAddr().(*net.TCPAddr).Port
		ends := []InetEnd{{port, 0}, {c1p, port}, {port, c1p}, {c2p, port}, {port, c2p}, {port, 1}}
		found, err := InetLookup("tcp", ends)
		if err != nil {
			t.Fatal(err)
		}
		diag, proc, found = sortSocks(diag), sortSocks(proc), sortSocks(found)
		var unread, pending int
		for _, s := range diag {
			if s.Listening() {
				pending += s.RxQueue
			} else {
				unread += s.RxQueue
			}
		}
		if slices.Equal(diag, proc) && slices.Equal(found, diag) && len(diag) == 5 && unread == 1000 && pending == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sock_diag %+v\nlookup %+v\n/proc/net/tcp %+v\nwant the same 5 sockets, 1000 unread bytes, 1 pending connection",
				diag, found, proc)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A UDP socket with a tiny receive buffer drops datagrams; sock_diag
// counts them as /proc/net/udp does, and nothing on another port shows.
func TestInetDiagUDPDrops(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := rx.SetReadBuffer(1); err != nil {
		t.Fatal(err)
	}
	port := rx.LocalAddr().(*net.UDPAddr).Port
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	for range 50 {
		_, _ = tx.Write(make([]byte, 512))
	}
	diag, err := InetDiag("udp", port)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := InetSockets("udp", port)
	if err != nil {
		t.Fatal(err)
	}
	txPort := tx.LocalAddr().(*net.UDPAddr).Port
	found, err := InetLookup("udp", []InetEnd{{port, 0}, {txPort, port}})
	if err != nil {
		t.Fatal(err)
	}
	diag, proc, found = sortSocks(diag), sortSocks(proc), sortSocks(found)
	if !slices.Equal(diag, proc) || !slices.Equal(found, diag) {
		t.Fatalf("sock_diag %+v\nlookup %+v\n/proc/net/udp %+v", diag, found, proc)
	}
	drops := 0
	for _, s := range diag {
		drops += s.Drops
		if s.LocalPort != port && s.RemotePort != port {
			t.Fatalf("a socket on another port: %+v", s)
		}
	}
	if drops == 0 {
		t.Fatalf("no drops counted in %+v after 50 datagrams into a 1-byte buffer", diag)
	}
}

package scenario

// The Unix domain socket scenario: a server and its clients on one machine,
// meeting at a socket file in the session's private directory. In stream
// mode it runs like TCP (socket_tcp.go), in datagram mode like UDP
// (socket_udp.go), except that a Unix datagram is never dropped: the sender
// waits for room instead.

func init() {
	register(&Scenario{
		Name:      "socket-unix",
		Title:     "Unix domain socket: a server and its clients",
		Mechanism: "socket-unix",
		Summary: "The server binds a Unix domain socket to a path, which makes a socket file, then starts its " +
			"clients. Each client connects to that path. In stream mode the server accepts one connection per " +
			"client and reads a stream of bytes from each; in datagram mode all clients send whole datagrams " +
			"to the one server socket. The data never leaves the kernel: no network is involved.",
		Watch: "The socket file appears at bind and goes at unlink, while the connections live on. Make the " +
			"clients' buffer small and the server slow: the kernel memory a client's unread messages take " +
			"(SIOCOUTQ: several hundred bytes each, bookkeeping included) reaches its send buffer, and it " +
			"blocks in send() until the server reads. In datagram mode a sender also waits when " +
			"the server's queue holds too many datagrams; nothing is ever lost.",
		Params: []Param{
			clientsParam(),
			perClientMessagesParam(12),
			sizeParam(64, 65536),
			choiceParam("mode", modeStream, []string{modeStream, modeDatagram},
				"stream: connections carrying bytes (SOCK_STREAM); datagram: separate whole messages (SOCK_DGRAM)."),
			intParam("buffer", 0, 0, 4<<20, "bytes",
				"SO_SNDBUF of each client: how much kernel memory its sent but unread messages may take, "+
					"bookkeeping included. 0 keeps "+
					"the kernel's default. The kernel doubles the value and raises tiny ones to its minimum."),
			readerDelayParam(),
		},
		Check: func(v Values, _ Limits) *FieldError {
			if ferr := checkUnixDatagram(v); ferr != nil {
				return ferr
			}
			return checkSocket(v, "wmem_max")
		},
		Plan: socketPlan("unix"),
	})
	registerRole("unix-server", socketServer)
	registerRole("unix-client", socketClient)
}

// checkUnixDatagram refuses datagrams too big for the sender's buffer,
// which the kernel would refuse with EMSGSIZE: a Unix datagram must fit
// whole in the send buffer, less a little bookkeeping.
func checkUnixDatagram(v Values) *FieldError {
	if v.Str("mode") != modeDatagram {
		return nil
	}
	size, b := v.Int("size"), v.Int("buffer")
	if b > 0 && size > b {
		return fieldErr("size", "a datagram must fit in the sender's buffer: size may be at most buffer (%d bytes) in datagram mode", b)
	}
	if def := readInt("/proc/sys/net/core/wmem_default"); b == 0 && def > 0 && size > def-32 {
		return fieldErr("size", "a datagram must fit in the sender's buffer, %d bytes by default (net.core.wmem_default); ask for a bigger buffer or send smaller datagrams", def)
	}
	return nil
}

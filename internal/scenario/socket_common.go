package scenario

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The three socket scenarios share their shape: one server process makes
// its socket, then starts the clients itself, so that each client only
// starts once there is something to connect to. A TCP or UDP port is picked
// by the kernel at bind time, after the plan was made, so the server hands
// it to each client on a private socketpair the client inherits; on the same
// line each client tells the server, at the end, how many messages it sent.
// That line is plumbing, not the lesson: its traffic appears as notes.

// Modes of a socket scenario.
const (
	modeStream   = "stream"
	modeDatagram = "datagram"
)

// sockArgs are the arguments of every socket role.
type sockArgs struct {
	Proto         string `json:"proto"` // "unix", "tcp" or "udp"
	Mode          string `json:"mode"`
	Path          string `json:"path,omitempty"` // the Unix socket's file
	Clients       int    `json:"clients"`
	Messages      int    `json:"messages"` // per client
	Size          int    `json:"size"`
	Buffer        int    `json:"buffer"` // bytes asked for with SO_RCVBUF/SO_SNDBUF; 0 keeps the default
	ReaderDelayMS int    `json:"reader_delay_ms"`
	Index         int    `json:"index"` // a client's number, from 0
}

func (a sockArgs) sockType() int {
	if a.Mode == modeDatagram {
		return unix.SOCK_DGRAM
	}
	return unix.SOCK_STREAM
}

// label names the server's socket in events.
func (a sockArgs) label(port int) string {
	if a.Proto == "unix" {
		return event.Label(event.ObjKindUnix, a.Path)
	}
	return event.Label(a.Proto, fmt.Sprintf("127.0.0.1:%d", port))
}

// msgID numbers the k-th message (from 0) of client index: client i of C
// sends i+1, i+1+C, i+1+2C, ...
func (a sockArgs) msgID(index, k int) int64 { return int64(index + 1 + k*a.Clients) }

// sender splits a message id back into its client and that client's count.
func (a sockArgs) sender(id int64) (index, k int, ok bool) {
	if id < 1 || id > int64(a.Clients*a.Messages) {
		return 0, 0, false
	}
	return int(id-1) % a.Clients, int(id-1) / a.Clients, true
}

func clientName(index int) string { return fmt.Sprintf("client-%d", index+1) }

// socketPlan lays out a server and its clients for the scenario of proto.
func socketPlan(proto string) func(v Values, env Env) (Plan, error) {
	return func(v Values, env Env) (Plan, error) {
		mode := modeStream
		if proto == "udp" {
			mode = modeDatagram
		}
		if m, ok := v["mode"].(string); ok {
			mode = m // only the Unix scenario offers the choice
		}
		a := sockArgs{Proto: proto, Mode: mode, Clients: v.Int("clients"), Messages: v.Int("messages"),
			Size: v.Int("size"), Buffer: v.Int("buffer"), ReaderDelayMS: v.Int("reader_delay_ms")}
		var objs []Object
		if proto == "unix" {
			a.Path = env.Path("sock")
			if _, err := ipc.UnixSockaddr(filepath.Dir(a.Path), filepath.Base(a.Path)); err != nil {
				return Plan{}, fmt.Errorf("the session directory is too deep for a socket path: %w", err)
			}
			objs = append(objs, Object{Kind: ObjSocketDir, Label: a.label(0), Name: a.Path})
		}
		procs := []ProcSpec{{Name: "server", Role: proto + "-server", Args: a}}
		for i := range a.Clients {
			c := a
			c.Index = i
			procs = append(procs, ProcSpec{Name: clientName(i), Role: proto + "-client", Args: c, StartedBy: "server"})
		}
		return Plan{Procs: procs, Objects: objs}, nil
	}
}

// Parameters the socket scenarios share.

func clientsParam() Param {
	return intParam("clients", 2, 1, 4, "", "How many client processes talk to the one server.")
}

func perClientMessagesParam(def int64) Param {
	p := messagesParam(def)
	p.Help = "How many messages each client sends."
	return p
}

// checkSocketBuffer refuses a buffer size the kernel would silently cut
// down to its maximum, so that what the page shows is what was asked for.
func checkSocketBuffer(buffer int, sysctls ...string) *FieldError {
	for _, name := range sysctls {
		limit := readInt("/proc/sys/net/core/" + name)
		if limit > 0 && buffer > limit {
			return fieldErr("buffer", "the kernel caps socket buffers at %d bytes (net.core.%s)", limit, name)
		}
	}
	return nil
}

// maxWaitMS bounds the time a session's deliberate delays may add up to, so
// that a slow reader cannot outlast the session's time limit.
const maxWaitMS = 120_000

// checkDelays refuses delays that would add up to more than maxWaitMS.
func checkDelays(param string, count, delayMS int) *FieldError {
	if total := int64(count) * int64(delayMS); total > maxWaitMS {
		return fieldErr(param, "%d waits of %d ms would take %d s; a session may spend at most %d s waiting: make the delay shorter or send fewer",
			count, delayMS, total/1000, maxWaitMS/1000)
	}
	return nil
}

// checkSocket is the Check every socket scenario shares.
func checkSocket(v Values, sysctls ...string) *FieldError {
	if ferr := checkSocketBuffer(v.Int("buffer"), sysctls...); ferr != nil {
		return ferr
	}
	n := v.Int("messages") * v.Int("clients")
	if ferr := checkDelays("reader_delay_ms", n, v.Int("reader_delay_ms")); ferr != nil {
		return ferr
	}
	return checkBudget(v.Int("messages"), v.Int("size"), v.Int("clients"))
}

// sideLine is the private socketpair between the server and one client.
// Each value on it is 8 bytes.
type sideLine struct{ fd int }

func (l sideLine) put(v int64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	return ipc.WriteFull(l.fd, b[:])
}

func (l sideLine) get() (int64, error) {
	var b [8]byte
	if _, err := ipc.ReadFull(l.fd, b[:]); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b[:])), nil
}

// sockServer is the state of a socket scenario's server.
type sockServer struct {
	p       *Proc
	a       sockArgs
	fd      int // the listening (stream) or bound (datagram) socket
	port    int
	obj     string
	cap     int64 // receive buffer, where it bounds what waits here
	clients []*sockClient
	fill    *gauge // unread, for events (see gauge)
	// mu guards the connections' descriptors against closing while a
	// watch reads their counts.
	mu sync.Mutex
}

// unread adds up the bytes waiting to be read on every connection the
// server holds still (SIOCINQ on each): what its socket has received and
// it has not yet read, whichever client sent it.
func (s *sockServer) unread() *int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, c := range s.clients {
		if c.conn == nil || c.conn.closed {
			continue
		}
		k, err := ipc.SockInq(c.conn.fd)
		if err != nil {
			return nil
		}
		n += int64(k)
	}
	return &n
}

// sockClient is a client as the server knows it.
type sockClient struct {
	name     string
	index    int
	child    Child
	line     sideLine
	conn     *sockConn // the server's end of the client's connection (streams)
	sent     int64     // how many messages the client says it sent
	reported bool
}

// socketServer is the server role of every socket scenario.
func socketServer(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[sockArgs](raw)
	if err != nil {
		return err
	}
	s := &sockServer{p: p, a: a}
	s.fill = newGauge(s.unread, p.host.Now)
	if err := s.open(); err != nil {
		return err
	}
	if a.Mode == modeDatagram {
		return s.serveDatagrams()
	}
	return s.serveStreams()
}

// open makes the server's socket and reports it.
func (s *sockServer) open() error {
	call := "socket+bind+listen"
	if s.a.Mode == modeDatagram {
		call = "socket+bind"
	}
	gateObj := ""
	if s.a.Proto == "unix" {
		gateObj = s.a.label(0) // an IP socket's label waits for the port bind picks
	}
	if err := s.p.Gate(call, gateObj); err != nil {
		return err
	}
	fd, port, err := s.a.listen()
	if err != nil {
		return s.p.Fail(call, s.a.label(0), err)
	}
	s.fd, s.port, s.obj = fd, port, s.a.label(port)
	rcvbuf, _ := ipc.RcvBuf(fd)
	attrs := map[string]any{event.AttrType: s.a.Mode, event.AttrRcvbuf: rcvbuf}
	text := fmt.Sprintf("the kernel picked port %d for the server", port)
	if s.a.Proto == "unix" {
		attrs[event.AttrPath] = s.a.Path
		text = "bind made the socket file; clients find the server by its path"
	} else {
		attrs[event.AttrPort] = port
	}
	if s.a.Mode == modeStream {
		attrs[event.AttrBacklog] = s.a.Clients
	}
	e := event.Event{Kind: event.KindOpen, Obj: s.obj, Call: call, Attrs: attrs, Text: text}
	if s.a.Proto != "unix" {
		// A Unix socket's receive buffer bounds nothing the page could
		// show; an IP socket's holds what waits to be read.
		s.cap = int64(rcvbuf)
		e.Cap, e.Fill = s.cap, event.Int64(0)
	}
	s.p.Emit(e)
	return nil
}

// listen makes the server's socket: bound, and listening if it is a stream.
func (a sockArgs) listen() (fd, port int, err error) {
	if a.Proto == "unix" {
		fd, _, err := ipc.ListenUnix(a.sockType(), filepath.Dir(a.Path), filepath.Base(a.Path))
		return fd, 0, err
	}
	fd, err = ipc.Socket(unix.AF_INET, a.sockType())
	if err != nil {
		return -1, 0, err
	}
	if err = a.bindLoopback(fd); err == nil {
		port, err = ipc.LocalPort(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	return fd, port, nil
}

// bindLoopback sets an IP server socket's options, binds it to 127.0.0.1
// on a port the kernel picks, and listens on a stream. The receive buffer
// is set first: TCP offers its window from it when a client connects.
func (a sockArgs) bindLoopback(fd int) error {
	if a.Buffer > 0 {
		if err := ipc.SetRcvBuf(fd, a.Buffer); err != nil {
			return err
		}
	}
	if a.Proto == "udp" {
		if err := ipc.SetRxqOvfl(fd); err != nil {
			return err
		}
	}
	sa, err := ipc.LoopbackSockaddr("127.0.0.1", 0)
	if err != nil {
		return err
	}
	if err := ipc.Bind(fd, sa); err != nil {
		return err
	}
	if a.Mode == modeStream {
		return ipc.Listen(fd, a.Clients)
	}
	return nil
}

// startClient starts client i with its end of a new side line, after
// writing the server's port on it.
func (s *sockServer) startClient(i int) (*sockClient, error) {
	mine, theirs, err := ipc.Socketpair(unix.SOCK_STREAM)
	if err != nil {
		return nil, s.p.Fail("socketpair", "", err)
	}
	c := &sockClient{name: clientName(i), index: i, line: sideLine{mine}}
	f := os.NewFile(uintptr(theirs), "side-line")
	defer f.Close() // the child has its own copy once started
	if err := c.line.put(int64(s.port)); err != nil {
		unix.Close(mine)
		return nil, s.p.Fail("write", "", err)
	}
	if c.child, err = s.p.Spawn(c.name, []*os.File{f}); err != nil {
		unix.Close(mine)
		return nil, s.p.Fail("fork/exec", s.obj, err)
	}
	s.clients = append(s.clients, c)
	return c, nil
}

// readReport reads, from the side line, how many messages c sent.
func (s *sockServer) readReport(c *sockClient) error {
	n, err := c.line.get()
	if err != nil {
		return fmt.Errorf("%s ended without saying how many messages it sent: %w", c.name, err)
	}
	c.sent, c.reported = n, true
	s.p.Note("%s tells the server, on the socketpair between them, that it sent %d messages", c.name, n)
	return nil
}

// closeSocket closes the server's own socket and removes its file, if it
// has one. Connections already accepted go on without either.
func (s *sockServer) closeSocket() error {
	if err := s.p.Gate("close", s.obj); err != nil {
		return err
	}
	what := "listening socket"
	if s.a.Mode == modeDatagram {
		what = "bound socket"
	}
	s.p.Emit(event.Event{Kind: event.KindClose, Obj: s.obj, Call: "close", Attrs: map[string]any{event.AttrFD: s.fd, event.AttrSocket: what}})
	if err := unix.Close(s.fd); err != nil {
		return s.p.Fail("close", s.obj, os.NewSyscallError("close", err))
	}
	if s.a.Proto != "unix" {
		return nil
	}
	if err := s.p.Gate("unlink", s.obj); err != nil {
		return err
	}
	if err := ipc.UnlinkSocket(s.a.Path); err != nil {
		return s.p.Fail("unlink", s.obj, err)
	}
	s.p.Emit(event.Event{Kind: event.KindUnlink, Obj: s.obj, Call: "unlink",
		Text: "the socket file is gone; it was only the meeting point, connections made through it go on"})
	return nil
}

// reap waits for every client, reports how each ended, and names the first
// that failed.
func (s *sockServer) reap() error {
	var failed error
	for _, c := range s.clients {
		code, sig, err := s.p.WaitFor(c.name, c.child)
		s.p.Emit(exitEvent(c.name, c.child.PID(), code, sig))
		unix.Close(c.line.fd)
		switch {
		case failed != nil:
		case err != nil:
			failed = fmt.Errorf("wait for %s: %w", c.name, err)
		case sig != "":
			failed = fmt.Errorf("%s was killed by %s", c.name, sig)
		case code != 0:
			failed = fmt.Errorf("%s exited with code %d", c.name, code)
		}
	}
	return failed
}

// sentTotal adds up what the clients say they sent.
func (s *sockServer) sentTotal() int64 {
	var n int64
	for _, c := range s.clients {
		n += c.sent
	}
	return n
}

// socketClient is the client role of every socket scenario: it learns the
// server's port, connects, sends its messages, closes, and tells the server
// how many it sent.
func socketClient(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[sockArgs](raw)
	if err != nil {
		return err
	}
	if len(p.Files) < 1 {
		return errors.New("socket client started without its line to the server")
	}
	line := sideLine{int(p.Files[0].Fd())}
	port, err := line.get()
	if err != nil {
		return fmt.Errorf("read the server's port: %w", err)
	}
	obj := a.label(int(port))
	if a.Proto != "unix" {
		p.Note("%s read the server's port, %d, on the socketpair the server started it with", p.Name, port)
	}
	conn, err := dialServer(p, a, obj, int(port))
	if err != nil {
		return err
	}
	sent, err := sendAll(conn, a)
	// The count goes to the server even after a failure, so that it can
	// tell what was lost from what was never sent.
	if rerr := line.put(int64(sent)); rerr != nil && err == nil {
		err = fmt.Errorf("tell the server the count: %w", rerr)
	}
	return err
}

// dialServer connects a new socket to the server and reports it.
func dialServer(p *Proc, a sockArgs, obj string, port int) (*sockConn, error) {
	if err := p.Gate("connect", obj); err != nil {
		return nil, err
	}
	fd, err := a.dial(port)
	if err != nil {
		return nil, p.Fail("connect", obj, err)
	}
	sndbuf, _ := ipc.SndBuf(fd)
	attrs := map[string]any{event.AttrSndbuf: sndbuf, event.AttrType: a.Mode}
	if a.Proto != "unix" {
		local, _ := ipc.LocalPort(fd)
		attrs[event.AttrLocalPort] = local
	}
	text := ""
	if a.Mode == modeDatagram {
		text = "connect on a datagram socket sends nothing: it only fixes where this socket's datagrams go"
	}
	// A client's send buffer is reported in its own words (see sockConn),
	// never as the socket's fill or capacity. A UDP sender on loopback
	// hands each datagram over at once and holds nothing worth a number.
	c := &sockConn{p: p, fd: fd, obj: obj, peer: "server"}
	if a.Proto != "udp" {
		c.sndbuf = sndbuf
	}
	p.Emit(event.Event{Kind: event.KindConnect, Obj: obj, Peer: "server", Call: "connect", Attrs: attrs, Text: text})
	return c, nil
}

// dial makes a client socket, with its send buffer set, connected to the
// server.
func (a sockArgs) dial(port int) (int, error) {
	domain := unix.AF_INET
	var sa unix.Sockaddr
	var err error
	if a.Proto == "unix" {
		domain = unix.AF_UNIX
		sa, err = ipc.UnixSockaddr(filepath.Dir(a.Path), filepath.Base(a.Path))
	} else {
		sa, err = ipc.LoopbackSockaddr("127.0.0.1", port)
	}
	if err != nil {
		return -1, err
	}
	fd, err := ipc.Socket(domain, a.sockType())
	if err != nil {
		return -1, err
	}
	if a.Buffer > 0 && a.Proto != "udp" {
		err = ipc.SetSndBuf(fd, a.Buffer)
	}
	if err == nil {
		err = ipc.Connect(fd, sa)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sendAll sends the client's messages, then closes its socket, and returns
// how many went out.
func sendAll(conn *sockConn, a sockArgs) (int, error) {
	buf := make([]byte, a.Size)
	for k := range a.Messages {
		if err := conn.send(a.msgID(a.Index, k), buf); err != nil {
			return k, err
		}
	}
	return a.Messages, conn.close()
}

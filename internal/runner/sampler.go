package runner

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// sampleEvery is how often the server reads each live object.
const sampleEvery = 100 * time.Millisecond

// sampleBytes is how much of a shared segment a sample shows.
const sampleBytes = 64

// sample reads, until ctx ends, the kernel's view of every object of the
// session that the server can reach without a descriptor (queues,
// semaphores and shared memory by name or key, TCP and UDP sockets through
// sock_diag) and the pending signals of each process a signal was sent to
// (/proc/PID/status), and logs a sample event whenever a reading changes. Pipes,
// FIFOs and Unix sockets can only be asked through a descriptor, and
// opening one would change the lesson (a FIFO's open would find a reader),
// so the processes that hold them report them: after each call, and
// through Proc.Watch.
func (s *Session) sample(ctx context.Context) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	last := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var batch samples
		for _, e := range s.readAll() {
			key := fmt.Sprint(deref(e.Fill), e.Cap, deref(e.Value), deref(e.Waiters), e.Data, e.Attrs[event.AttrTxQueue],
				e.Attrs[event.AttrPendingConnections], e.Attrs[event.AttrFinsUnread], e.Attrs[event.AttrConns], e.Attrs[event.AttrDrops], e.Attrs[event.AttrSigPending], e.Attrs[event.AttrSigBlocked])
			// A process's signals are keyed by its name, never an object's.
			at := e.Obj
			if at == "" {
				at = "proc\x00" + e.Proc
			}
			if last[at] == key {
				continue
			}
			last[at] = key
			batch = append(batch, e)
		}
		if len(batch) > 0 {
			select {
			case s.in <- batch:
			case <-ctx.Done():
				return
			}
		}
	}
}

// readAll reads every object the server can see from outside.
func (s *Session) readAll() []event.Event {
	var out []event.Event
	for _, o := range s.plan.Objects {
		out = append(out, readObject(o)...)
	}
	var inet []inetObj
	if p := s.inetList.Load(); p != nil {
		inet = *p
	}
	for _, o := range inet {
		if e, ok := readInet(o); ok {
			out = append(out, e)
		}
	}
	if p := s.watchList.Load(); p != nil {
		for _, w := range *p {
			if e, ok := readPending(w); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

// inetObj is a loopback TCP or UDP port a session's events named, and the
// local ports of the clients that connected to it.
type inetObj struct {
	label   string
	proto   string
	port    int
	clients []int
}

// noteObject adds a TCP or UDP port named in an event to what the sampler
// reads: the kernel picks those ports at run time, so the plan cannot list
// them. A connect event adds the client's port, so the sampler can ask for
// both ends of the connection by name. Only the owner calls it; the
// sampler reads the list it publishes.
func (s *Session) noteObject(e *event.Event) {
	proto := event.KindOf(e.Obj)
	if proto != event.ObjKindTCP && proto != event.ObjKindUDP {
		return
	}
	_, addr, _ := strings.Cut(e.Obj, ":")
	_, portStr, _ := strings.Cut(addr, ":")
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 {
		return
	}
	o := &s.own
	i := slices.IndexFunc(o.inet, func(x inetObj) bool { return x.label == e.Obj })
	client, isClient := attrInt(e.Attrs[event.AttrLocalPort])
	isClient = isClient && e.Kind == event.KindConnect && client > 0 && client <= 0xffff
	switch {
	case i < 0:
		x := inetObj{label: e.Obj, proto: proto, port: port}
		if isClient {
			x.clients = []int{client}
		}
		o.inet = append(slices.Clip(o.inet), x)
	case isClient && !slices.Contains(o.inet[i].clients, client):
		// Copies, never writes in place: the sampler may hold the list
		// published before.
		o.inet = slices.Clone(o.inet)
		o.inet[i].clients = append(slices.Clip(o.inet[i].clients), client)
	default:
		return
	}
	list := o.inet
	s.inetList.Store(&list)
}

// attrInt reads a whole number from an event attribute, as a worker's
// record decodes it (a float64 from JSON) or as code in the server sets it.
func attrInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

// ends names the sockets of o for a sock_diag lookup: the listening or
// bound socket on the port, and both ends of every client's connection (a
// UDP server's single socket receives every client's datagrams, so only
// the clients' own sockets are added).
func (o inetObj) ends() []ipc.InetEnd {
	ends := []ipc.InetEnd{{Local: o.port}}
	for _, c := range o.clients {
		ends = append(ends, ipc.InetEnd{Local: c, Remote: o.port})
		if o.proto == "tcp" {
			ends = append(ends, ipc.InetEnd{Local: o.port, Remote: c})
		}
	}
	return ends
}

// readInet reads the queues of every socket on a loopback port: what
// waits to be read (TCP: bytes; UDP: the kernel memory the datagrams take),
// what is not yet acknowledged, and packets dropped (for UDP, because a
// receive buffer was full; a change in drops alone makes a sample, so a
// drop shows as it happens). A listening TCP socket's receive queue counts
// connections not yet accepted: those are reported apart, never added to
// bytes.
//
// It asks sock_diag for the session's own sockets by their ports, which
// costs some microseconds; reading /proc/net/tcp costs a line of text for
// every socket of the namespace, and the kernel's walk of its whole table
// of connections, some milliseconds (docs/BENCHMARKS.md). That is the
// fallback where sock_diag is refused.
func readInet(o inetObj) (event.Event, bool) {
	source := "sock_diag"
	socks, err := ipc.InetLookup(o.proto, o.ends())
	if err != nil {
		source = "/proc/net/" + o.proto
		socks, err = ipc.InetSockets(o.proto, o.port)
	}
	if err != nil || len(socks) == 0 {
		return event.Event{}, false
	}
	rx, tx, drops, pending, fins := 0, 0, 0, 0, 0
	for _, k := range socks {
		if k.Listening() {
			pending += k.RxQueue
			continue
		}
		data, fin := unreadData(o.proto, k)
		rx += data
		if fin {
			fins++
		}
		tx += k.TxQueue
		drops += k.Drops
	}
	attrs := map[string]any{event.AttrRxQueue: rx, event.AttrTxQueue: tx, event.AttrDrops: drops, event.AttrSockets: len(socks),
		event.AttrSource: source}
	if o.proto == "tcp" {
		attrs[event.AttrPendingConnections] = pending
		attrs[event.AttrFinsUnread] = fins
		if conns := connQueues(o, socks); len(conns) > 0 {
			attrs[event.AttrConns] = conns
		}
	}
	return event.Event{Kind: event.KindSample, Obj: o.label, Fill: event.Int64(int64(rx)), Attrs: attrs}, true
}

// connQueues splits a TCP port's queues by connection, for the cable of
// each: by the client's port, the bytes waiting at the server's end to be
// read, and the bytes the client has sent that are not yet acknowledged
// (on loopback, those the server's full window holds back).
func connQueues(o inetObj, socks []ipc.InetSocket) []map[string]any {
	var out []map[string]any
	for _, c := range o.clients {
		unread, unacked, fin, found := 0, 0, false, false
		for _, k := range socks {
			switch {
			case k.LocalPort == o.port && k.RemotePort == c && !k.Listening():
				unread, fin = unreadData(o.proto, k)
				found = true
			case k.LocalPort == c && k.RemotePort == o.port:
				unacked, found = k.TxQueue, true
			}
		}
		if found {
			out = append(out, map[string]any{"client_port": c, "unread": unread, "unacked": unacked, "fin_unread": fin})
		}
	}
	return out
}

// tcpCloseWait is the TCP state of a socket whose peer has closed (sent
// its FIN) while this end is still open.
const tcpCloseWait = 8

// unreadData is the bytes of data waiting in a socket's receive queue, and
// whether the peer's FIN waits there too. sock_diag counts sequence
// numbers not yet read, and a FIN takes one: after the peer has closed,
// the count is the data plus one until the reader reads the end of the
// stream. FIONREAD leaves the FIN out, and so does this, so a reading and
// a receive's fill count the same bytes.
func unreadData(proto string, k ipc.InetSocket) (int, bool) {
	if proto == "tcp" && k.State == tcpCloseWait && k.RxQueue > 0 {
		return k.RxQueue - 1, true
	}
	return k.RxQueue, false
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// readObject returns the kernel's view of o as sample events, none if o
// does not exist (yet, or any more) or cannot be read from outside.
func readObject(o scenario.Object) []event.Event {
	if k := objKinds[o.Kind]; k.sample != nil {
		return k.sample(o)
	}
	return nil
}

// readMqPosix reads a POSIX queue's messages, capacity and message size.
func readMqPosix(o scenario.Object) []event.Event {
	a, err := ipc.MqStat(o.Name)
	if err != nil {
		return nil
	}
	e := event.Event{Kind: event.KindSample, Obj: o.Label, Fill: event.Int64(int64(a.Curmsgs)), Cap: int64(a.Maxmsg),
		Attrs: map[string]any{event.AttrMsgsize: a.Msgsize, event.AttrSource: "mq_getattr"}}
	return []event.Event{e}
}

// readMsgSysV reads a System V queue's messages and bytes.
func readMsgSysV(o scenario.Object) []event.Event {
	id, err := ipc.Msgget(o.Key, 0)
	if err != nil {
		return nil
	}
	st, err := ipc.MsgStat(id)
	if err != nil {
		return nil
	}
	e := event.Event{Kind: event.KindSample, Obj: o.Label, Fill: event.Int64(int64(st.Qnum)),
		Attrs: map[string]any{event.AttrID: id, event.AttrBytes: st.Cbytes, event.AttrQbytes: st.Qbytes, event.AttrSource: "msgctl(IPC_STAT)"}}
	return []event.Event{e}
}

// readShmSample reads a shared segment's first bytes, and its counter.
func readShmSample(o scenario.Object) []event.Event {
	b, err := readShm(o)
	if err != nil {
		return nil
	}
	e := event.Event{Kind: event.KindSample, Obj: o.Label, Data: hex.EncodeToString(b)}
	if o.Counter && len(b) >= 8 {
		e.Value = event.Int64(int64(binary.NativeEndian.Uint64(b)))
	}
	return []event.Event{e}
}

// readSemaphores reads each semaphore of a set: its value and how many
// processes the kernel has waiting for it to rise.
func readSemaphores(o scenario.Object) []event.Event {
	id, err := ipc.Semget(o.Key, 0, 0)
	if err != nil {
		return nil
	}
	n := max(o.Size, 1)
	out := make([]event.Event, 0, n)
	for i := range n {
		v, err1 := ipc.SemGetVal(id, i)
		w, err2 := ipc.SemGetNcnt(id, i)
		if err1 != nil || err2 != nil {
			return nil
		}
		out = append(out, event.Event{Kind: event.KindSample, Obj: scenario.SemLabel(o.Label, i, n),
			Value: event.Int64(int64(v)), Waiters: event.Int64(int64(w)),
			Attrs: map[string]any{event.AttrID: id, event.AttrSource: "semctl(GETVAL, GETNCNT)"}})
	}
	return out
}

// readShm copies the first bytes of a shared segment without mapping it
// where a mapping could fault: a POSIX object is read with pread on a
// read-only descriptor, so a full /dev/shm is at worst an error here, never
// a SIGBUS in the server (see ipc.ReadShmAt and ipc.ReadSysvShm).
func readShm(o scenario.Object) ([]byte, error) {
	b := make([]byte, sampleBytes)
	if o.Kind == scenario.ObjShmPosix {
		n, err := ipc.ReadShmAt(o.Name, b)
		if err == nil && n == 0 {
			err = errors.New("the segment has no size yet") // created, not yet sized by ftruncate
		}
		if err != nil {
			return nil, err
		}
		return b[:n], nil
	}
	id, err := ipc.Shmget(o.Key, 0, 0)
	if err != nil {
		return nil, err
	}
	n, err := ipc.ReadSysvShm(id, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

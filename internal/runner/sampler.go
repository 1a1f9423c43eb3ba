package runner

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

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
// /proc/net), and logs a sample event whenever a reading changes. Pipes,
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
			key := fmt.Sprint(deref(e.Fill), e.Cap, deref(e.Value), deref(e.Waiters), e.Data, e.Attrs["tx_queue"],
				e.Attrs["pending_connections"])
			if last[e.Obj] == key {
				continue
			}
			last[e.Obj] = key
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
	return out
}

// inetObj is a loopback TCP or UDP port a session's events named.
type inetObj struct {
	label string
	proto string
	port  int
}

// noteObject adds a TCP or UDP port named in an event to what the
// sampler reads: the kernel picks those ports at run time, so the plan
// cannot list them. Only the owner calls it; the sampler reads the list it
// publishes.
func (s *Session) noteObject(label string) {
	proto, addr, ok := strings.Cut(label, ":")
	if !ok || (proto != "tcp" && proto != "udp") {
		return
	}
	_, portStr, _ := strings.Cut(addr, ":")
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 {
		return
	}
	o := &s.own
	for _, x := range o.inet {
		if x.label == label {
			return
		}
	}
	o.inet = append(slices.Clip(o.inet), inetObj{label: label, proto: proto, port: port})
	list := o.inet
	s.inetList.Store(&list)
}

// readInet reads the queues of every socket on a loopback port from
// /proc/net: what waits to be read (TCP: bytes; UDP: the kernel memory the
// datagrams take), what is not yet acknowledged, and datagrams dropped
// because a receive buffer was full. A listening TCP socket's receive
// queue counts connections not yet accepted: those are reported apart,
// never added to bytes.
func readInet(o inetObj) (event.Event, bool) {
	socks, err := ipc.InetSockets(o.proto, o.port)
	if err != nil || len(socks) == 0 {
		return event.Event{}, false
	}
	rx, tx, drops, pending := 0, 0, 0, 0
	for _, k := range socks {
		if k.Listening() {
			pending += k.RxQueue
			continue
		}
		rx += k.RxQueue
		tx += k.TxQueue
		drops += k.Drops
	}
	attrs := map[string]any{"rx_queue": rx, "tx_queue": tx, "drops": drops, "sockets": len(socks),
		"source": "/proc/net/" + o.proto}
	if o.proto == "tcp" {
		attrs["pending_connections"] = pending
	}
	return event.Event{Kind: event.KindSample, Obj: o.label, Fill: event.Int64(int64(rx)), Attrs: attrs}, true
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
	sample := func(obj string) event.Event { return event.Event{Kind: event.KindSample, Obj: obj} }
	switch o.Kind {
	case scenario.ObjMqPosix:
		a, err := ipc.MqStat(o.Name)
		if err != nil {
			return nil
		}
		e := sample(o.Label)
		e.Fill, e.Cap = event.Int64(int64(a.Curmsgs)), int64(a.Maxmsg)
		e.Attrs = map[string]any{"msgsize": a.Msgsize, "source": "mq_getattr"}
		return []event.Event{e}
	case scenario.ObjMsgSysV:
		id, err := ipc.Msgget(o.Key, 0)
		if err != nil {
			return nil
		}
		st, err := ipc.MsgStat(id)
		if err != nil {
			return nil
		}
		e := sample(o.Label)
		e.Fill = event.Int64(int64(st.Qnum))
		e.Attrs = map[string]any{"id": id, "bytes": st.Cbytes, "qbytes": st.Qbytes, "source": "msgctl(IPC_STAT)"}
		return []event.Event{e}
	case scenario.ObjSemSysV:
		return readSemaphores(o)
	case scenario.ObjShmPosix, scenario.ObjShmSysV:
		b, err := readShm(o)
		if err != nil {
			return nil
		}
		e := sample(o.Label)
		e.Data = hex.EncodeToString(b)
		if o.Counter && len(b) >= 8 {
			e.Value = event.Int64(int64(binary.NativeEndian.Uint64(b)))
		}
		return []event.Event{e}
	}
	return nil
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
			Attrs: map[string]any{"id": id, "source": "semctl(GETVAL, GETNCNT)"}})
	}
	return out
}

// readShm copies the first bytes of a shared segment. It maps the segment
// only for the copy.
func readShm(o scenario.Object) ([]byte, error) {
	if o.Kind == scenario.ObjShmPosix {
		seg, err := ipc.OpenShmSegment(o.Name)
		if err != nil {
			return nil, err
		}
		defer seg.Close()
		return append([]byte(nil), seg.Bytes()[:min(sampleBytes, len(seg.Bytes()))]...), nil
	}
	id, err := ipc.Shmget(o.Key, 0, 0)
	if err != nil {
		return nil, err
	}
	b, err := ipc.Shmat(id, unix.SHM_RDONLY)
	if err != nil {
		return nil, err
	}
	defer ipc.Shmdt(b)
	return append([]byte(nil), b[:min(sampleBytes, len(b))]...), nil
}

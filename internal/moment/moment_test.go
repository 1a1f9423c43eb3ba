package moment

import (
	"strings"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// want is a moment expected right after the event with seq after.
type want struct {
	after uint64
	name  string
	attrs map[string]any // a subset of the moment's attrs
	text  []string       // phrases the sentence must hold
}

func fill(v int64) *int64 { return event.Int64(v) }

func pipeFlow() []event.Event {
	return []event.Event{
		{Kind: event.KindOpen, Proc: "parent", Obj: "pipe:1", Call: "pipe2", Fill: fill(0), Cap: 4096},
		{Kind: event.KindBlock, Proc: "parent", Obj: "pipe:1", Call: "read"},
		{Kind: event.KindWrite, Proc: "child", Obj: "pipe:1", Bytes: 3000, Fill: fill(3000), Cap: 4096},
		{Kind: event.KindUnblock, Proc: "parent", Obj: "pipe:1", Call: "read"},
		{Kind: event.KindRead, Proc: "parent", Obj: "pipe:1", Bytes: 3000, Fill: fill(0), Cap: 4096},
		{Kind: event.KindBlock, Proc: "parent", Obj: "pipe:1", Call: "read"},
		{Kind: event.KindWrite, Proc: "child", Obj: "pipe:1", Bytes: 4000, Fill: fill(4000), Cap: 4096},
		{Kind: event.KindBlock, Proc: "child", Obj: "pipe:1", Call: "write"},
		{Kind: event.KindBlock, Proc: "child", Obj: "pipe:1", Call: "write"},
	}
}

func raceFlow(extra ...event.Event) []event.Event {
	c := "shm:/counter"
	evs := []event.Event{
		{Kind: event.KindRead, Proc: "worker-1", Obj: c, Value: fill(0)},
		{Kind: event.KindRead, Proc: "worker-2", Obj: c, Value: fill(0)},
		{Kind: event.KindWrite, Proc: "worker-2", Obj: c, Value: fill(1)},
		{Kind: event.KindWrite, Proc: "worker-1", Obj: c, Value: fill(1), Attrs: map[string]any{"loaded": 0, "overwrote": 1}},
	}
	return append(evs, extra...)
}

func deadlockFlow(victimFirst bool) []event.Event {
	a, b := "sem:0x1#0", "sem:0x1#1"
	evs := []event.Event{
		{Kind: event.KindWait, Proc: "worker-1", Obj: a},
		{Kind: event.KindWait, Proc: "worker-2", Obj: b},
		{Kind: event.KindBlock, Proc: "worker-2", Obj: a, Call: "semop"},
		{Kind: event.KindBlock, Proc: "worker-1", Obj: b, Call: "semop"},
		{Kind: event.KindDeadlock, Cycle: []event.WaitEdge{{Proc: "worker-1", Obj: b, Holder: "worker-2"}, {Proc: "worker-2", Obj: a, Holder: "worker-1"}}},
		{Kind: event.KindNote, Text: "The server sent SIGKILL to worker-1"},
	}
	kill := event.Event{Kind: event.KindExit, Proc: "worker-1", Sig: "SIGKILL"}
	wake := event.Event{Kind: event.KindUnblock, Proc: "worker-2", Obj: a, Call: "semop"}
	if victimFirst {
		return append(evs, kill, wake)
	}
	return append(evs, wake, kill)
}

func signals(name string, signo int, values ...float64) []event.Event {
	var evs []event.Event
	for _, v := range values {
		evs = append(evs, event.Event{Kind: event.KindSignal, Proc: "sender", Peer: "receiver", Call: "sigqueue",
			Attrs: map[string]any{"name": name, "signo": float64(signo), "value": v}})
	}
	return evs
}

func deliver(name string, signo int, value float64, marker bool) event.Event {
	attrs := map[string]any{"name": name, "signo": signo, "value": value}
	if marker {
		attrs["marker"] = true
	}
	return event.Event{Kind: event.KindDeliver, Proc: "receiver", Peer: "sender", Attrs: attrs}
}

func cat(parts ...[]event.Event) []event.Event {
	var all []event.Event
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func one(e ...event.Event) []event.Event { return e }

func TestDetector(t *testing.T) {
	// The cases are written for pages of 4 KiB.
	defer func(p int) { pageSize = p }(pageSize)
	pageSize = 4096
	q := "mq:/q"
	send := func(proc string, msg int64, prio int) event.Event {
		return event.Event{Kind: event.KindSend, Proc: proc, Obj: q, Msg: msg, Prio: prio}
	}
	recv := func(msg int64, prio int) event.Event {
		return event.Event{Kind: event.KindRecv, Proc: "consumer-1", Obj: q, Msg: msg, Prio: prio}
	}
	udp := "udp:127.0.0.1:9"
	cases := []struct {
		name     string
		scenario string
		evs      []event.Event
		want     []want
	}{
		{"pipe: the first empty read and the first full write, once each", "pipe", pipeFlow(), []want{
			{2, EmptyReceive, map[string]any{AttrAbout: uint64(2)}, []string{"parent must wait in read", "pipe:1 holds nothing"}},
			{8, FirstBlock, map[string]any{AttrAbout: uint64(8)}, []string{"child must wait in write", "4,000 of 4,096 bytes in use"}},
		}},
		{"pipe: a writer waits with most bytes free, as the page slots explain", "pipe", one(
			event.Event{Kind: event.KindOpen, Proc: "parent", Obj: "pipe:1", Call: "pipe2", Fill: fill(0), Cap: 4096},
			event.Event{Kind: event.KindWrite, Proc: "child", Obj: "pipe:1", Bytes: 3000, Fill: fill(3000), Cap: 4096},
			event.Event{Kind: event.KindRead, Proc: "parent", Obj: "pipe:1", Bytes: 2000, Fill: fill(1000), Cap: 4096},
			event.Event{Kind: event.KindWrite, Proc: "child", Obj: "pipe:1", Bytes: 1000, Fill: fill(2000), Cap: 4096},
			event.Event{Kind: event.KindBlock, Proc: "child", Obj: "pipe:1", Call: "write", Bytes: 512},
		), []want{{5, FirstBlock, map[string]any{"slots_used": 1, "slots": 1}, []string{
			"its 512 bytes do not fit in pipe:1", "2,096 of the pipe's 4,096 bytes are free", "room for 96 more bytes after its data"}}}},
		{"a FIFO whose replay goes wrong falls back to its fill", "fifo", one(
			event.Event{Kind: event.KindOpen, Proc: "writer", Obj: "fifo:f", Call: "open", Fill: fill(0), Cap: 4096},
			event.Event{Kind: event.KindRead, Proc: "reader", Obj: "fifo:f", Bytes: 10, Fill: fill(0), Cap: 4096},
			event.Event{Kind: event.KindWrite, Proc: "writer", Obj: "fifo:f", Bytes: 4096, Fill: fill(4096), Cap: 4096},
			event.Event{Kind: event.KindBlock, Proc: "writer", Obj: "fifo:f", Call: "write", Bytes: 512},
		), []want{{4, FirstBlock, nil, []string{"fifo:f has no room for it (4,096 of 4,096 bytes in use)"}}}},
		{"a System V reader waits for its own type", "mq-sysv", one(
			event.Event{Kind: event.KindSend, Proc: "sender", Obj: "msg:0x1", Msg: 1, Type: 1, Fill: fill(3), Cap: 8},
			event.Event{Kind: event.KindBlock, Proc: "consumer-2", Obj: "msg:0x1", Call: "msgrcv", Type: 2},
			event.Event{Kind: event.KindBlock, Proc: "consumer-3", Obj: "msg:0x1", Call: "msgrcv", Type: 3},
			event.Event{Kind: event.KindBlock, Proc: "consumer-3", Obj: "msg:0x1", Call: "msgrcv", Type: 3},
		), []want{
			{2, EmptyReceive, nil, []string{"no message of type 2", "only 3 messages for other readers"}},
			{3, EmptyReceive, nil, []string{"no message of type 3"}},
		}},
		{"a receive told not to wait fails on an empty queue", "mq-posix", one(
			event.Event{Kind: event.KindError, Proc: "consumer-1", Obj: q, Call: "mq_timedreceive", Errno: "EAGAIN"},
		), []want{{1, EmptyReceive, nil, []string{"failed with EAGAIN", "mq:/q holds nothing to take"}}}},
		{"a full queue's first blocked send", "mq-posix", one(
			send("producer-1", 1, 1), event.Event{Kind: event.KindSend, Proc: "producer-1", Obj: q, Msg: 2, Fill: fill(6), Cap: 6},
			event.Event{Kind: event.KindBlock, Proc: "producer-1", Obj: q, Call: "mq_timedsend", Msg: 3},
		), []want{{3, FirstBlock, nil, []string{"6 of 6 messages in use"}}}},
		{"semaphores, start lines and FIFO opens are no buffers", "deadlock", one(
			event.Event{Kind: event.KindBlock, Proc: "worker-1", Obj: "sem:0x1#0", Call: "semop"},
			event.Event{Kind: event.KindBlock, Proc: "worker-1", Obj: "futex:start", Call: "sem_wait"},
			event.Event{Kind: event.KindBlock, Proc: "writer", Obj: "fifo:f", Call: "open"},
			event.Event{Kind: event.KindBlock, Proc: "receiver", Call: "read"},
		), nil},
		{"shared memory: the ring's writer and reader wait on semaphores", "shm-posix", one(
			event.Event{Kind: event.KindBlock, Proc: "reader", Obj: "futex:full", Call: "sem_wait", Text: "no slot holds a new message: the reader sleeps until the writer fills one"},
			event.Event{Kind: event.KindBlock, Proc: "writer", Obj: "futex:empty", Call: "sem_wait", Text: "every slot holds a message not read yet: the writer sleeps until the reader frees one"},
		), []want{
			{1, EmptyReceive, nil, []string{"reader must wait in sem_wait on futex:full. No slot holds a new message"}},
			{2, FirstBlock, nil, []string{"writer must wait in sem_wait on futex:empty. Every slot holds"}},
		}},
		{"race: the store that overwrote another worker's addition", "race", raceFlow(
			event.Event{Kind: event.KindWrite, Proc: "worker-2", Obj: "shm:/counter", Value: fill(2), Attrs: map[string]any{"loaded": 1, "overwrote": 5}},
		), []want{
			{4, LostUpdate, map[string]any{"loaded": int64(0), "stored": int64(1), "overwrote": int64(1), "lost": int64(1), AttrRelated: uint64(3)},
				[]string{"worker-1 loaded 0 and stored 1", "worker-2 had stored 1", "worker-2's addition is gone"}},
		}},
		{"race: several additions lost, from a JSON record, whose victim is unknown", "race", one(
			event.Event{Kind: event.KindWrite, Proc: "worker-3", Obj: "shm:/counter", Value: fill(41235), Attrs: map[string]any{"loaded": float64(41234), "overwrote": float64(41240)}},
		), []want{
			{1, LostUpdate, map[string]any{"lost": int64(6), "overwrote": int64(41240)}, []string{"raised to 41,240", "another worker's", "6 additions are gone"}},
		}},
		{"race: a store over a smaller value loses nothing", "race", one(
			event.Event{Kind: event.KindWrite, Proc: "worker-1", Obj: "shm:/counter", Value: fill(7), Attrs: map[string]any{"loaded": 6, "overwrote": 4}},
			event.Event{Kind: event.KindWrite, Proc: "worker-2", Obj: "shm:/counter", Value: fill(8)},
		), nil},
		{"deadlock: formed, detected, broken once the survivor wakes", "deadlock", deadlockFlow(true), []want{
			{5, DeadlockFormed, map[string]any{AttrAbout: uint64(4)}, []string{"formed when worker-1 blocked on sem:0x1#1", "worker-2 waits for sem:0x1#0, held by worker-1"}},
			{5, DeadlockDetected, map[string]any{AttrAbout: uint64(5)}, []string{"not the kernel"}},
			{8, DeadlockBroken, map[string]any{"victim": "worker-1", "survivor": "worker-2", AttrAbout: uint64(8), AttrRelated: uint64(7)}, []string{"worker-1 was killed (SIGKILL)", "worker-2, woken, goes on"}},
		}},
		{"deadlock: broken once the victim's death is logged", "deadlock", deadlockFlow(false), []want{
			{5, DeadlockFormed, nil, nil},
			{5, DeadlockDetected, nil, nil},
			{8, DeadlockBroken, map[string]any{AttrAbout: uint64(7), AttrRelated: uint64(8)}, nil},
		}},
		{"no deadlock report, no deadlock moments", "deadlock", deadlockFlow(true)[:4], nil},
		{"UDP: the kernel's drop count rises", "socket-udp", one(
			event.Event{Kind: event.KindRecv, Proc: "server", Obj: udp, Msg: 1, Fill: fill(832), Cap: 2304, Attrs: map[string]any{"drops": float64(0)}},
			event.Event{Kind: event.KindRecv, Proc: "server", Obj: udp, Msg: 2, Fill: fill(1664), Cap: 2304, Attrs: map[string]any{"drops": float64(98)}},
			event.Event{Kind: event.KindRecv, Proc: "server", Obj: udp, Msg: 3, Attrs: map[string]any{"drops": float64(99)}},
			event.Event{Kind: event.KindLost, Proc: "server", Obj: udp, Msg: 4, Peer: "client-1"},
		), []want{{2, DatagramDropped, map[string]any{"drops": int64(98)}, []string{"dropped 98 datagrams sent to udp:127.0.0.1:9"}}}},
		{"TCP: segments dropped and sent again are no lost datagram", "socket-tcp", one(
			event.Event{Kind: event.KindSample, Obj: "tcp:127.0.0.1:9", Fill: fill(0), Attrs: map[string]any{"drops": float64(0)}},
			event.Event{Kind: event.KindSample, Obj: "tcp:127.0.0.1:9", Fill: fill(36864), Attrs: map[string]any{"drops": float64(3)}},
		), nil},
		{"UDP: a lost datagram named at the end", "socket-udp", one(
			event.Event{Kind: event.KindLost, Proc: "server", Obj: udp, Msg: 4, Peer: "client-1"},
		), []want{{1, DatagramDropped, nil, []string{"Datagram 4 from client-1 never arrived"}}}},
		{"signals: values sent while one was pending merge", "signal", cat(
			signals("SIGUSR1", 10, 1, 2, 3), one(deliver("SIGUSR1", 10, 1, false), deliver("SIGRTMAX", 64, 3, true)),
		), []want{{5, SignalMerged, map[string]any{"value": int64(2), "pending_value": int64(1), AttrAbout: uint64(2), AttrRelated: uint64(1)},
			[]string{"sender sent SIGUSR1 with value 2 to receiver while the SIGUSR1 with value 1 was still pending"}}}},
		{"signals: a later value delivered proves the skipped one merged", "signal", cat(
			signals("SIGUSR2", 12, 1, 2, 3), one(deliver("SIGUSR2", 12, 1, false), deliver("SIGUSR2", 12, 3, false)),
		), []want{{5, SignalMerged, map[string]any{"value": int64(2)}, nil}}},
		{"signals: each delivered, none merged", "signal", cat(
			signals("SIGUSR1", 10, 1, 2), one(deliver("SIGUSR1", 10, 1, false), deliver("SIGUSR1", 10, 2, false),
				deliver("SIGRTMAX", 64, 2, true), event.Event{Kind: event.KindExit, Proc: "receiver"}),
		), nil},
		{"signals: real-time signals queue and never merge", "signal", cat(
			signals("SIGRTMIN+1", 35, 1, 2), one(deliver("SIGRTMAX", 64, 2, true)),
		), nil},
		{"queue: an urgent message overtakes older ones", "mq-posix", one(
			send("producer-1", 1, 1), send("producer-1", 3, 1), send("producer-1", 5, 9), recv(5, 9), recv(1, 1), recv(3, 1),
		), []want{{4, PriorityOvertake, map[string]any{"overtaken_msg": int64(1), "overtaken_prio": 1, AttrRelated: uint64(1)},
			[]string{"consumer-1 received message 5 (priority 9) before message 1 (priority 1)"}}}},
		{"queue: a message sent after the urgent one began to wait is not older", "mq-posix", one(
			event.Event{Kind: event.KindBlock, Proc: "producer-1", Obj: q, Call: "mq_timedsend", Msg: 15, Prio: 9},
			send("producer-2", 2, 1), send("producer-1", 15, 9), recv(15, 9), recv(2, 1),
		), []want{{1, FirstBlock, nil, nil}}},
		{"queue: equal priorities go in order", "mq-posix", one(
			send("producer-1", 1, 0), send("producer-2", 2, 0), recv(1, 0), recv(2, 0),
		), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.scenario, tc.evs)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d moments, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				check(t, got[i], w)
			}
		})
	}
}

// seen is a moment and the seq of the event it followed.
type seen struct {
	after uint64
	m     event.Event
}

// run numbers the events, feeds them to a detector and collects what it
// returns, feeding each moment back as the server would.
func run(scenario string, evs []event.Event) []seen {
	d := New(scenario)
	var out []seen
	for i := range evs {
		e := evs[i]
		e.Seq = uint64(i + 1)
		e.T = int64(i+1) * 1000
		for _, m := range d.Observe(&e) {
			out = append(out, seen{e.Seq, m})
			if again := d.Observe(&m); again != nil {
				panic("a moment fed back made moments")
			}
		}
	}
	return out
}

func check(t *testing.T, s seen, w want) {
	t.Helper()
	m := s.m
	if m.Kind != event.KindMoment || m.Name != w.name || s.after != w.after {
		t.Fatalf("moment %s %q after seq %d, want %s after seq %d: %+v", m.Kind, m.Name, s.after, w.name, w.after, m)
	}
	if m.T != int64(s.after)*1000 {
		t.Errorf("%s: t %d, want the t of the event it follows", m.Name, m.T)
	}
	if _, ok := m.Attrs[AttrAbout]; !ok {
		t.Errorf("%s: no %s", m.Name, AttrAbout)
	}
	for k, v := range w.attrs {
		if m.Attrs[k] != v {
			t.Errorf("%s: attrs[%s] = %#v, want %#v", m.Name, k, m.Attrs[k], v)
		}
	}
	for _, p := range w.text {
		if !strings.Contains(m.Text, p) {
			t.Errorf("%s: text %q lacks %q", m.Name, m.Text, p)
		}
	}
	if m.Text == "" || !strings.HasSuffix(m.Text, ".") {
		t.Errorf("%s: text %q is not a sentence", m.Name, m.Text)
	}
}

func TestNum(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 4096: "4,096", 1234567: "1,234,567", -4096: "-4,096"} {
		if got := num(n); got != want {
			t.Errorf("num(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkObserve feeds the detector a race in detail and a busy queue,
// as the session core does with every event it logs.
func BenchmarkObserve(b *testing.B) {
	var evs []event.Event
	for i := range 5000 {
		v := int64(i)
		evs = append(evs,
			event.Event{Kind: event.KindRead, Proc: "worker-1", Obj: "shm:/c", Value: &v},
			event.Event{Kind: event.KindWrite, Proc: "worker-1", Obj: "shm:/c", Value: event.Int64(v + 1)},
			event.Event{Kind: event.KindSend, Proc: "producer-1", Obj: "mq:/q", Msg: int64(i + 1), Prio: i % 5, Fill: fill(3), Cap: 6},
			event.Event{Kind: event.KindRecv, Proc: "consumer-1", Obj: "mq:/q", Msg: int64(i + 1), Prio: i % 5, Fill: fill(2), Cap: 6},
		)
	}
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := New("race")
		for i := range evs {
			d.Observe(&evs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

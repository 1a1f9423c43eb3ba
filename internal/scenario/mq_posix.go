package scenario

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The mq-posix scenario: producers and consumers share one POSIX message
// queue, found by its name. The queue keeps whole messages, each with a
// priority, and always hands out the oldest message of the highest
// priority first: an urgent message overtakes the ones already waiting.

// Priority plans a session may choose.
var mqPriorityPlans = []string{"none", "mixed", "urgent-every-5th"}

func init() {
	register(&Scenario{
		Name:      "mq-posix",
		Title:     "POSIX message queue: producers, consumers and priorities",
		Mechanism: "mq-posix",
		Summary: "producer-1 creates a message queue with mq_open and starts the other producers and the " +
			"consumers, which open the same queue by its name. Producers put messages in with mq_send, each with " +
			"a priority; consumers take them out with mq_receive. The kernel keeps message boundaries and hands " +
			"out the highest priority first.",
		Watch: "The queue holds at most maxmsg messages. Make it short and the consumers slow: it fills up and " +
			"the producers block in mq_send until a consumer makes room. With priorities, a high-priority " +
			"message jumps ahead of the ones already waiting: see it leave the queue first. The result counts " +
			"how many messages overtook others.",
		Params: []Param{
			intParam("producers", 2, 1, 4, "", "How many processes send."),
			intParam("consumers", 2, 1, 4, "", "How many processes receive. Each message goes to exactly one of them."),
			messagesParam(30),
			sizeParam(64, 65536),
			intParam("maxmsg", 6, 1, 1024, "messages",
				"How many messages the queue holds (mq_maxmsg). It may not pass fs.mqueue.msg_max."),
			choiceParam("priorities", "urgent-every-5th", mqPriorityPlans,
				`"none": every message has priority 0. "mixed": priorities 1 to 4 in turn. `+
					`"urgent-every-5th": every fifth message has priority 9, the others 1.`),
			consumerDelayParam(40),
		},
		Check: checkMqPosix,
		Plan:  planMqPosix,
	})
	registerRole("mq-posix-owner", mqPosixOwner)
	registerRole("mq-posix-producer", mqPosixProducer)
	registerRole("mq-posix-consumer", mqPosixConsumer)
}

func checkMqPosix(v Values, lim Limits) *FieldError {
	n, size, maxmsg := v.Int("messages"), v.Int("size"), v.Int("maxmsg")
	for _, who := range []string{"producers", "consumers"} {
		if k := v.Int(who); k > n {
			return fieldErr(who, "%d %s need at least %d messages, one each: send more messages or use fewer %s", k, who, k, who)
		}
	}
	if lim.MqMsgMax > 0 && maxmsg > lim.MqMsgMax {
		return fieldErr("maxmsg", "a queue may hold at most %d messages (fs.mqueue.msg_max)", lim.MqMsgMax)
	}
	if lim.MqMsgsize > 0 && size > lim.MqMsgsize {
		return fieldErr("size", "a queue's messages may be at most %d bytes (fs.mqueue.msgsize_max)", lim.MqMsgsize)
	}
	if ml, err := ipc.ReadMqLimits(); err == nil {
		var le *ipc.LimitError
		if errors.As(ml.Check(maxmsg, size), &le) {
			field := "maxmsg"
			if le.Limit == "fs.mqueue.msgsize_max" || le.Limit == "mq_msgsize" {
				field = "size"
			}
			return fieldErr(field, "%s", le.Text)
		}
	}
	if ferr := checkMqRoom(maxmsg, size); ferr != nil {
		return ferr
	}
	if ferr := checkDelayBudget("consumer_delay_ms", n, v.Int("consumer_delay_ms"), v.Int("consumers")); ferr != nil {
		return ferr
	}
	return checkBudget(n, size, 1)
}

// mqBookings are the queues this server's sessions were planned with, and
// the kernel memory each is charged for. RLIMIT_MSGQUEUE bounds that
// memory for all of one user's queues together, and every session runs as
// the same user: a session whose queue would not fit beside the others is
// refused before it starts, in words, instead of failing in mq_open.
var mqBookings = struct {
	sync.Mutex
	m map[string]*mqBooking
}{m: map[string]*mqBooking{}}

type mqBooking struct {
	cost    int
	planned time.Time
	seen    bool // the queue was seen to exist
}

const (
	// mqBookingGrace is how long a planned queue counts before it exists:
	// the time its owner takes to start and create it.
	mqBookingGrace = 5 * time.Second
	// mqBookingKeep is how long a queue not seen yet is remembered, for a
	// session in step mode that creates it late.
	mqBookingKeep = time.Hour
)

func mqBook(name string, cost int) {
	mqBookings.Lock()
	defer mqBookings.Unlock()
	mqBookings.m[name] = &mqBooking{cost: cost, planned: time.Now()}
}

// mqBooked adds up the memory of the planned queues that exist now, or
// were planned a moment ago and are about to, and forgets the ones gone.
func mqBooked() int {
	mqBookings.Lock()
	defer mqBookings.Unlock()
	total := 0
	for name, b := range mqBookings.m {
		exists, err := ipc.MqExists(name)
		age := time.Since(b.planned)
		switch {
		case err == nil && exists:
			b.seen = true
			total += b.cost
		case !b.seen && age < mqBookingGrace:
			total += b.cost
		case b.seen || age > mqBookingKeep:
			delete(mqBookings.m, name)
		}
	}
	return total
}

// checkMqRoom refuses a queue that would pass RLIMIT_MSGQUEUE beside the
// queues of the sessions running now. Queues other programs of the same
// user hold are not known here; if they take the room, mq_open fails with
// EMFILE and the session says so.
func checkMqRoom(maxmsg, size int) *FieldError {
	ml, err := ipc.ReadMqLimits()
	if err != nil || ml.UserBytes == unix.RLIM_INFINITY {
		return nil
	}
	cost := ipc.MqCost(maxmsg, size)
	if booked := mqBooked(); uint64(booked+cost) > ml.UserBytes {
		return fieldErr("maxmsg", "the message queues of the sessions running now take %d bytes of kernel memory, and this one needs %d more: "+
			"one user may hold at most %d bytes in all queues (RLIMIT_MSGQUEUE). Wait for a session to end, or ask for a smaller queue "+
			"(a smaller maxmsg or size)", booked, cost, ml.UserBytes)
	}
	return nil
}

type mqPosixArgs struct {
	Name            string   `json:"name"`
	Obj             string   `json:"obj"`
	Producers       int      `json:"producers"`
	Consumers       int      `json:"consumers"`
	Messages        int      `json:"messages"`
	Size            int      `json:"size"`
	Maxmsg          int      `json:"maxmsg"`
	Priorities      string   `json:"priorities"`
	ConsumerDelayMS int      `json:"consumer_delay_ms"`
	Index           int      `json:"index"`            // this producer's or consumer's number, from 1
	Others          []string `json:"others,omitempty"` // the owner's: the processes it starts
}

// planMqPosix makes producer-1 the owner: it creates the queue, starts
// everyone else (consumers first, so they are waiting when messages come)
// and removes the queue once all of them have ended.
func planMqPosix(v Values, env Env) (Plan, error) {
	name := env.Name("queue")
	base := mqPosixArgs{Name: name, Obj: event.Label(event.ObjKindMq, name), Producers: v.Int("producers"), Consumers: v.Int("consumers"),
		Messages: v.Int("messages"), Size: v.Int("size"), Maxmsg: v.Int("maxmsg"), Priorities: v.Str("priorities"),
		ConsumerDelayMS: v.Int("consumer_delay_ms")}
	var procs []ProcSpec
	var others []string
	for i := 1; i <= base.Consumers; i++ {
		a := base
		a.Index = i
		name := fmt.Sprintf("consumer-%d", i)
		others = append(others, name)
		procs = append(procs, ProcSpec{Name: name, Role: "mq-posix-consumer", Args: a, StartedBy: "producer-1"})
	}
	for i := 2; i <= base.Producers; i++ {
		a := base
		a.Index = i
		name := fmt.Sprintf("producer-%d", i)
		others = append(others, name)
		procs = append(procs, ProcSpec{Name: name, Role: "mq-posix-producer", Args: a, StartedBy: "producer-1"})
	}
	mqBook(name, ipc.MqCost(base.Maxmsg, base.Size))
	owner := base
	owner.Index, owner.Others = 1, others
	procs = append([]ProcSpec{{Name: "producer-1", Role: "mq-posix-owner", Args: owner}}, procs...)
	return Plan{Procs: procs, Objects: []Object{{Kind: ObjMqPosix, Label: base.Obj, Name: name}}}, nil
}

// mqPrio is the priority of message id under a priority plan.
func mqPrio(plan string, id int64) int {
	switch plan {
	case "mixed":
		return 1 + int(id%4)
	case "urgent-every-5th":
		if id%5 == 0 {
			return 9
		}
		return 1
	}
	return 0
}

// mqPosixOwner creates the queue, starts the others, sends its share,
// waits for everyone, removes the queue and adds up the result.
func mqPosixOwner(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[mqPosixArgs](raw)
	if err != nil {
		return err
	}
	fd, err := mqCreate(p, a)
	if err != nil {
		return err
	}
	c, err := startCrew(p, a.Others)
	if err != nil {
		unix.Close(fd)
		return p.Fail("fork/exec", a.Obj, err)
	}
	own := &recordSink{}
	if err := mqProduce(p, fd, a, own); err != nil {
		return err
	}
	if err := mqClose(p, fd, a.Obj); err != nil {
		return err
	}
	recs := c.wait()
	if err := mqRemove(p, a.Obj, a.Name); err != nil {
		return err
	}
	recs = append(recs, own.recs...)
	counts := countRecords(recs)
	p.Result(map[string]any{
		"messages_sent": counts.sent, "messages_received": counts.received, "overtook": countOvertakes(recs),
		"sends_blocked": counts.sendBlocks, "receives_blocked": counts.recvBlocks, "per_consumer": counts.perProc,
		"queue_kernel_bytes": ipc.MqCost(a.Maxmsg, a.Size),
	})
	if counts.received != a.Messages {
		return fmt.Errorf("consumers received %d of %d messages", counts.received, a.Messages)
	}
	return nil
}

// mqCreate creates the queue, sized for this session's messages only: a
// queue is charged to its owner's RLIMIT_MSGQUEUE for what it could hold,
// so a small one leaves room for other sessions' queues.
func mqCreate(p *Proc, a mqPosixArgs) (int, error) {
	if err := p.Gate("mq_open", a.Obj); err != nil {
		return -1, err
	}
	attr := &ipc.MqAttr{Maxmsg: a.Maxmsg, Msgsize: a.Size}
	fd, err := ipc.MqOpen(a.Name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600, attr)
	if errors.Is(err, unix.EMFILE) {
		if ml, lerr := ipc.ReadMqLimits(); lerr == nil {
			p.Note("This user's message queues already take all the kernel memory RLIMIT_MSGQUEUE allows (%d bytes); "+
				"this queue needs %d more. Other sessions are holding queues: try again when they end, or ask for a smaller queue.",
				ml.UserBytes, ipc.MqCost(a.Maxmsg, a.Size))
		}
	}
	if err != nil {
		return -1, p.Fail("mq_open", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "mq_open", Cap: int64(a.Maxmsg), Fill: event.Int64(0),
		Attrs: map[string]any{event.AttrName: a.Name, event.AttrFlags: "O_WRONLY|O_CREAT|O_EXCL", event.AttrCreated: true,
			event.AttrMaxmsg: a.Maxmsg, event.AttrMsgsize: a.Size, event.AttrKernelBytes: ipc.MqCost(a.Maxmsg, a.Size)}})
	return fd, nil
}

// mqJoin opens the queue the owner created, by its name.
func mqJoin(p *Proc, a mqPosixArgs, flags int, flagNames string) (int, error) {
	if err := p.Gate("mq_open", a.Obj); err != nil {
		return -1, err
	}
	fd, err := ipc.MqOpen(a.Name, flags, 0, nil)
	if err != nil {
		return -1, p.Fail("mq_open", a.Obj, err)
	}
	fill, capacity := mqLevel(fd)
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "mq_open", Fill: fill, Cap: capacity,
		Attrs: map[string]any{event.AttrName: a.Name, event.AttrFlags: flagNames}})
	return fd, nil
}

// mqLevel asks the kernel how many messages wait and how many fit.
func mqLevel(fd int) (*int64, int64) {
	attr, err := ipc.MqGetattr(fd)
	if err != nil {
		return nil, 0
	}
	return event.Int64(int64(attr.Curmsgs)), int64(attr.Maxmsg)
}

func mqClose(p *Proc, fd int, obj string) error {
	if err := p.Gate("mq_close", obj); err != nil {
		unix.Close(fd)
		return err
	}
	p.Emit(event.Event{Kind: event.KindClose, Obj: obj, Call: "mq_close"})
	unix.Close(fd)
	return nil
}

func mqRemove(p *Proc, obj, name string) error {
	if err := p.Gate("mq_unlink", obj); err != nil {
		return err
	}
	if err := ipc.MqUnlink(name); err != nil {
		return p.Fail("mq_unlink", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: obj, Call: "mq_unlink",
		Text: "every process has closed the queue; removing its name frees it"})
	return nil
}

// mqPosixProducer opens the queue, sends its share and closes it.
func mqPosixProducer(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[mqPosixArgs](raw)
	if err != nil {
		return err
	}
	fd, err := mqJoin(p, a, unix.O_WRONLY, "O_WRONLY")
	if err != nil {
		return err
	}
	sink := newRecordSink(p)
	if err := mqProduce(p, fd, a, sink); err != nil {
		unix.Close(fd)
		return err
	}
	if err := mqClose(p, fd, a.Obj); err != nil {
		return err
	}
	return sink.flush()
}

// mqProduce sends this producer's messages.
func mqProduce(p *Proc, fd int, a mqPosixArgs, sink *recordSink) error {
	buf := make([]byte, a.Size)
	for _, id := range producerIDs(a.Messages, a.Producers, a.Index) {
		r, err := mqSend(p, fd, a, id, buf)
		if err != nil {
			return err
		}
		sink.add(r)
	}
	return nil
}

// mqSend sends one message. The try form is mq_timedsend with a deadline
// already past: on a full queue it returns at once instead of sleeping.
func mqSend(p *Proc, fd int, a mqPosixArgs, id int64, buf []byte) (callRecord, error) {
	if err := p.Gate("mq_timedsend", a.Obj); err != nil {
		return callRecord{}, err
	}
	fillPayload(buf, id)
	prio := mqPrio(a.Priorities, id)
	r := callRecord{Proc: p.Name, Kind: event.KindSend, Msg: id, Prio: prio, Start: ipc.Monotonic()}
	try := func() (bool, error) {
		err := ipc.MqTrySend(fd, buf, uint(prio))
		if errors.Is(err, unix.EAGAIN) {
			r.Blocked = true
			return true, nil
		}
		return false, err
	}
	wait := func() error { return ipc.MqTimedSend(fd, buf, uint(prio), time.Time{}) }
	tmpl := event.Event{Obj: a.Obj, Call: "mq_timedsend", Msg: id, Prio: prio,
		Text: "the queue is full: mq_send sleeps until a consumer takes a message out"}
	if err := p.BlockingAs(tmpl, try, wait); err != nil {
		return r, p.Fail("mq_timedsend", a.Obj, err)
	}
	r.End = ipc.Monotonic()
	fill, capacity := mqLevel(fd)
	p.Emit(event.Event{Kind: event.KindSend, Obj: a.Obj, Bytes: len(buf), Msg: id, Prio: prio, Fill: fill, Cap: capacity})
	return r, nil
}

// mqPosixConsumer opens the queue and receives its share of the messages:
// with every consumer taking its share, all of them end once every message
// has been received.
func mqPosixConsumer(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[mqPosixArgs](raw)
	if err != nil {
		return err
	}
	fd, err := mqJoin(p, a, unix.O_RDONLY, "O_RDONLY")
	if err != nil {
		return err
	}
	sink := newRecordSink(p)
	buf := make([]byte, a.Size)
	for range dealShare(a.Messages, a.Consumers, a.Index) {
		p.Sleep(time.Duration(a.ConsumerDelayMS)*time.Millisecond, "a slow consumer (consumer_delay_ms)")
		r, err := mqReceive(p, fd, a, buf)
		if err != nil {
			unix.Close(fd)
			return err
		}
		sink.add(r)
	}
	if err := mqClose(p, fd, a.Obj); err != nil {
		return err
	}
	return sink.flush()
}

// mqReceive takes the next message: the oldest of the highest priority.
func mqReceive(p *Proc, fd int, a mqPosixArgs, buf []byte) (callRecord, error) {
	if err := p.Gate("mq_timedreceive", a.Obj); err != nil {
		return callRecord{}, err
	}
	r := callRecord{Proc: p.Name, Kind: event.KindRecv, Start: ipc.Monotonic()}
	var n int
	var prio uint
	try := func() (bool, error) {
		var err error
		n, prio, err = ipc.MqTryReceive(fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			r.Blocked = true
			return true, nil
		}
		return false, err
	}
	wait := func() error {
		var err error
		n, prio, err = ipc.MqTimedReceive(fd, buf, time.Time{})
		return err
	}
	tmpl := event.Event{Obj: a.Obj, Call: "mq_timedreceive",
		Text: "the queue is empty: mq_receive sleeps until a producer sends"}
	if err := p.BlockingAs(tmpl, try, wait); err != nil {
		return r, p.Fail("mq_timedreceive", a.Obj, err)
	}
	r.End = ipc.Monotonic()
	id, err := payloadID(buf[:n])
	if err != nil || id < 1 || id > int64(a.Messages) {
		return r, p.Fail("mq_timedreceive", a.Obj, fmt.Errorf("a message of %d bytes that no producer sent", n))
	}
	r.Msg, r.Prio = id, int(prio)
	fill, capacity := mqLevel(fd)
	p.Emit(event.Event{Kind: event.KindRecv, Obj: a.Obj, Bytes: n, Msg: id, Prio: int(prio), Fill: fill, Cap: capacity})
	return r, nil
}

// countOvertakes counts the messages that overtook at least one other: a
// message m overtook k when k had a lower priority and was already waiting
// in the queue when m went in, so the kernel handed m out first. It judges
// by the clock readings around each call, and counts only what they prove:
// k's send returned before m's began, and m's send returned before the
// receive that got k began.
func countOvertakes(recs []callRecord) int {
	type life struct {
		prio                        int
		sendStart, sendEnd, recvBeg int64
		sent, got                   bool
	}
	lives := map[int64]*life{}
	for _, r := range recs {
		l := lives[r.Msg]
		if l == nil {
			l = &life{}
			lives[r.Msg] = l
		}
		switch r.Kind {
		case event.KindSend:
			l.prio, l.sendStart, l.sendEnd, l.sent = r.Prio, r.Start, r.End, true
		case event.KindRecv:
			l.recvBeg, l.got = r.Start, true
		}
	}
	var all []*life
	for _, l := range lives {
		if l.sent && l.got {
			all = append(all, l)
		}
	}
	byStart := slices.Clone(all)
	slices.SortFunc(byStart, func(x, y *life) int { return cmp.Compare(x.sendStart, y.sendStart) })
	byEnd := slices.Clone(all)
	slices.SortFunc(byEnd, func(x, y *life) int { return cmp.Compare(x.sendEnd, y.sendEnd) })
	// latest[prio] is the latest receive start among messages of that
	// priority known to be in the queue before the current m.
	latest := map[int]int64{}
	n, j := 0, 0
	for _, m := range byStart {
		for ; j < len(byEnd) && byEnd[j].sendEnd < m.sendStart; j++ {
			k := byEnd[j]
			latest[k.prio] = max(latest[k.prio], k.recvBeg)
		}
		for prio, recv := range latest {
			if prio < m.prio && recv > m.sendEnd {
				n++
				break
			}
		}
	}
	return n
}

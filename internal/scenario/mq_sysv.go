package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The mq-sysv scenario: a System V message queue used as a mailbox. Every
// message carries a type, here the number of the consumer it is for, and
// each consumer asks msgrcv for its own type only. One queue, many
// private letter boxes.

func init() {
	register(&Scenario{
		Name:      "mq-sysv",
		Title:     "System V message queue: a mailbox with addresses",
		Mechanism: "mq-sysv",
		Summary: "The sender creates a System V message queue with msgget, from a numeric key, and starts the " +
			"consumers, which find the queue by the same key. Each message carries a type: the number of the " +
			"consumer it is addressed to. Each consumer calls msgrcv with its own number and gets only its " +
			"own mail, whatever else waits in the queue.",
		Watch: "A consumer whose mail has not been sent yet blocks in msgrcv even when the queue holds other " +
			"consumers' messages: it waits for its type, not for any message. The queue's capacity is counted " +
			"in bytes (msg_qbytes); make it small and the consumers slow, and the sender blocks in msgsnd " +
			"until someone takes a message out.",
		Params: []Param{
			intParam("consumers", 3, 1, 4, "", "How many consumers, each with its own address (message type 1, 2, ...)."),
			messagesParam(18),
			sizeParam(64, 65536),
			intParam("queue_bytes", 512, headerLen, 1<<20, "bytes",
				"How many bytes of messages the queue holds (msg_qbytes, set with msgctl IPC_SET). It may not pass kernel.msgmnb."),
			choiceParam("order", "grouped", []string{"grouped", "round-robin"},
				`"grouped": all of consumer 1's mail first, then consumer 2's, and so on, so the last consumers wait long for theirs. `+
					`"round-robin": addressed to 1, 2, 3, 1, 2, 3, ...`),
			consumerDelayParam(40),
		},
		Check: checkMqSysv,
		Plan:  planMqSysv,
	})
	registerRole("mq-sysv-sender", mqSysvSender)
	registerRole("mq-sysv-consumer", mqSysvConsumer)
}

func checkMqSysv(v Values, lim Limits) *FieldError {
	n, size, qbytes, consumers := v.Int("messages"), v.Int("size"), v.Int("queue_bytes"), v.Int("consumers")
	if consumers > n {
		return fieldErr("consumers", "%d consumers need at least %d messages, one each: send more messages or use fewer consumers", consumers, consumers)
	}
	if lim.MsgMax > 0 && size > lim.MsgMax {
		return fieldErr("size", "a System V message may be at most %d bytes (kernel.msgmax)", lim.MsgMax)
	}
	if lim.MsgMnb > 0 && qbytes > lim.MsgMnb {
		return fieldErr("queue_bytes", "an ordinary user may give a queue at most %d bytes (kernel.msgmnb)", lim.MsgMnb)
	}
	if qbytes < size {
		return fieldErr("queue_bytes", "the queue must hold at least one message: queue_bytes (%d) is smaller than size (%d)", qbytes, size)
	}
	if ferr := checkDelayBudget("consumer_delay_ms", n, v.Int("consumer_delay_ms"), consumers); ferr != nil {
		return ferr
	}
	return checkBudget(n, size, 1)
}

type mqSysvArgs struct {
	Key             int      `json:"key"`
	Obj             string   `json:"obj"`
	Consumers       int      `json:"consumers"`
	Messages        int      `json:"messages"`
	Size            int      `json:"size"`
	QueueBytes      int      `json:"queue_bytes"`
	Order           string   `json:"order"`
	ConsumerDelayMS int      `json:"consumer_delay_ms"`
	Index           int      `json:"index"`            // a consumer's number: the message type it receives
	Others          []string `json:"others,omitempty"` // the sender's: the consumers it starts
}

// planMqSysv makes the sender the owner: it creates the queue, starts the
// consumers and removes the queue once they have all ended.
func planMqSysv(v Values, env Env) (Plan, error) {
	key := env.Key()
	base := mqSysvArgs{Key: key, Obj: syncKeyLabel(event.ObjKindMsg, key), Consumers: v.Int("consumers"),
		Messages: v.Int("messages"), Size: v.Int("size"), QueueBytes: v.Int("queue_bytes"), Order: v.Str("order"),
		ConsumerDelayMS: v.Int("consumer_delay_ms")}
	var procs []ProcSpec
	var others []string
	for i := 1; i <= base.Consumers; i++ {
		a := base
		a.Index = i
		name := fmt.Sprintf("consumer-%d", i)
		others = append(others, name)
		procs = append(procs, ProcSpec{Name: name, Role: "mq-sysv-consumer", Args: a, StartedBy: "sender"})
	}
	owner := base
	owner.Others = others
	procs = append([]ProcSpec{{Name: "sender", Role: "mq-sysv-sender", Args: owner}}, procs...)
	return Plan{Procs: procs, Objects: []Object{{Kind: ObjMsgSysV, Label: base.Obj, Key: key}}}, nil
}

// mailAddress is the consumer message id is addressed to: its type.
func mailAddress(order string, id int64, n, consumers int) int {
	if order == "round-robin" {
		return int((id-1)%int64(consumers)) + 1
	}
	first := int64(1)
	for c := 1; c <= consumers; c++ {
		q := int64(dealShare(n, consumers, c))
		if id < first+q {
			return c
		}
		first += q
	}
	return consumers
}

// msgLevel reads the queue's depth (msg_qnum) and, as its capacity, how
// many messages of size bytes fit in msg_qbytes.
func msgLevel(id, size int) (*int64, int64, map[string]any) {
	st, err := ipc.MsgStat(id)
	if err != nil {
		return nil, 0, nil
	}
	return event.Int64(int64(st.Qnum)), int64(st.Qbytes / max(size, 1)),
		map[string]any{"bytes": st.Cbytes, "qbytes": st.Qbytes}
}

// mqSysvSender creates the queue, shrinks it if asked, starts the
// consumers, sends every message to its address, waits for the consumers
// and removes the queue.
func mqSysvSender(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[mqSysvArgs](raw)
	if err != nil {
		return err
	}
	id, err := msgCreate(p, a)
	if err != nil {
		return err
	}
	c, err := startCrew(p, a.Others)
	if err != nil {
		return p.Fail("fork/exec", a.Obj, err)
	}
	buf := make([]byte, a.Size)
	blocks := 0
	for m := int64(1); m <= int64(a.Messages); m++ {
		blocked, err := msgSend(p, id, a, m, buf)
		if err != nil {
			return err
		}
		if blocked {
			blocks++
		}
	}
	recs := c.wait()
	if err := p.Gate("msgctl IPC_RMID", a.Obj); err != nil {
		return err
	}
	if err := ipc.MsgRemove(id); err != nil {
		return p.Fail("msgctl IPC_RMID", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: a.Obj, Call: "msgctl IPC_RMID",
		Text: "the queue is removed at once, with any message still in it"})
	counts := countRecords(recs)
	misdelivered := 0
	for _, r := range recs {
		if r.Kind == event.KindRecv && (r.Proc != fmt.Sprintf("consumer-%d", r.Type) ||
			mailAddress(a.Order, r.Msg, a.Messages, a.Consumers) != r.Type) {
			misdelivered++
		}
	}
	p.Result(map[string]any{"messages_sent": a.Messages, "messages_received": counts.received,
		"misdelivered": misdelivered, "per_consumer": counts.perProc,
		"sends_blocked": blocks, "receives_blocked": counts.recvBlocks})
	if counts.received != a.Messages || misdelivered > 0 {
		return fmt.Errorf("consumers received %d of %d messages, %d at a wrong address", counts.received, a.Messages, misdelivered)
	}
	return nil
}

// msgCreate creates the queue with the session's key and sets its
// capacity.
func msgCreate(p *Proc, a mqSysvArgs) (int, error) {
	if err := p.Gate("msgget", a.Obj); err != nil {
		return -1, err
	}
	id, err := ipc.Msgget(a.Key, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return -1, p.Fail("msgget", a.Obj, err)
	}
	fill, capacity, attrs := msgLevel(id, a.Size)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[event.AttrKey], attrs[event.AttrID], attrs[event.AttrFlags], attrs[event.AttrCreated] = fmt.Sprintf("0x%08x", a.Key), id, "IPC_CREAT|IPC_EXCL|0600", true
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "msgget", Fill: fill, Cap: capacity, Attrs: attrs})
	if q, _ := attrs[event.AttrQbytes].(int); q == a.QueueBytes {
		return id, nil
	}
	if err := p.Gate("msgctl IPC_SET", a.Obj); err != nil {
		return id, err
	}
	if err := ipc.MsgSetQbytes(id, a.QueueBytes); err != nil {
		return id, p.Fail("msgctl IPC_SET", a.Obj, err)
	}
	_, capacity, attrs = msgLevel(id, a.Size)
	p.Emit(event.Event{Kind: event.KindNote, Obj: a.Obj, Call: "msgctl IPC_SET", Cap: capacity, Attrs: attrs,
		Text: fmt.Sprintf("msgctl(IPC_SET) set the queue's capacity, msg_qbytes, to %d bytes: %d messages of %d bytes",
			a.QueueBytes, capacity, a.Size)})
	return id, nil
}

// msgSend sends message m to its address. The try form is msgsnd with
// IPC_NOWAIT, which fails with EAGAIN instead of sleeping on a full queue.
func msgSend(p *Proc, id int, a mqSysvArgs, m int64, buf []byte) (bool, error) {
	if err := p.Gate("msgsnd", a.Obj); err != nil {
		return false, err
	}
	to := mailAddress(a.Order, m, a.Messages, a.Consumers)
	fillPayload(buf, m)
	blocked := false
	try := func() (bool, error) {
		err := ipc.Msgsnd(id, to, buf, unix.IPC_NOWAIT)
		if errors.Is(err, unix.EAGAIN) {
			blocked = true
			return true, nil
		}
		return false, err
	}
	wait := func() error { return ipc.Msgsnd(id, to, buf, 0) }
	tmpl := event.Event{Obj: a.Obj, Call: "msgsnd", Msg: m, Type: int64(to),
		Text: "the queue has no room for this message: msgsnd sleeps until a consumer takes one out"}
	if err := p.BlockingAs(tmpl, try, wait); err != nil {
		return blocked, p.Fail("msgsnd", a.Obj, err)
	}
	fill, capacity, attrs := msgLevel(id, a.Size)
	if attrs != nil {
		attrs[event.AttrTo] = fmt.Sprintf("consumer-%d", to)
	}
	p.Emit(event.Event{Kind: event.KindSend, Obj: a.Obj, Bytes: len(buf), Msg: m, Type: int64(to),
		Fill: fill, Cap: capacity, Attrs: attrs})
	return blocked, nil
}

// mqSysvConsumer finds the queue by its key and receives the messages of
// its own type, as many as were addressed to it.
func mqSysvConsumer(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[mqSysvArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("msgget", a.Obj); err != nil {
		return err
	}
	id, err := ipc.Msgget(a.Key, 0)
	if err != nil {
		return p.Fail("msgget", a.Obj, err)
	}
	fill, capacity, attrs := msgLevel(id, a.Size)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[event.AttrKey], attrs[event.AttrID], attrs[event.AttrType] = fmt.Sprintf("0x%08x", a.Key), id, a.Index
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "msgget", Fill: fill, Cap: capacity, Attrs: attrs})
	sink := newRecordSink(p)
	buf := make([]byte, a.Size)
	for range dealShare(a.Messages, a.Consumers, a.Index) {
		p.Sleep(time.Duration(a.ConsumerDelayMS)*time.Millisecond, "a slow consumer (consumer_delay_ms)")
		r, err := msgReceive(p, id, a, buf)
		if err != nil {
			return err
		}
		sink.add(r)
	}
	return sink.flush()
}

// msgReceive takes the oldest message of this consumer's type. The try
// form, with IPC_NOWAIT, fails with ENOMSG when none is there, however
// many messages of other types wait.
func msgReceive(p *Proc, id int, a mqSysvArgs, buf []byte) (callRecord, error) {
	if err := p.Gate("msgrcv", a.Obj); err != nil {
		return callRecord{}, err
	}
	r := callRecord{Proc: p.Name, Kind: event.KindRecv, Start: ipc.Monotonic()}
	var n, got int
	try := func() (bool, error) {
		var err error
		n, got, err = ipc.Msgrcv(id, buf, a.Index, unix.IPC_NOWAIT)
		if errors.Is(err, unix.ENOMSG) {
			r.Blocked = true
			return true, nil
		}
		return false, err
	}
	wait := func() error {
		var err error
		n, got, err = ipc.Msgrcv(id, buf, a.Index, 0)
		return err
	}
	tmpl := event.Event{Obj: a.Obj, Call: "msgrcv", Type: int64(a.Index),
		Text: fmt.Sprintf("no message of type %d is in the queue: msgrcv sleeps until one is sent, whatever else waits there", a.Index)}
	if err := p.BlockingAs(tmpl, try, wait); err != nil {
		return r, p.Fail("msgrcv", a.Obj, err)
	}
	r.End = ipc.Monotonic()
	m, err := payloadID(buf[:n])
	if err != nil {
		return r, p.Fail("msgrcv", a.Obj, err)
	}
	r.Msg, r.Type = m, got
	fill, capacity, attrs := msgLevel(id, a.Size)
	p.Emit(event.Event{Kind: event.KindRecv, Obj: a.Obj, Bytes: n, Msg: m, Type: int64(got), Fill: fill, Cap: capacity, Attrs: attrs})
	if got != a.Index || mailAddress(a.Order, m, a.Messages, a.Consumers) != a.Index {
		return r, fmt.Errorf("consumer-%d got message %d of type %d, addressed to someone else", a.Index, m, got)
	}
	return r, nil
}

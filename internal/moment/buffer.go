package moment

import (
	"fmt"
	"strings"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// Calls that put data into a buffer or queue, and calls that take it out.
// A block in the first kind means no room; in the second, nothing to take.
var (
	sendCalls = map[string]bool{"write": true, "send": true, "sendto": true, "sendmsg": true,
		"mq_send": true, "mq_timedsend": true, "msgsnd": true}
	recvCalls = map[string]bool{"read": true, "recv": true, "recvfrom": true, "recvmsg": true,
		"mq_receive": true, "mq_timedreceive": true, "msgrcv": true, "poll": true}
)

// bufferState marks the first time a writer waits for room and a reader
// finds nothing to take, once per object (and, for a System V queue, per
// message type: each reader waits for its own).
type bufferState struct {
	done map[string]bool
}

func (b *bufferState) observe(d *Detector, e *event.Event) []event.Event {
	if e.Obj == "" {
		return nil
	}
	switch {
	case e.Kind == event.KindBlock && d.waitsForRoom(e):
		return b.once("full "+e.Obj, func() event.Event { return d.firstBlock(e) })
	case e.Kind == event.KindBlock && d.waitsForData(e):
		key := fmt.Sprintf("empty %s %d", e.Obj, e.Type)
		return b.once(key, func() event.Event { return emptyReceive(e, d.level(e.Obj), d.sharedRing(), "") })
	case e.Kind == event.KindError && e.Errno == "EAGAIN" && recvCalls[e.Call]:
		key := fmt.Sprintf("empty %s %d", e.Obj, e.Type)
		return b.once(key, func() event.Event { return emptyReceive(e, d.level(e.Obj), false, e.Errno) })
	}
	return nil
}

// once returns the moment make builds, the first time key is seen.
func (b *bufferState) once(key string, make func() event.Event) []event.Event {
	if b.done[key] {
		return nil
	}
	b.done[key] = true
	return []event.Event{make()}
}

// waitsForRoom reports whether a block is a writer waiting for room. In the
// shared-memory scenarios the writer waits on a semaphore that counts free
// slots of the ring.
func (d *Detector) waitsForRoom(e *event.Event) bool {
	return sendCalls[e.Call] || (d.sharedRing() && e.Proc == "writer")
}

// waitsForData reports whether a block is a reader waiting for something to
// take; in the shared-memory scenarios, the reader waiting for a full slot.
func (d *Detector) waitsForData(e *event.Event) bool {
	return recvCalls[e.Call] || (d.sharedRing() && e.Proc == "reader")
}

func (d *Detector) sharedRing() bool { return strings.HasPrefix(d.scenario, "shm-") }

// unit names what an object's fill counts.
func unit(call string) string {
	switch {
	case strings.HasPrefix(call, "mq_") || strings.HasPrefix(call, "msg"):
		return "messages"
	case call == "sem_wait" || call == "semop":
		return "slots"
	}
	return "bytes"
}

// inUse says "(4,000 of 4,096 bytes in use)" when the fill is known.
func inUse(call string, l level) string {
	if !l.hasFill {
		return ""
	}
	if l.cap > 0 {
		return fmt.Sprintf(" (%s of %s %s in use)", num(l.fill), num(l.cap), unit(call))
	}
	return fmt.Sprintf(" (%s %s in it)", num(l.fill), unit(call))
}

// firstBlock words a writer's wait: on a pipe or FIFO as its page slots
// explain it, when they do; on other objects by their fill.
func (d *Detector) firstBlock(e *event.Event) event.Event {
	why, m := d.pipes.why(e)
	if why == "" {
		return firstBlock(e, d.level(e.Obj), d.sharedRing())
	}
	mo := newMoment(FirstBlock, e.T, e, why)
	mo.Call, mo.Bytes = e.Call, e.Bytes
	used, total := m.Slots()
	mo.Fill, mo.Cap = event.Int64(int64(m.Unread())), int64(total*pageSize)
	mo.Attrs[event.AttrSlotsUsed] = used
	mo.Attrs[event.AttrSlots] = total
	return mo
}

// firstBlock words a writer's wait by the object's fill. In a
// shared-memory ring the object is the semaphore counting free slots, and
// the block's own text says why.
func firstBlock(e *event.Event, l level, ring bool) event.Event {
	text := fmt.Sprintf("%s must wait in %s: %s has no room for it%s. The kernel puts a writer to sleep "+
		"on a full buffer and wakes it when a reader makes room.", e.Proc, e.Call, e.Obj, inUse(e.Call, l))
	if ring {
		text = fmt.Sprintf("%s must wait in %s on %s. %s.", e.Proc, e.Call, e.Obj, sentence(e.Text, "every slot of the ring holds a message not read yet"))
	}
	m := newMoment(FirstBlock, e.T, e, text)
	m.Call = e.Call
	if l.hasFill {
		m.Fill, m.Cap = event.Int64(l.fill), l.cap
	}
	return m
}

// emptyReceive words a reader's wait, or, with errno, its failed try.
func emptyReceive(e *event.Event, l level, ring bool, errno string) event.Event {
	nothing := fmt.Sprintf("%s holds nothing to take", e.Obj)
	if e.Type != 0 {
		nothing = fmt.Sprintf("%s holds no message of type %d", e.Obj, e.Type)
		if l.hasFill && l.fill > 0 {
			nothing += fmt.Sprintf(", only %s for other readers", plural(l.fill, "message", "messages"))
		}
	}
	var text string
	switch {
	case errno != "":
		text = fmt.Sprintf("%s's %s failed with %s: %s, and the call was told not to wait.", e.Proc, e.Call, errno, nothing)
	case ring:
		text = fmt.Sprintf("%s must wait in %s on %s. %s.", e.Proc, e.Call, e.Obj, sentence(e.Text, "no slot of the ring holds a new message"))
	default:
		text = fmt.Sprintf("%s must wait in %s: %s. The kernel puts a reader to sleep and wakes it when "+
			"a writer puts something in.", e.Proc, e.Call, nothing)
	}
	m := newMoment(EmptyReceive, e.T, e, text)
	m.Call, m.Type = e.Call, e.Type
	if l.hasFill {
		m.Fill, m.Cap = event.Int64(l.fill), l.cap
	}
	return m
}

// sentence capitalizes s, or else, when s is empty, fallback.
func sentence(s, fallback string) string {
	if s == "" {
		s = fallback
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

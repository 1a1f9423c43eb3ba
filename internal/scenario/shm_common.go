package scenario

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// What the two shared-memory scenarios have in common: a ring of slots in
// the segment, a writer that fills them in turn and a reader that empties
// them in turn, and two counting semaphores that keep them honest. Memory
// itself says nothing about who may touch a slot when: "empty" counts the
// slots the writer may fill, "full" the slots the reader may read. The
// writer waits on empty and posts full; the reader waits on full and posts
// empty. The semaphores are futex words inside the segment (POSIX
// scenario) or a System V semaphore set (System V scenario).

// maxSegment bounds a session's segment.
const maxSegment = 1 << 20

// shmDataShown is how many bytes of each message events show.
const shmDataShown = 64

// The two semaphores, by their index in a System V set.
const (
	semEmpty = 0
	semFull  = 1
)

func shmParams() []Param {
	return []Param{
		messagesParam(16),
		sizeParam(64, 65536),
		intParam("slots", 4, 1, 64, "slots",
			"How many messages the segment holds at once: a ring of slots the writer fills in turn. The ring is slots × size bytes (a POSIX segment also holds its two semaphores, 16 bytes more)."),
		intParam("reader_delay_ms", 30, 0, 5000, "ms",
			"The reader waits this long before each read. With a slow reader every slot fills up and the writer blocks."),
	}
}

func checkShm(v Values, segmentMax int) *FieldError {
	n, size, slots := v.Int("messages"), v.Int("size"), v.Int("slots")
	limit, why := maxSegment, "a session's segment may be at most %d bytes"
	if segmentMax > 0 && segmentMax < limit {
		limit, why = segmentMax, "a segment may be at most %d bytes (kernel.shmmax)"
	}
	if slots*size > limit {
		return fieldErr("slots", "%d slots of %d bytes make %d bytes, and "+why+": use fewer slots or smaller messages",
			slots, size, slots*size, limit)
	}
	if ferr := checkDelayBudget("reader_delay_ms", n, v.Int("reader_delay_ms"), 1); ferr != nil {
		return ferr
	}
	return checkBudget(n, size, 1)
}

type shmArgs struct {
	Name          string `json:"name,omitempty"` // POSIX segment
	Key           int    `json:"key,omitempty"`  // System V segment
	SemKey        int    `json:"sem_key,omitempty"`
	Obj           string `json:"obj"`
	SemObj        string `json:"sem_obj,omitempty"`
	Messages      int    `json:"messages"`
	Size          int    `json:"size"`
	Slots         int    `json:"slots"`
	ReaderDelayMS int    `json:"reader_delay_ms"`
	SegSize       int    `json:"seg_size"`
	SemOffset     int    `json:"sem_offset"` // where the futex semaphores start (POSIX)
}

func shmBaseArgs(v Values) shmArgs {
	return shmArgs{Messages: v.Int("messages"), Size: v.Int("size"), Slots: v.Int("slots"),
		ReaderDelayMS: v.Int("reader_delay_ms")}
}

// slotSems is the pair of counting semaphores that guard the ring.
type slotSems interface {
	// take is the P operation on semaphore which, waiting (with block and
	// unblock events) while it is zero; peer is the process that can
	// raise it.
	take(p *Proc, which int, peer string) (blocked bool, err error)
	// give is the V operation.
	give(p *Proc, which int) error
	// value reads a semaphore's value.
	value(which int) int
}

// semText says what each semaphore counts, and why a process waits on it.
var semText = [2]struct{ counts, waits string }{
	{"free slots", "every slot holds a message not read yet: the writer sleeps until the reader frees one"},
	{"slots written and not read", "no slot holds a new message: the reader sleeps until the writer fills one"},
}

// wokenBy names, on a block event, the process whose post can end the
// wait. It is not the event's peer: a semaphore has holders, which the
// server's deadlock detector follows instead.
func wokenBy(peer string) map[string]any { return map[string]any{event.AttrWokenBy: peer} }

// ring is the segment's data area seen as slots.
type ring struct {
	mem         []byte
	obj         string
	slots, size int
	sems        slotSems
	blocked     int
}

// level is how many slots hold a message or are being filled or read:
// those the writer has taken and the reader not yet given back.
func (r *ring) level() *int64 { return event.Int64(int64(r.slots - r.sems.value(semEmpty))) }

func (r *ring) slot(id int64) (int, []byte) {
	off := int((id-1)%int64(r.slots)) * r.size
	return off, r.mem[off : off+r.size]
}

// write fills the next slot with message id: wait for a free slot, store
// the bytes, announce a full one.
func (r *ring) write(p *Proc, id int64) error {
	blocked, err := r.sems.take(p, semEmpty, "reader")
	if err != nil {
		return err
	}
	if blocked {
		r.blocked++
	}
	if err := p.Gate("write", r.obj); err != nil {
		return err
	}
	off, b := r.slot(id)
	fillPayload(b, id)
	p.Emit(event.Event{Kind: event.KindWrite, Obj: r.obj, Bytes: r.size, Msg: id, Offset: event.Int64(int64(off)),
		Data: hex.EncodeToString(b[:min(len(b), shmDataShown)]), Fill: r.level(), Cap: int64(r.slots),
		Attrs: map[string]any{event.AttrSlot: off / r.size}})
	return r.sems.give(p, semFull)
}

// read copies message id out of its slot into buf and checks it is whole:
// wait for a full slot, load the bytes, give the slot back. It reports
// whether the bytes were what the writer stored.
func (r *ring) read(p *Proc, id int64, buf []byte) (bool, error) {
	blocked, err := r.sems.take(p, semFull, "writer")
	if err != nil {
		return false, err
	}
	if blocked {
		r.blocked++
	}
	if err := p.Gate("read", r.obj); err != nil {
		return false, err
	}
	off, b := r.slot(id)
	copy(buf, b)
	got, _ := payloadID(buf)
	want := make([]byte, r.size)
	fillPayload(want, id)
	intact := bytes.Equal(buf, want)
	// The slot just read holds no message any more, though it is given
	// back only after this report: the count is the full slots still
	// waiting for a reader, which no longer includes this one.
	waiting := event.Int64(int64(r.sems.value(semFull)))
	e := event.Event{Kind: event.KindRead, Obj: r.obj, Bytes: r.size, Msg: got, Offset: event.Int64(int64(off)),
		Data: hex.EncodeToString(buf[:min(len(buf), shmDataShown)]), Fill: waiting, Cap: int64(r.slots),
		Attrs: map[string]any{event.AttrSlot: off / r.size}}
	if !intact {
		e.Msg = 0
		e.Text = fmt.Sprintf("slot %d does not hold message %d as the writer stored it", off/r.size, id)
	}
	p.Emit(e)
	return intact, r.sems.give(p, semEmpty)
}

// writeAll writes every message in turn.
func (r *ring) writeAll(p *Proc, n int) error {
	for id := int64(1); id <= int64(n); id++ {
		if err := r.write(p, id); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads every message in turn and counts those that came out
// whole and those that did not.
func (r *ring) readAll(p *Proc, n, delayMS int) (ok, corrupt int, err error) {
	buf := make([]byte, r.size)
	for id := int64(1); id <= int64(n); id++ {
		p.Sleep(time.Duration(delayMS)*time.Millisecond, "a slow reader (reader_delay_ms)")
		intact, err := r.read(p, id, buf)
		if err != nil {
			return ok, corrupt, err
		}
		if intact {
			ok++
		} else {
			corrupt++
		}
	}
	return ok, corrupt, nil
}

// futexSems are two futex semaphores in the segment itself, as sem_t
// would be with sem_init(pshared = 1).
type futexSems struct {
	s      [2]*ipc.FutexSem
	labels [2]string
}

func (f *futexSems) value(which int) int { return f.s[which].Value() }

func (f *futexSems) take(p *Proc, which int, peer string) (bool, error) {
	obj := f.labels[which]
	if err := p.Gate("sem_wait", obj); err != nil {
		return false, err
	}
	s := f.s[which]
	blocked := false
	try := func() (bool, error) {
		err := s.TryWait()
		if errors.Is(err, unix.EAGAIN) {
			blocked = true
			return true, nil
		}
		return false, err
	}
	tmpl := event.Event{Obj: obj, Call: "sem_wait", Text: semText[which].waits, Attrs: wokenBy(peer)}
	if err := p.BlockingAs(tmpl, try, s.Wait); err != nil {
		return blocked, p.Fail("sem_wait", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindWait, Obj: obj, Call: "sem_wait", Value: event.Int64(int64(s.Value())),
		Waiters: event.Int64(int64(s.Waiters())), Attrs: map[string]any{event.AttrCounts: semText[which].counts}})
	return blocked, nil
}

func (f *futexSems) give(p *Proc, which int) error {
	obj := f.labels[which]
	if err := p.Gate("sem_post", obj); err != nil {
		return err
	}
	s := f.s[which]
	woken, err := s.Post()
	if err != nil {
		return p.Fail("sem_post", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindPost, Obj: obj, Call: "sem_post", Value: event.Int64(int64(s.Value())),
		Waiters: event.Int64(int64(s.Waiters())), Attrs: map[string]any{event.AttrCounts: semText[which].counts, event.AttrWoken: woken}})
	return nil
}

// sysvSems are semaphores 0 (empty) and 1 (full) of a System V set.
type sysvSems struct {
	id     int
	labels [2]string
}

func (s *sysvSems) value(which int) int {
	v, _ := ipc.SemGetVal(s.id, which)
	return v
}

func (s *sysvSems) take(p *Proc, which int, peer string) (bool, error) {
	obj := s.labels[which]
	tmpl := event.Event{Obj: obj, Text: semText[which].waits, Attrs: wokenBy(peer)}
	blocked, err := semTake(p, s.id, ipc.Sembuf{Num: uint16(which), Op: -1}, tmpl)
	if err != nil {
		return blocked, err
	}
	v, w := semState(s.id, which)
	p.Emit(event.Event{Kind: event.KindWait, Obj: obj, Call: "semop", Value: v, Waiters: w,
		Attrs: map[string]any{event.AttrCounts: semText[which].counts, event.AttrOp: -1}})
	return blocked, nil
}

func (s *sysvSems) give(p *Proc, which int) error {
	obj := s.labels[which]
	if err := semGive(p, s.id, ipc.Sembuf{Num: uint16(which), Op: 1}, obj); err != nil {
		return err
	}
	v, w := semState(s.id, which)
	p.Emit(event.Event{Kind: event.KindPost, Obj: obj, Call: "semop", Value: v, Waiters: w,
		Attrs: map[string]any{event.AttrCounts: semText[which].counts, event.AttrOp: 1}})
	return nil
}

// shmWriterResult reports the writer's side of the result.
func shmWriterResult(p *Proc, a shmArgs, r *ring) {
	p.Result(map[string]any{"messages_sent": a.Messages, "writer_blocked": r.blocked,
		"segment_bytes": a.SegSize, "slots": a.Slots})
}

// shmReaderResult reports the reader's side: how many messages came out
// whole, and how many did not.
func shmReaderResult(p *Proc, ok, corrupt int, r *ring) {
	p.Result(map[string]any{"messages_received": ok + corrupt, "intact": ok, "corrupt": corrupt,
		"reader_blocked": r.blocked})
}

// readRing reads every message out of the ring, reports the reader's side
// of the result, and unmaps the segment with unmapCall (munmap or shmdt).
func readRing(p *Proc, r *ring, seg *ipc.Segment, a shmArgs, unmapCall string) error {
	ok, corrupt, err := r.readAll(p, a.Messages, a.ReaderDelayMS)
	shmReaderResult(p, ok, corrupt, r)
	if err != nil {
		return err
	}
	if err := unmapShm(p, seg, a.Obj, unmapCall); err != nil {
		return err
	}
	if corrupt > 0 {
		return fmt.Errorf("%d of %d messages did not come out as they went in", corrupt, a.Messages)
	}
	return nil
}

package scenario

import (
	"encoding/json"
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The shm-posix scenario: a writer and a reader share a POSIX shared
// memory object, found by its name. Bytes the writer stores are there for
// the reader with no system call at all; two semaphores kept in the same
// memory say when a slot may be written and when it may be read.

func init() {
	register(&Scenario{
		Name:      "shm-posix",
		Title:     "POSIX shared memory with two semaphores",
		Mechanism: "shm-posix",
		Summary: "The writer creates a shared memory object with shm_open, sizes it with ftruncate and maps it " +
			"with mmap; the reader maps the same object by its name. The memory is a ring of slots. Storing a " +
			"message is plain memory access, so something else must say when a slot is ready: two semaphores " +
			"living in the same memory, \"empty\" (free slots) and \"full\" (slots to read).",
		Watch: "The bytes appear in the segment the moment the writer stores them: no copy through the kernel. " +
			"Before each slot the writer waits on \"empty\" and after it posts \"full\"; the reader does the " +
			"opposite. With few slots and a slow reader, \"empty\" reaches 0 and the writer blocks in sem_wait " +
			"until the reader frees a slot. Without the semaphores the reader could read a half-written slot.",
		Params: shmParams(),
		Check: func(v Values, lim Limits) *FieldError {
			return checkShm(v, 0)
		},
		Plan: func(v Values, env Env) (Plan, error) {
			a := shmBaseArgs(v)
			a.Name = env.Name("ring")
			a.Obj = event.Label(event.ObjKindShm, a.Name)
			// The futex words follow the data, 8-byte aligned, so the
			// segment's first bytes (which the server samples) are the
			// first slot.
			a.SemOffset = (a.Slots*a.Size + 7) &^ 7
			a.SegSize = a.SemOffset + 2*ipc.FutexSemSize
			return Plan{
				Procs: []ProcSpec{
					{Name: "writer", Role: "shm-posix-writer", Args: a},
					{Name: "reader", Role: "shm-posix-reader", Args: a, StartedBy: "writer"},
				},
				Objects: []Object{{Kind: ObjShmPosix, Label: a.Obj, Name: a.Name, Size: a.SegSize}},
			}, nil
		},
	})
	registerRole("shm-posix-writer", shmPosixWriter)
	registerRole("shm-posix-reader", shmPosixReader)
}

// futexLabels name the two semaphores in events.
var futexLabels = [2]string{event.Label(event.ObjKindFutex, "empty"), event.Label(event.ObjKindFutex, "full")}

// shmPosixWriter creates and maps the object, sets up the semaphores,
// starts the reader, writes every message, and removes the object once
// the reader has ended.
func shmPosixWriter(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[shmArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("shm_open", a.Obj); err != nil {
		return err
	}
	seg, err := ipc.CreateShmSegment(a.Name, a.SegSize)
	if err != nil {
		return p.Fail("shm_open", a.Obj, err)
	}
	defer seg.Close()
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "shm_open", Cap: int64(a.Slots), Fill: event.Int64(0),
		Attrs: map[string]any{event.AttrName: a.Name, event.AttrFlags: "O_RDWR|O_CREAT|O_EXCL", event.AttrSize: a.SegSize, event.AttrSlots: a.Slots,
			event.AttrSlotBytes: a.Size, event.AttrCalls: "shm_open, ftruncate, mmap"}})
	sems, err := initFutexSems(p, seg.Bytes(), a)
	if err != nil {
		return err
	}
	c, err := startCrew(p, []string{"reader"})
	if err != nil {
		return p.Fail("fork/exec", a.Obj, err)
	}
	r := &ring{mem: seg.Bytes()[:a.Slots*a.Size], obj: a.Obj, slots: a.Slots, size: a.Size, sems: sems}
	if err := r.writeAll(p, a.Messages); err != nil {
		return err
	}
	c.wait()
	shmWriterResult(p, a, r)
	if err := unmapShm(p, seg, a.Obj, "munmap"); err != nil {
		return err
	}
	if err := p.Gate("shm_unlink", a.Obj); err != nil {
		return err
	}
	if err := ipc.ShmUnlink(a.Name); err != nil {
		return p.Fail("shm_unlink", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: a.Obj, Call: "shm_unlink",
		Text: "the name is gone; the memory is freed when no process has it mapped"})
	return nil
}

// initFutexSems sets up "empty" at the number of slots and "full" at 0,
// before any other process can see them.
func initFutexSems(p *Proc, mem []byte, a shmArgs) (*futexSems, error) {
	if err := p.Gate("sem_init", a.Obj); err != nil {
		return nil, err
	}
	f := &futexSems{labels: futexLabels}
	for i, initial := range []uint32{uint32(a.Slots), 0} {
		off := a.SemOffset + i*ipc.FutexSemSize
		s, err := ipc.NewFutexSem(mem[off:off+ipc.FutexSemSize], initial)
		if err != nil {
			return nil, p.Fail("sem_init", f.labels[i], err)
		}
		f.s[i] = s
		p.Emit(event.Event{Kind: event.KindOpen, Obj: f.labels[i], Call: "sem_init", Value: event.Int64(int64(initial)),
			Waiters: event.Int64(0), Attrs: map[string]any{event.AttrIn: a.Obj, event.AttrOffset: off, event.AttrCounts: semText[i].counts}})
	}
	return f, nil
}

// futexSemsAt uses the semaphores the writer set up.
func futexSemsAt(p *Proc, mem []byte, a shmArgs) (*futexSems, error) {
	f := &futexSems{labels: futexLabels}
	for i := range f.s {
		off := a.SemOffset + i*ipc.FutexSemSize
		if off+ipc.FutexSemSize > len(mem) {
			return nil, p.Fail("mmap", a.Obj, fmt.Errorf("the segment is %d bytes, too small for its semaphores", len(mem)))
		}
		s, err := ipc.FutexSemAt(mem[off : off+ipc.FutexSemSize])
		if err != nil {
			return nil, p.Fail("mmap", a.Obj, err)
		}
		f.s[i] = s
	}
	return f, nil
}

// unmapShm releases this process's mapping or attachment.
func unmapShm(p *Proc, seg *ipc.Segment, obj, call string) error {
	if err := p.Gate(call, obj); err != nil {
		return err
	}
	p.Emit(event.Event{Kind: event.KindClose, Obj: obj, Call: call})
	if err := seg.Close(); err != nil {
		return p.Fail(call, obj, err)
	}
	return nil
}

// shmPosixReader maps the object by its name and reads every message.
func shmPosixReader(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[shmArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("shm_open", a.Obj); err != nil {
		return err
	}
	seg, err := ipc.OpenShmSegment(a.Name)
	if err != nil {
		return p.Fail("shm_open", a.Obj, err)
	}
	defer seg.Close()
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "shm_open",
		Attrs: map[string]any{event.AttrName: a.Name, event.AttrFlags: "O_RDWR", event.AttrSize: len(seg.Bytes()), event.AttrCalls: "shm_open, mmap"}})
	sems, err := futexSemsAt(p, seg.Bytes(), a)
	if err != nil {
		return err
	}
	r := &ring{mem: seg.Bytes()[:a.Slots*a.Size], obj: a.Obj, slots: a.Slots, size: a.Size, sems: sems}
	return readRing(p, r, seg, a, "munmap")
}

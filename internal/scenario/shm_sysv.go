package scenario

import (
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The shm-sysv scenario: the same ring of slots as shm-posix, in a System V
// segment found by a numeric key, guarded by a System V semaphore set of
// two: semaphore 0 counts free slots, semaphore 1 slots to read.

func init() {
	register(&Scenario{
		Name:      "shm-sysv",
		Title:     "System V shared memory with a semaphore set",
		Mechanism: "shm-sysv",
		Summary: "The writer creates a System V shared memory segment with shmget, from a numeric key, and " +
			"attaches it with shmat; it also creates a set of two semaphores with semget. The reader finds both " +
			"by their keys. The segment is a ring of slots; semaphore 0 counts free slots, semaphore 1 slots " +
			"waiting to be read.",
		Watch: "Stores into the segment are plain memory access, seen by the reader at once. Each slot is " +
			"guarded by semop calls: the writer takes a free slot (semaphore 0 minus 1) and announces a full one " +
			"(semaphore 1 plus 1); the reader does the opposite. With few slots and a slow reader, semaphore 0 " +
			"reaches 0 and the writer blocks in semop. ipcs -m and ipcs -s list the segment and the set while " +
			"the session runs.",
		Params: shmParams(),
		Check: func(v Values, lim Limits) *FieldError {
			return checkShm(v, readInt("/proc/sys/kernel/shmmax"))
		},
		Plan: func(v Values, env Env) (Plan, error) {
			a := shmBaseArgs(v)
			a.Key, a.SemKey = env.Key(), env.Key()
			for a.SemKey == a.Key {
				a.SemKey = env.Key()
			}
			a.Obj = syncKeyLabel(event.ObjKindShm, a.Key)
			a.SemObj = syncKeyLabel(event.ObjKindSem, a.SemKey)
			a.SegSize = a.Slots * a.Size
			return Plan{
				Procs: []ProcSpec{
					{Name: "writer", Role: "shm-sysv-writer", Args: a},
					{Name: "reader", Role: "shm-sysv-reader", Args: a, StartedBy: "writer"},
				},
				Objects: []Object{
					{Kind: ObjShmSysV, Label: a.Obj, Key: a.Key, Size: a.SegSize},
					{Kind: ObjSemSysV, Label: a.SemObj, Key: a.SemKey, Size: 2},
				},
			}, nil
		},
	})
	registerRole("shm-sysv-writer", shmSysvWriter)
	registerRole("shm-sysv-reader", shmSysvReader)
}

func sysvSemLabels(a shmArgs) [2]string {
	return [2]string{SemLabel(a.SemObj, semEmpty, 2), SemLabel(a.SemObj, semFull, 2)}
}

// shmSysvWriter creates the segment and the semaphore set, starts the
// reader, writes every message and removes both once the reader has ended.
func shmSysvWriter(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[shmArgs](raw)
	if err != nil {
		return err
	}
	seg, shmID, err := createSysvSegment(p, a)
	if err != nil {
		return err
	}
	defer seg.Close()
	sems, err := createSysvSems(p, a)
	if err != nil {
		return err
	}
	c, err := startCrew(p, []string{"reader"})
	if err != nil {
		return p.Fail("fork/exec", a.Obj, err)
	}
	r := &ring{mem: seg.Bytes()[:a.SegSize], obj: a.Obj, slots: a.Slots, size: a.Size, sems: sems}
	if err := r.writeAll(p, a.Messages); err != nil {
		return err
	}
	c.wait()
	shmWriterResult(p, a, r)
	if err := unmapShm(p, seg, a.Obj, "shmdt"); err != nil {
		return err
	}
	if err := removeSysv(p, a.Obj, "shmctl IPC_RMID", func() error { return ipc.ShmRemove(shmID) }); err != nil {
		return err
	}
	if err := removeSysv(p, a.SemObj, "semctl IPC_RMID", func() error { return ipc.SemRemove(sems.id) }); err != nil {
		return err
	}
	return nil
}

func createSysvSegment(p *Proc, a shmArgs) (*ipc.Segment, int, error) {
	if err := p.Gate("shmget", a.Obj); err != nil {
		return nil, -1, err
	}
	id, err := ipc.Shmget(a.Key, a.SegSize, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, -1, p.Fail("shmget", a.Obj, err)
	}
	seg, err := ipc.AttachSysvSegment(id)
	if err != nil {
		return nil, id, p.Fail("shmat", a.Obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "shmget", Cap: int64(a.Slots), Fill: event.Int64(0),
		Attrs: map[string]any{event.AttrKey: fmt.Sprintf("0x%08x", a.Key), event.AttrID: id, event.AttrFlags: "IPC_CREAT|IPC_EXCL|0600",
			event.AttrSize: a.SegSize, event.AttrSlots: a.Slots, event.AttrSlotBytes: a.Size, event.AttrCalls: "shmget, shmat"}})
	return seg, id, nil
}

// createSysvSems creates the set and sets semaphore 0 to the number of
// slots; semget leaves both at 0.
func createSysvSems(p *Proc, a shmArgs) (*sysvSems, error) {
	if err := p.Gate("semget", a.SemObj); err != nil {
		return nil, err
	}
	id, err := ipc.Semget(a.SemKey, 2, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, p.Fail("semget", a.SemObj, err)
	}
	s := &sysvSems{id: id, labels: sysvSemLabels(a)}
	if err := ipc.SemSetVal(id, semEmpty, a.Slots); err != nil {
		return nil, p.Fail("semctl SETVAL", s.labels[semEmpty], err)
	}
	for i := range s.labels {
		v, w := semState(id, i)
		p.Emit(event.Event{Kind: event.KindOpen, Obj: s.labels[i], Call: "semget", Value: v, Waiters: w,
			Attrs: map[string]any{event.AttrKey: fmt.Sprintf("0x%08x", a.SemKey), event.AttrID: id, event.AttrNum: i, event.AttrCounts: semText[i].counts}})
	}
	return s, nil
}

func removeSysv(p *Proc, obj, call string, remove func() error) error {
	if err := p.Gate(call, obj); err != nil {
		return err
	}
	if err := remove(); err != nil {
		return p.Fail(call, obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: obj, Call: call})
	return nil
}

// shmSysvReader finds the segment and the set by their keys, attaches the
// segment and reads every message.
func shmSysvReader(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[shmArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("shmget", a.Obj); err != nil {
		return err
	}
	shmID, err := ipc.Shmget(a.Key, 0, 0)
	if err != nil {
		return p.Fail("shmget", a.Obj, err)
	}
	seg, err := ipc.AttachSysvSegment(shmID)
	if err != nil {
		return p.Fail("shmat", a.Obj, err)
	}
	defer seg.Close()
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.Obj, Call: "shmget",
		Attrs: map[string]any{event.AttrKey: fmt.Sprintf("0x%08x", a.Key), event.AttrID: shmID, event.AttrSize: len(seg.Bytes()), event.AttrCalls: "shmget, shmat"}})
	if err := p.Gate("semget", a.SemObj); err != nil {
		return err
	}
	semID, err := ipc.Semget(a.SemKey, 0, 0)
	if err != nil {
		return p.Fail("semget", a.SemObj, err)
	}
	sems := &sysvSems{id: semID, labels: sysvSemLabels(a)}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: a.SemObj, Call: "semget",
		Attrs: map[string]any{event.AttrKey: fmt.Sprintf("0x%08x", a.SemKey), event.AttrID: semID}})
	if len(seg.Bytes()) < a.SegSize {
		return p.Fail("shmat", a.Obj, fmt.Errorf("the segment is %d bytes, not %d", len(seg.Bytes()), a.SegSize))
	}
	r := &ring{mem: seg.Bytes()[:a.SegSize], obj: a.Obj, slots: a.Slots, size: a.Size, sems: sems}
	return readRing(p, r, seg, a, "shmdt")
}

package scenario

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The semaphore scenario: a traffic light. A parent makes a System V
// semaphore whose value is the number of permits, then starts the workers.
// Each worker takes a permit (P), stays inside for a while, and gives it
// back (V), a few rounds over; whoever finds no permit left sleeps in the
// kernel until one comes back. A shared counter in shared memory records how
// many are inside, so the result says, from the processes themselves, that
// never more than the permits were.

func init() {
	register(&Scenario{
		Name:      "semaphore",
		Title:     "Semaphore: a traffic light for processes",
		Mechanism: "semaphore",
		Summary: "A semaphore is a number the kernel keeps: here, how many permits are free. A process " +
			"takes one with P (the number goes down) and gives it back with V (it goes up). When the " +
			"number is zero, P puts the process to sleep until someone gives a permit back.",
		Watch: "The light's number drops as processes go in and rises as they come out. With fewer " +
			"permits than processes, the rest queue in front of it: the kernel counts them (waiters) and " +
			"wakes one each time a permit comes back. The counter of processes inside never goes above " +
			"the permits.",
		Params: []Param{
			intParam("processes", 4, 2, 8, "", "How many processes want to get in."),
			intParam("permits", 2, 1, 4, "", "How many may be inside at once: the semaphore's starting value."),
			intParam("rounds", 3, 1, 20, "", "How many times each process goes in and comes out."),
			intParam("hold_ms", 300, 0, 2000, "ms", "How long a process stays inside, holding its permit."),
		},
		Check: checkSemaphore,
		Plan:  planSemaphore,
	})
	registerRole("semaphore-parent", semaphoreParent)
	registerRole("semaphore-worker", semaphoreWorker)
}

// semaphoreBusy bounds how long the permits may be kept busy, so that every
// valid session ends well within the server's time limit.
const semaphoreBusy = 60 * time.Second

func checkSemaphore(v Values, _ Limits) *FieldError {
	busy := time.Duration(v.Int("processes")*v.Int("rounds")*v.Int("hold_ms")/v.Int("permits")) * time.Millisecond
	if busy > semaphoreBusy {
		return fieldErr("hold_ms", "%d processes × %d rounds × %d ms with %d permits would keep the light busy for %v; a session may keep it busy at most %v: hold for less or make fewer rounds",
			v.Int("processes"), v.Int("rounds"), v.Int("hold_ms"), v.Int("permits"), busy.Round(time.Second), semaphoreBusy)
	}
	return nil
}

// Shared memory of the semaphore scenario: int64 slots.
const (
	lightInside  = 0  // processes inside now (the sampled counter)
	lightEntries = 8  // P operations completed, by everyone
	lightBlocked = 16 // P operations that had to sleep
	lightMaxes   = 24 // from here, one slot per worker: the most it saw inside
	lightShmSize = 128
)

type semaphoreArgs struct {
	Key       int    `json:"key"`
	Obj       string `json:"obj"`
	Shm       string `json:"shm"`
	ShmObj    string `json:"shm_obj"`
	Processes int    `json:"processes"`
	Permits   int    `json:"permits"`
	Rounds    int    `json:"rounds"`
	HoldMS    int    `json:"hold_ms"`
	Index     int    `json:"index"` // 1-based; 0 for the parent
}

func planSemaphore(v Values, env Env) (Plan, error) {
	key, shm := env.Key(), env.Name("light")
	a := semaphoreArgs{Key: key, Obj: syncKeyLabel(event.ObjKindSem, key), Shm: shm, ShmObj: event.Label(event.ObjKindShm, shm),
		Processes: v.Int("processes"), Permits: v.Int("permits"), Rounds: v.Int("rounds"), HoldMS: v.Int("hold_ms")}
	procs := []ProcSpec{{Name: "parent", Role: "semaphore-parent", Args: a}}
	for i := 1; i <= a.Processes; i++ {
		w := a
		w.Index = i
		procs = append(procs, ProcSpec{Name: syncWorkerName(i), Role: "semaphore-worker", Args: w, StartedBy: "parent"})
	}
	return Plan{Procs: procs, Objects: []Object{
		{Kind: ObjSemSysV, Label: a.Obj, Key: key, Size: 1},
		{Kind: ObjShmPosix, Label: a.ShmObj, Name: shm, Size: lightShmSize, Counter: true},
	}}, nil
}

// syncKeyLabel labels a System V object by its key, as the server shows keys.
func syncKeyLabel(kind string, key int) string { return event.Label(kind, fmt.Sprintf("0x%08x", key)) }

func syncWorkerName(i int) string { return fmt.Sprintf("worker-%d", i) }

// semaphoreParent makes the semaphore and the shared counter, starts the
// workers, waits for them, reads what they recorded and removes both
// objects.
func semaphoreParent(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[semaphoreArgs](raw)
	if err != nil {
		return err
	}
	set, err := syncCreateSemSet(p, a.Key, 1, a.Obj, a.Permits)
	if err != nil {
		return err
	}
	seg, err := syncCreateShm(p, a.Shm, a.ShmObj, lightShmSize)
	if err != nil {
		return err
	}
	defer seg.Close()
	werr := syncSpawnWorkers(p, a.Processes, nil)
	if err := lightResult(p, a, seg.Bytes()); err != nil {
		return err
	}
	if err := set.remove(); err != nil {
		return err
	}
	if err := syncUnlinkShm(p, a.Shm, a.ShmObj); err != nil {
		return err
	}
	return werr
}

// syncSpawnWorkers starts worker-1..worker-n, each with the files files(i)
// gives (none if files is nil), then reaps them all and reports how each
// ended. It returns an error if one failed.
func syncSpawnWorkers(p *Proc, n int, files func(i int) []*os.File) error {
	var kids []Child
	var err error
	for i := 1; i <= n && err == nil; i++ {
		var fs []*os.File
		if files != nil {
			fs = files(i)
		}
		var c Child
		if c, err = p.Spawn(syncWorkerName(i), fs); err == nil {
			kids = append(kids, c)
		}
	}
	if err != nil {
		err = p.Fail("fork/exec", "", err)
	}
	for i, c := range kids {
		code, sig, werr := p.WaitFor(syncWorkerName(i+1), c)
		p.Emit(exitEvent(syncWorkerName(i+1), c.PID(), code, sig))
		switch {
		case werr != nil && err == nil:
			err = fmt.Errorf("wait for %s: %w", syncWorkerName(i+1), werr)
		case (code != 0 || sig != "") && err == nil:
			err = fmt.Errorf("%s ended with code %d %s", syncWorkerName(i+1), code, sig)
		}
	}
	return err
}

// lightResult reads the workers' records from shared memory.
func lightResult(p *Proc, a semaphoreArgs, mem []byte) error {
	maxInside := int64(0)
	for i := 1; i <= a.Processes; i++ {
		m, err := ipc.SharedInt64At(mem[lightMaxes+8*(i-1):])
		if err != nil {
			return err
		}
		maxInside = max(maxInside, m.Load())
	}
	entries, err := ipc.SharedInt64At(mem[lightEntries:])
	if err != nil {
		return err
	}
	blocked, err := ipc.SharedInt64At(mem[lightBlocked:])
	if err != nil {
		return err
	}
	p.Result(map[string]any{"max_inside": maxInside, "permits": a.Permits, "rounds": a.Rounds,
		"entries": entries.Load(), "blocked": blocked.Load()})
	return nil
}

// lightWorker is one worker's view of the shared counters.
type lightWorker struct {
	inside, entries, blocked, most *ipc.SharedInt64
}

func newLightWorker(mem []byte, index int) (*lightWorker, error) {
	var w lightWorker
	for _, f := range []struct {
		dst **ipc.SharedInt64
		off int
	}{{&w.inside, lightInside}, {&w.entries, lightEntries}, {&w.blocked, lightBlocked}, {&w.most, lightMaxes + 8*(index-1)}} {
		c, err := ipc.SharedInt64At(mem[f.off:])
		if err != nil {
			return nil, err
		}
		*f.dst = c
	}
	return &w, nil
}

// semaphoreWorker goes in and out of the light a few rounds.
func semaphoreWorker(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[semaphoreArgs](raw)
	if err != nil {
		return err
	}
	set, err := syncOpenSemSet(p, a.Key, 1, a.Obj)
	if err != nil {
		return err
	}
	seg, err := syncOpenShm(p, a.Shm, a.ShmObj)
	if err != nil {
		return err
	}
	defer seg.Close()
	w, err := newLightWorker(seg.Bytes(), a.Index)
	if err != nil {
		return err
	}
	for round := 1; round <= a.Rounds; round++ {
		if err := w.enter(p, set, a, round); err != nil {
			return err
		}
		p.Sleep(time.Duration(a.HoldMS)*time.Millisecond, "works inside the critical section (hold_ms)")
		if err := w.leave(set, round); err != nil {
			return err
		}
	}
	return nil
}

// enter takes a permit and counts itself in.
func (w *lightWorker) enter(p *Proc, set *sysvSemSet, a semaphoreArgs, round int) error {
	blocked, err := set.take(0)
	if err != nil {
		return err
	}
	inside := w.inside.Add(1)
	w.entries.Add(1)
	if blocked {
		w.blocked.Add(1)
	}
	if inside > w.most.Load() {
		w.most.Store(inside) // only this worker writes its slot
	}
	set.report(event.KindWait, 0, map[string]any{event.AttrInside: inside, event.AttrRound: round})
	if inside > int64(a.Permits) {
		return p.Fail("semop", set.label, fmt.Errorf("%d processes inside with only %d permits", inside, a.Permits))
	}
	return nil
}

// leave counts itself out, then gives the permit back: in that order, so the
// counter is never above the permits.
func (w *lightWorker) leave(set *sysvSemSet, round int) error {
	inside := w.inside.Add(-1)
	if err := set.give(0); err != nil {
		return err
	}
	set.report(event.KindPost, 0, map[string]any{event.AttrInside: inside, event.AttrRound: round})
	return nil
}

// sysvSemSet is a System V semaphore set as roles use it: P and V with
// SEM_UNDO, each one gated, with block and unblock events exactly when the
// kernel makes P wait.
type sysvSemSet struct {
	p     *Proc
	id    int
	label string // the set's label; SemLabel names each semaphore
	size  int
}

func (s *sysvSemSet) obj(n int) string { return SemLabel(s.label, n, s.size) }

// syncCreateSemSet makes a new set of size semaphores, each set to value.
func syncCreateSemSet(p *Proc, key, size int, label string, value int) (*sysvSemSet, error) {
	if err := p.Gate("semget", label); err != nil {
		return nil, err
	}
	id, err := ipc.Semget(key, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, p.Fail("semget", label, err)
	}
	s := &sysvSemSet{p: p, id: id, label: label, size: size}
	for n := range size {
		// A new set starts at zero; until this call a P would sleep.
		if err := ipc.SemSetVal(id, n, value); err != nil {
			_ = ipc.SemRemove(id)
			return nil, p.Fail("semctl SETVAL", s.obj(n), err)
		}
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: label, Call: "semget", Value: event.Int64(int64(value)),
		Cap: int64(value), Attrs: map[string]any{event.AttrID: id, event.AttrSemaphores: size, event.AttrCreated: true, event.AttrUndo: true}})
	return s, nil
}

// syncOpenSemSet opens a set another process made.
func syncOpenSemSet(p *Proc, key, size int, label string) (*sysvSemSet, error) {
	if err := p.Gate("semget", label); err != nil {
		return nil, err
	}
	id, err := ipc.Semget(key, size, 0)
	if err != nil {
		return nil, p.Fail("semget", label, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: label, Call: "semget", Attrs: map[string]any{event.AttrID: id, event.AttrSemaphores: size}})
	return &sysvSemSet{p: p, id: id, label: label, size: size}, nil
}

// take makes P on semaphore n: subtract one, undone by the kernel if the
// process dies. It says whether the process had to wait.
func (s *sysvSemSet) take(n int) (bool, error) {
	return semTake(s.p, s.id, ipc.Sembuf{Num: uint16(n), Op: -1, Flg: ipc.SemUndo}, event.Event{Obj: s.obj(n)})
}

// give makes V on semaphore n: add one, with SEM_UNDO so that it cancels
// the undo its P recorded.
func (s *sysvSemSet) give(n int) error {
	return semGive(s.p, s.id, ipc.Sembuf{Num: uint16(n), Op: 1, Flg: ipc.SemUndo}, s.obj(n))
}

// report sends a wait or post event for semaphore n with the value and the
// waiter count the kernel gives right after the operation.
func (s *sysvSemSet) report(kind string, n int, attrs map[string]any) {
	v, w := semState(s.id, n)
	s.p.Emit(event.Event{Kind: kind, Obj: s.obj(n), Call: "semop", Value: v, Waiters: w, Attrs: attrs})
}

// remove removes the set.
func (s *sysvSemSet) remove() error {
	if err := s.p.Gate("semctl IPC_RMID", s.label); err != nil {
		return err
	}
	if err := ipc.SemRemove(s.id); err != nil {
		return s.p.Fail("semctl IPC_RMID", s.label, err)
	}
	s.p.Emit(event.Event{Kind: event.KindUnlink, Obj: s.label, Call: "semctl IPC_RMID"})
	return nil
}

// syncCreateShm makes a new POSIX shared memory object of size bytes,
// all zero, and maps it.
func syncCreateShm(p *Proc, name, obj string, size int) (*ipc.Segment, error) {
	if err := p.Gate("shm_open", obj); err != nil {
		return nil, err
	}
	seg, err := ipc.CreateShmSegment(name, size)
	if err != nil {
		return nil, p.Fail("shm_open", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: obj, Call: "shm_open", Cap: int64(size), Value: event.Int64(0),
		Attrs: map[string]any{event.AttrSize: size, event.AttrCreated: true}})
	return seg, nil
}

// syncOpenShm maps an object another process made.
func syncOpenShm(p *Proc, name, obj string) (*ipc.Segment, error) {
	if err := p.Gate("shm_open", obj); err != nil {
		return nil, err
	}
	seg, err := ipc.OpenShmSegment(name)
	if err != nil {
		return nil, p.Fail("shm_open", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindOpen, Obj: obj, Call: "shm_open", Cap: int64(len(seg.Bytes())),
		Attrs: map[string]any{event.AttrSize: len(seg.Bytes())}})
	return seg, nil
}

// syncUnlinkShm removes the name of a shared memory object.
func syncUnlinkShm(p *Proc, name, obj string) error {
	if err := p.Gate("shm_unlink", obj); err != nil {
		return err
	}
	if err := ipc.ShmUnlink(name); err != nil {
		return p.Fail("shm_unlink", obj, err)
	}
	p.Emit(event.Event{Kind: event.KindUnlink, Obj: obj, Call: "shm_unlink"})
	return nil
}

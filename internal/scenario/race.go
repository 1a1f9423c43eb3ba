package scenario

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The race scenario: several processes add one to the same counter in
// shared memory, many times. Adding one is a load, then a store of the value
// plus one; when two processes load the same value, one of the two updates
// is lost. The fixes make the load and store one indivisible step: a System
// V semaphore or a futex mutex around them, or a single atomic instruction.
// A parent makes the shared memory (and the semaphore), starts the workers
// and, once they have all exited, reads the counter: that is the result.
// The workers meet at a start line before their loops, so that the loops
// overlap even though the processes take different times to start.

func init() {
	register(&Scenario{
		Name:      "race",
		Title:     "Race condition: a shared counter loses updates",
		Mechanism: "race",
		Summary: "Every worker adds 1 to a counter in shared memory, again and again. Adding 1 takes two " +
			"steps: read the counter, then write back what was read plus one. If another worker writes in " +
			"between, its update is overwritten and lost. A lock (a semaphore or a futex mutex) or an " +
			"atomic instruction makes the two steps one.",
		Watch: "With sync \"none\" the final count falls short of workers × increments: the difference is " +
			"the updates lost. In step mode, let two workers read before either writes: both read the same " +
			"value and write the same value, and one addition vanishes. Every fix gives the exact total.",
		Params: []Param{
			intParam("workers", 4, 2, 8, "", "How many processes add to the counter at the same time."),
			intParam("increments", 100000, 1, 1000000, "",
				"How many times each worker adds 1. In slow or step pace, keep it small: every read and every write waits its turn."),
			choiceParam("sync", "none", []string{"none", "semaphore", "futex", "atomic"},
				"How the read and the write are kept together: none (the race), a System V semaphore, a futex mutex, or an atomic add."),
		},
		Check: checkRace,
		Plan:  planRace,
	})
	registerRole("race-parent", raceParent)
	registerRole("race-worker", raceWorker)
}

const (
	// raceSemBudget bounds the increments of a session that takes and
	// releases a System V semaphore around each one: two system calls
	// each, and a sleep and a wake-up whenever it is taken. A million
	// take about ten seconds on two cores.
	raceSemBudget = 1000000
	// raceDetail is the most increments, all workers together, for which
	// every read and write is its own event.
	raceDetail = 200
)

func checkRace(v Values, _ Limits) *FieldError {
	total := v.Int("workers") * v.Int("increments")
	if v.Str("sync") == "semaphore" && total > raceSemBudget {
		return fieldErr("increments", "%d workers × %d increments take the semaphore %d times; a session may take it at most %d times: add fewer times",
			v.Int("workers"), v.Int("increments"), total, raceSemBudget)
	}
	return nil
}

// Shared memory of the race: int64 slots, then the futex mutex's word.
const (
	raceCounter = 0  // the counter itself (the sampled value)
	raceSleeps  = 16 // times a worker found the lock taken
	raceMutex   = 24 // the futex mutex, 4 bytes
	raceStart   = 32 // the start line: a futex semaphore, 8 bytes
	raceArrived = 40 // workers at the start line
	raceRunning = 48 // workers running again after it
	raceShmSize = 64
)

type raceArgs struct {
	Workers    int    `json:"workers"`
	Increments int    `json:"increments"`
	Sync       string `json:"sync"`
	Shm        string `json:"shm"`
	ShmObj     string `json:"shm_obj"`
	Key        int    `json:"key,omitempty"`
	LockObj    string `json:"lock_obj,omitempty"`
	Detail     bool   `json:"detail"` // an event for every read and write
}

func planRace(v Values, env Env) (Plan, error) {
	shm := env.Name("counter")
	a := raceArgs{Workers: v.Int("workers"), Increments: v.Int("increments"), Sync: v.Str("sync"),
		Shm: shm, ShmObj: event.Label(event.ObjKindShm, shm)}
	a.Detail = a.Workers*a.Increments <= raceDetail
	objs := []Object{{Kind: ObjShmPosix, Label: a.ShmObj, Name: shm, Size: raceShmSize, Counter: true}}
	switch a.Sync {
	case "semaphore":
		a.Key = env.Key()
		a.LockObj = syncKeyLabel(event.ObjKindSem, a.Key)
		objs = append(objs, Object{Kind: ObjSemSysV, Label: a.LockObj, Key: a.Key, Size: 1})
	case "futex":
		a.LockObj = event.Label(event.ObjKindFutex, "lock")
	}
	procs := []ProcSpec{{Name: "parent", Role: "race-parent", Args: a}}
	for i := 1; i <= a.Workers; i++ {
		procs = append(procs, ProcSpec{Name: syncWorkerName(i), Role: "race-worker", Args: a, StartedBy: "parent"})
	}
	return Plan{Procs: procs, Objects: objs}, nil
}

// raceParent makes the counter (zero, like all new shared memory; the
// futex words in it start free too) and the semaphore if there is one,
// starts the workers, and reads the counter once they have all exited.
func raceParent(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[raceArgs](raw)
	if err != nil {
		return err
	}
	seg, err := syncCreateShm(p, a.Shm, a.ShmObj, raceShmSize)
	if err != nil {
		return err
	}
	defer seg.Close()
	var set *sysvSemSet
	if a.Sync == "semaphore" {
		if set, err = syncCreateSemSet(p, a.Key, 1, a.LockObj, 1); err != nil {
			return err
		}
	}
	werr := syncSpawnWorkers(p, a.Workers, nil)
	if err := raceResult(p, a, seg.Bytes()); err != nil {
		return err
	}
	if err := syncUnlinkShm(p, a.Shm, a.ShmObj); err != nil {
		return err
	}
	if set != nil {
		if err := set.remove(); err != nil {
			return err
		}
	}
	return werr
}

// raceResult reads the counter, which nobody changes any more.
func raceResult(p *Proc, a raceArgs, mem []byte) error {
	counter, err := ipc.SharedInt64At(mem[raceCounter:])
	if err != nil {
		return err
	}
	sleeps, err := ipc.SharedInt64At(mem[raceSleeps:])
	if err != nil {
		return err
	}
	actual := counter.Load()
	expected := int64(a.Workers) * int64(a.Increments)
	res := map[string]any{"expected": expected, "actual": actual, "lost": expected - actual, "sync": a.Sync}
	if a.LockObj != "" {
		res["lock_waits"] = sleeps.Load()
	}
	p.Result(res)
	// The parent's own read of the counter: the number the result reports,
	// and the bytes the page shows in the segment.
	p.Emit(counterEvent(event.KindRead, a.ShmObj, actual))
	p.Emit(event.Event{Kind: event.KindNote, Obj: a.ShmObj, Value: event.Int64(actual),
		Text: fmt.Sprintf("Every worker has exited. The counter reads %d after %d additions: %d lost.", actual, expected, expected-actual)})
	return nil
}

// racer is one worker of the race.
type racer struct {
	p             *Proc
	a             raceArgs
	counter       *ipc.SharedInt64
	lock          *raceLock // nil for none and atomic
	progressEvery int
	slept         int64
	reported      bool // a store that lost others' updates was reported
}

// raceLock is the lock around the load and store: how to try it, wait for
// it, release it and read its state.
type raceLock struct {
	obj, call, unlockCall string
	try                   func() error // EAGAIN when another holds it
	wait                  func() error
	release               func() error
	value                 func() (value, waiters *int64)
}

func raceWorker(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[raceArgs](raw)
	if err != nil {
		return err
	}
	// Someone stepping through the loop wants to see every read and
	// write, however many there are.
	a.Detail = a.Detail || p.Pace() == "step"
	seg, err := syncOpenShm(p, a.Shm, a.ShmObj)
	if err != nil {
		return err
	}
	defer seg.Close()
	r, err := newRacer(p, a, seg.Bytes())
	if err != nil {
		return err
	}
	racePin(p)
	if err := raceStartLine(p, a, seg.Bytes()); err != nil {
		return err
	}
	if err := raceTogether(a, seg.Bytes()); err != nil {
		return err
	}
	for i := 1; i <= a.Increments; i++ {
		if err := r.increment(); err != nil {
			return err
		}
		r.progress(i)
	}
	sleeps, err := ipc.SharedInt64At(seg.Bytes()[raceSleeps:])
	if err != nil {
		return err
	}
	sleeps.Add(r.slept)
	return nil
}

func newRacer(p *Proc, a raceArgs, mem []byte) (*racer, error) {
	r := &racer{p: p, a: a, progressEvery: max(1, a.Increments/10)}
	var err error
	if r.counter, err = ipc.SharedInt64At(mem[raceCounter:]); err != nil {
		return nil, err
	}
	switch a.Sync {
	case "semaphore":
		r.lock, err = raceSemLock(p, a)
	case "futex":
		r.lock, err = raceFutexLock(mem[raceMutex:], a.LockObj)
	}
	return r, err
}

// raceStartLine holds each worker until all have arrived: the last one to
// arrive posts the futex semaphore once for each of the others, and they
// all start at once. A process takes milliseconds to start, more than a
// short loop of additions lasts; without this the loops would barely
// overlap.
func raceStartLine(p *Proc, a raceArgs, mem []byte) error {
	obj := event.Label(event.ObjKindFutex, "start")
	start, err := ipc.FutexSemAt(mem[raceStart:])
	if err != nil {
		return err
	}
	arrived, err := ipc.SharedInt64At(mem[raceArrived:])
	if err != nil {
		return err
	}
	if n := arrived.Add(1); n == int64(a.Workers) {
		p.Note("%s is the last of %d workers at the start line: everyone goes.", p.Name, a.Workers)
		for range a.Workers - 1 {
			if _, err := start.Post(); err != nil {
				return p.Fail("sem_post", obj, err)
			}
		}
		return nil
	}
	try := func() (bool, error) {
		err := start.TryWait()
		if errors.Is(err, unix.EAGAIN) {
			return true, nil
		}
		return false, err
	}
	// Marked as the start line: it is no lock of the race, and the page
	// keeps its wait out of the blocks it counts.
	wait := event.Event{Call: "sem_wait", Obj: obj, Text: p.Name + " waits at the start line until every worker has arrived",
		Attrs: map[string]any{event.AttrPurpose: "start_line"}}
	if err := p.BlockingAs(wait, try, start.Wait); err != nil {
		return p.Fail("sem_wait", obj, err)
	}
	return nil
}

// racePin keeps this worker on one CPU of those the process may use, a
// different one for each worker in turn (sched_setaffinity), and says so.
// Left to itself, the kernel often wakes a worker on the CPU of the worker
// that woke it at the start line, and two workers sharing a CPU take turns
// in time slices longer than their loops: their additions never
// interleave, and nothing is lost. Pinned, the loops run at the same time
// on different CPUs. With one CPU, or if the kernel refuses, the worker
// runs wherever it is put, as any process does.
func racePin(p *Proc) {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return
	}
	var cpus []int
	for c := 0; c < len(allowed)*64; c++ {
		if allowed.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	n, err := strconv.Atoi(strings.TrimPrefix(p.Name, "worker-"))
	if len(cpus) < 2 || err != nil || n < 1 {
		return
	}
	cpu := cpus[(n-1)%len(cpus)]
	// The affinity is the thread's: the loop must stay on this thread, to
	// the end of the role.
	runtime.LockOSThread()
	var one unix.CPUSet
	one.Set(cpu)
	if unix.SchedSetaffinity(0, &one) != nil {
		return
	}
	p.Note("%s runs on CPU %d only (sched_setaffinity), so that the workers' loops run at the same time on different CPUs.", p.Name, cpu)
}

// raceTogether holds a worker past the start line until every worker is
// running again, or a second has passed. The start line's last worker never
// sleeps, while the others must first be woken and then given a CPU, which
// on a busy machine can take longer than a short loop lasts: the last one
// would be done before the others began, and the race would lose nothing.
// So each worker checks in and looks for the others until all have. This
// wait makes no IPC call a student needs to
// see: the counter in shared memory is read and written as plain memory.
func raceTogether(a raceArgs, mem []byte) error {
	running, err := ipc.SharedInt64At(mem[raceRunning:])
	if err != nil {
		return err
	}
	running.Add(1)
	// With a CPU for each worker, the looks are back to back, so that all
	// leave within a moment of the last one's check-in; with fewer, each
	// look gives its CPU away for a few microseconds.
	spin := a.Workers <= runtime.NumCPU()
	for limit := time.Now().Add(time.Second); running.Load() < int64(a.Workers) && time.Now().Before(limit); {
		if !spin {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return nil
}

// raceSemLock opens the semaphore the parent made, free (value 1).
func raceSemLock(p *Proc, a raceArgs) (*raceLock, error) {
	set, err := syncOpenSemSet(p, a.Key, 1, a.LockObj)
	if err != nil {
		return nil, err
	}
	id := set.id
	down := ipc.Sembuf{Op: -1, Flg: ipc.SemUndo}
	up := ipc.Sembuf{Op: 1, Flg: ipc.SemUndo}
	return &raceLock{obj: a.LockObj, call: "semop", unlockCall: "semop",
		try:     func() error { return ipc.SemTryop(id, down) },
		wait:    func() error { return ipc.Semop(id, down) },
		release: func() error { return ipc.Semop(id, up) },
		value: func() (*int64, *int64) {
			v, err1 := ipc.SemGetVal(id, 0)
			w, err2 := ipc.SemGetNcnt(id, 0)
			if err1 != nil || err2 != nil {
				return nil, nil
			}
			return event.Int64(int64(v)), event.Int64(int64(w))
		}}, nil
}

// raceFutexLock uses the futex mutex in the shared memory.
func raceFutexLock(mem []byte, obj string) (*raceLock, error) {
	m, err := ipc.FutexMutexAt(mem)
	if err != nil {
		return nil, err
	}
	return &raceLock{obj: obj, call: "mutex lock", unlockCall: "mutex unlock",
		try: m.TryLock, wait: m.Lock, release: m.Unlock,
		value: func() (*int64, *int64) { return event.Int64(int64(m.State())), nil }}, nil
}

// increment adds one to the counter the way the sync choice says.
func (r *racer) increment() error {
	switch {
	case r.a.Sync == "atomic":
		if err := r.p.Gate("atomic add", r.a.ShmObj); err != nil {
			return err
		}
		n := r.counter.Add(1)
		if r.a.Detail {
			e := counterEvent(event.KindWrite, r.a.ShmObj, n)
			e.Attrs = map[string]any{event.AttrOp: "atomic add (one instruction: lock xadd)"}
			r.p.Emit(e)
		}
		return nil
	case r.lock == nil:
		return r.loadStore()
	}
	if err := r.acquire(); err != nil {
		return err
	}
	if err := r.loadStore(); err != nil {
		return err
	}
	return r.releaseLock()
}

// loadStore is the unprotected read-modify-write: two separate steps, each
// its own gate, so a presenter can slip another worker in between.
func (r *racer) loadStore() error {
	obj := r.a.ShmObj
	if err := r.p.Gate("load", obj); err != nil {
		return err
	}
	v := r.counter.Load()
	if r.a.Detail {
		e := counterEvent(event.KindRead, obj, v)
		if v != 0 {
			// Only a store of the race, an event too, puts there more
			// than the zero the counter starts at.
			e.Attrs = map[string]any{event.AttrFollowsStore: true}
		}
		r.p.EmitNow(e)
	}
	if err := r.p.Gate("store", obj); err != nil {
		return err
	}
	// The store tells what it replaced. More than the value loaded means
	// other workers stored in between, and this store wipes out their
	// additions; less means a stale store of another worker had set the
	// counter back.
	old := r.counter.Swap(v + 1)
	lost := old > v
	if !r.a.Detail && (!lost || r.reported) {
		return nil
	}
	e := counterEvent(event.KindWrite, obj, v+1)
	if old != v {
		e.Attrs = map[string]any{event.AttrLoaded: v, event.AttrOverwrote: old}
		if r.a.Detail {
			e.Attrs[event.AttrFollowsStore] = true
		}
	}
	// Without detail, only a worker's first store that lost updates is
	// reported: the moment a student should see, without a flood.
	r.reported = r.reported || lost
	r.p.EmitNow(e)
	return nil
}

// counterEvent reports a read or write of the counter: 8 bytes at offset 0.
func counterEvent(kind, obj string, v int64) event.Event {
	b := binary.NativeEndian.AppendUint64(nil, uint64(v))
	return event.Event{Kind: kind, Obj: obj, Bytes: 8, Offset: event.Int64(raceCounter), Value: event.Int64(v),
		Data: hex.EncodeToString(b)}
}

// acquire takes the lock: a try first, and the waiting call only if the
// lock is taken. In detail, block and unblock show each wait; otherwise the
// waits are only counted.
func (r *racer) acquire() error {
	l := r.lock
	if err := r.p.Gate(l.call, l.obj); err != nil {
		return err
	}
	slept := false
	try := func() (bool, error) {
		err := l.try()
		if errors.Is(err, unix.EAGAIN) {
			slept = true
			return true, nil
		}
		return false, err
	}
	var err error
	if r.a.Detail {
		err = r.p.Blocking(l.call, l.obj, try, l.wait)
	} else if taken, terr := try(); terr != nil || taken {
		err = terr
		if taken {
			err = l.wait()
		}
	}
	if err != nil {
		return r.p.Fail(l.call, l.obj, err)
	}
	if slept {
		r.slept++
	}
	if r.a.Detail {
		v, w := l.value()
		r.p.Emit(event.Event{Kind: event.KindWait, Obj: l.obj, Call: l.call, Value: v, Waiters: w})
	}
	return nil
}

func (r *racer) releaseLock() error {
	l := r.lock
	if err := r.p.Gate(l.unlockCall, l.obj); err != nil {
		return err
	}
	if err := l.release(); err != nil {
		return r.p.Fail(l.unlockCall, l.obj, err)
	}
	if r.a.Detail {
		v, w := l.value()
		r.p.Emit(event.Event{Kind: event.KindPost, Obj: l.obj, Call: l.unlockCall, Value: v, Waiters: w})
	}
	return nil
}

// progress sends a note every tenth of the way when single reads and
// writes would be too many events to follow.
func (r *racer) progress(i int) {
	if r.a.Detail || i%r.progressEvery != 0 {
		return
	}
	v := r.counter.Load()
	r.p.Emit(event.Event{Kind: event.KindNote, Obj: r.a.ShmObj, Value: event.Int64(v),
		Attrs: map[string]any{event.AttrDone: i, event.AttrOf: r.a.Increments},
		Text:  fmt.Sprintf("%s has added 1 %d times of %d; the counter reads %d.", r.p.Name, i, r.a.Increments, v)})
}

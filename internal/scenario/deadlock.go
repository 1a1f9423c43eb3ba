package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The deadlock scenario: two workers each need two resources. With
// semaphores, each takes one and then reaches for the other; taken in
// opposite orders, each ends up holding what the other waits for. With
// pipes, each waits to hear from the other before it speaks. Either way both
// sleep in the kernel for ever: the server sees the cycle in the events,
// reports it and kills one worker. The kernel then gives back what the
// victim held (SEM_UNDO), or closes its pipe ends, and the other finishes.
// A parent, outside the cycle, makes the resources, starts the workers and
// reports how each ended.

func init() {
	register(&Scenario{
		Name:      "deadlock",
		Title:     "Deadlock: two processes wait for each other",
		Mechanism: "deadlock",
		Summary: "Two processes each need two resources. worker-1 takes A and then wants B; worker-2 takes B " +
			"and then wants A. Each holds what the other needs, so both wait for ever: a deadlock. Taking the " +
			"resources in the same order makes it impossible.",
		Watch: "Each process grabs its first semaphore, then blocks on its second. The server draws the cycle " +
			"(who waits for what, held by whom), then kills one process. The kernel gives back the semaphore " +
			"the victim held (SEM_UNDO), and the other process finishes. With order \"same\", one simply waits " +
			"for the other, and both finish.",
		Params: []Param{
			choiceParam("resource", "semaphores", []string{"semaphores", "pipes"},
				"What the two processes wait for: two System V semaphores, or two pipes (each waits to read what the other has not written)."),
			choiceParam("order", "opposite", []string{"opposite", "same"},
				"opposite: each takes the resources in the other's reverse order (pipes: both listen first). same: one order for both (pipes: worker-1 speaks first)."),
			intParam("hold_ms", 300, 0, 2000, "ms",
				"How long each process holds its first semaphore before it reaches for the second. The longer, the surer the deadlock. Pipes ignore it."),
		},
		Plan: planDeadlock,
	})
	registerRole("deadlock-parent", deadlockParent)
	registerRole("deadlock-worker", deadlockWorker)
}

// dlMsgSize is the size of the one message each worker sends over a pipe.
const dlMsgSize = 64

type deadlockArgs struct {
	Resource string `json:"resource"`
	Order    string `json:"order"`
	HoldMS   int    `json:"hold_ms"`
	Key      int    `json:"key,omitempty"`
	Obj      string `json:"obj,omitempty"`
	Index    int    `json:"index"` // 1 or 2 for the workers, 0 for the parent
}

func planDeadlock(v Values, env Env) (Plan, error) {
	a := deadlockArgs{Resource: v.Str("resource"), Order: v.Str("order"), HoldMS: v.Int("hold_ms")}
	var objs []Object
	if a.Resource == "semaphores" {
		a.Key = env.Key()
		a.Obj = syncKeyLabel(event.ObjKindSem, a.Key)
		objs = []Object{{Kind: ObjSemSysV, Label: a.Obj, Key: a.Key, Size: 2}}
	} else {
		objs = []Object{{Kind: ObjPipe, Label: event.Label(event.ObjKindPipe, "1")}, {Kind: ObjPipe, Label: event.Label(event.ObjKindPipe, "2")}}
	}
	procs := []ProcSpec{{Name: "parent", Role: "deadlock-parent", Args: a}}
	for i := 1; i <= 2; i++ {
		w := a
		w.Index = i
		procs = append(procs, ProcSpec{Name: syncWorkerName(i), Role: "deadlock-worker", Args: w, StartedBy: "parent"})
	}
	// Independent: a worker killed from outside breaks the cycle as the
	// server's own kill does (the kernel releases what it held), so the
	// other finishes without it, and the parent reports how each ended.
	return Plan{Procs: procs, Objects: objs, Independent: true}, nil
}

// deadlockParent makes the two resources, starts both workers and reports
// how they ended: a worker the server killed to break a deadlock is the
// victim.
func deadlockParent(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[deadlockArgs](raw)
	if err != nil {
		return err
	}
	if a.Resource == "pipes" {
		return dlPipesParent(p)
	}
	set, err := syncCreateSemSet(p, a.Key, 2, a.Obj, 1)
	if err != nil {
		return err
	}
	werr := dlReport(p, nil)
	if err := set.remove(); err != nil {
		return err
	}
	return werr
}

// dlPipesParent makes pipe:1 (worker-1 writes, worker-2 reads) and pipe:2
// (the other way), hands each worker its two ends and closes its own
// copies, so that a worker's read sees end of file once the other is gone.
func dlPipesParent(p *Proc) error {
	var ends [2][2]*os.File // [pipe][read, write]
	defer func() {
		for _, pe := range ends {
			for _, f := range pe {
				if f != nil {
					f.Close()
				}
			}
		}
	}()
	for i := range ends {
		obj := event.Label(event.ObjKindPipe, strconv.Itoa(i+1))
		if err := p.Gate("pipe2", obj); err != nil {
			return err
		}
		r, w, err := ipc.Pipe2(0)
		if err != nil {
			return p.Fail("pipe2", obj, err)
		}
		ends[i] = [2]*os.File{os.NewFile(uintptr(r), obj+"-read"), os.NewFile(uintptr(w), obj+"-write")}
		capacity, _ := ipc.PipeSize(r)
		p.Emit(event.Event{Kind: event.KindOpen, Obj: obj, Call: "pipe2", Cap: int64(capacity), Fill: event.Int64(0),
			Attrs: map[string]any{event.AttrReadFD: r, event.AttrWriteFD: w, event.AttrWriter: syncWorkerName(i + 1), event.AttrReader: syncWorkerName(2 - i)}})
	}
	// worker-1 reads pipe:2 and writes pipe:1; worker-2 the reverse.
	files := func(i int) []*os.File {
		if i == 1 {
			return []*os.File{ends[1][0], ends[0][1]}
		}
		return []*os.File{ends[0][0], ends[1][1]}
	}
	return dlReport(p, files)
}

// dlReport starts the workers, waits for them and sends the result. The
// parent closes its pipe ends (if any) as soon as both workers have theirs.
func dlReport(p *Proc, files func(i int) []*os.File) error {
	var kids []Child
	for i := 1; i <= 2; i++ {
		var fs []*os.File
		if files != nil {
			fs = files(i)
		}
		c, err := p.Spawn(syncWorkerName(i), fs)
		if err != nil {
			dlReap(p, kids)
			return p.Fail("fork/exec", "", err)
		}
		kids = append(kids, c)
	}
	if files != nil {
		for i := 1; i <= 2; i++ {
			for _, f := range files(i) {
				f.Close()
			}
		}
		p.Emit(event.Event{Kind: event.KindNote, Call: "close",
			Text: "parent closed its copies of both pipes' ends: each end now belongs to one worker only."})
	}
	victim, finished, err := dlReap(p, kids)
	p.Result(map[string]any{"deadlock": victim != "", "victim": victim, "finished": finished})
	return err
}

// dlReap waits for the workers. One killed by SIGKILL is taken for the
// victim the server chose (the server corrects the result if it killed
// nobody: a SIGKILL from elsewhere looks the same here); any other failure
// fails the session.
func dlReap(p *Proc, kids []Child) (victim string, finished []string, err error) {
	finished = []string{}
	for i, c := range kids {
		name := syncWorkerName(i + 1)
		code, sig, werr := p.WaitFor(name, c)
		p.Emit(exitEvent(name, c.PID(), code, sig))
		switch {
		case werr != nil:
			err = errors.Join(err, fmt.Errorf("wait for %s: %w", name, werr))
		case sig == "SIGKILL":
			victim = name
			p.Note("%s was killed (SIGKILL); the kernel gave back what it held.", name)
		case sig != "" || code != 0:
			err = errors.Join(err, fmt.Errorf("%s ended with code %d %s", name, code, sig))
		default:
			finished = append(finished, name)
		}
	}
	return victim, finished, err
}

// deadlockWorker takes its two resources in its order, uses them and gives
// them back.
func deadlockWorker(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[deadlockArgs](raw)
	if err != nil {
		return err
	}
	if a.Resource == "pipes" {
		return dlPipesWorker(p, a)
	}
	set, err := syncOpenSemSet(p, a.Key, 2, a.Obj)
	if err != nil {
		return err
	}
	order := []int{0, 1}
	if a.Index == 2 && a.Order == "opposite" {
		order = []int{1, 0}
	}
	for i, n := range order {
		if _, err := set.take(n); err != nil {
			return err
		}
		set.report(event.KindWait, n, map[string]any{event.AttrHolding: i + 1})
		if i == 0 {
			// Holding the first while the other takes its own first is
			// what makes the opposite order deadlock every time.
			p.Sleep(time.Duration(a.HoldMS)*time.Millisecond, "holds its first semaphore a while (hold_ms) before asking for the second")
		}
	}
	for _, n := range slices.Backward(order) {
		if err := set.give(n); err != nil {
			return err
		}
		set.report(event.KindPost, n, nil)
	}
	return nil
}

// dlPipesWorker talks with the other worker over two pipes: Files[0] is the
// read end of the pipe the other writes, Files[1] the write end of its own.
func dlPipesWorker(p *Proc, a deadlockArgs) error {
	if len(p.Files) < 2 {
		return errors.New("deadlock worker started without its pipe ends")
	}
	other := syncWorkerName(3 - a.Index)
	in := &dlPipe{p: p, obj: event.Label(event.ObjKindPipe, strconv.Itoa(3-a.Index)), peer: other}
	out := &dlPipe{p: p, obj: event.Label(event.ObjKindPipe, strconv.Itoa(a.Index)), peer: other}
	for i, s := range []*dlPipe{in, out} {
		end, err := ipc.NewPipeEnd(p.Files[i])
		if err != nil {
			return p.Fail("open", s.obj, err)
		}
		defer end.Close()
		s.end = end
	}
	speaksFirst := a.Order == "same" && a.Index == 1
	if speaksFirst {
		if err := out.send(int64(a.Index)); err != nil {
			return err
		}
	}
	eof, err := in.recv()
	if err != nil || eof || speaksFirst {
		return err
	}
	return out.send(int64(a.Index))
}

// dlPipe is one end of a pipe between the two workers.
type dlPipe struct {
	p         *Proc
	end       *ipc.PipeEnd
	obj, peer string
}

func (s *dlPipe) fill() *int64 {
	n, err := ipc.Pending(s.end.Fd())
	if err != nil {
		return nil
	}
	return event.Int64(int64(n))
}

// send writes one message; it is smaller than PIPE_BUF, so it goes in
// whole, and the pipe is empty enough that it never waits.
func (s *dlPipe) send(msg int64) error {
	if err := s.p.Gate("write", s.obj); err != nil {
		return err
	}
	b := make([]byte, dlMsgSize)
	fillPayload(b, msg)
	if err := ipc.WriteFull(s.end.Fd(), b); err != nil {
		return s.p.Fail("write", s.obj, err)
	}
	s.p.Emit(event.Event{Kind: event.KindWrite, Obj: s.obj, Bytes: len(b), Msg: msg, Fill: s.fill()})
	return nil
}

// recv reads one message, or end of file when the other worker is gone. A
// read that must wait sends a block event naming the other worker as the
// one that could wake it: a pipe has no holder, and the server's deadlock
// detector follows that name.
func (s *dlPipe) recv() (eof bool, err error) {
	if err := s.p.Gate("read", s.obj); err != nil {
		return false, err
	}
	b := make([]byte, dlMsgSize)
	n := 0
	try := func() (bool, error) {
		var err error
		n, err = s.end.TryRead(b)
		if errors.Is(err, unix.EAGAIN) {
			return true, nil
		}
		return false, err
	}
	wait := func() (err error) { n, err = s.wait(b); return err }
	err = s.p.BlockingAs(event.Event{Call: "read", Obj: s.obj, Peer: s.peer}, try, wait)
	if err != nil && !errors.Is(err, ipc.ErrEOF) {
		return false, s.p.Fail("read", s.obj, err)
	}
	if n == 0 {
		s.p.Emit(event.Event{Kind: event.KindRead, Obj: s.obj, Fill: s.fill(),
			Text: fmt.Sprintf("read returned 0: end of file, %s is gone and nobody can write here any more", s.peer)})
		return true, nil
	}
	msg, err := payloadID(b[:n])
	if err != nil {
		return false, s.p.Fail("read", s.obj, err)
	}
	s.p.Emit(event.Event{Kind: event.KindRead, Obj: s.obj, Bytes: n, Msg: msg, Fill: s.fill()})
	return false, nil
}

// wait makes the blocking read.
func (s *dlPipe) wait(b []byte) (int, error) {
	n, err := ipc.ReadFull(s.end.Fd(), b)
	if errors.Is(err, ipc.ErrEOF) && n == 0 {
		return 0, nil
	}
	return n, err
}

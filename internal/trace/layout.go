package trace

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// serverTID is the track of the server's own events (no process).
const serverTID = 0

// msgKey names a message: its object and id.
type msgKey struct {
	obj string
	msg int64
}

// plan is what a first pass over the log learns: the processes in order of
// appearance with their pids, which events are a message's send and first
// receive, and when each process's next event comes.
type plan struct {
	procs  []string
	tids   map[string]int
	server bool
	flow   map[int]int   // index of a send or receive → the message's flow id
	isSend map[int]bool  // index → it is the sending side
	next   map[int]int64 // index of a data event → t of its process's next event
}

func layout(evs []event.Event) *plan {
	p := &plan{tids: map[string]int{}, flow: map[int]int{}, isSend: map[int]bool{}, next: map[int]int64{}}
	sends := map[msgKey]int{}
	received := map[msgKey]bool{}
	last := map[string]int{} // process → index of its last data event
	for i := range evs {
		e := &evs[i]
		p.see(e)
		if j, ok := last[e.Proc]; ok {
			p.next[j] = e.T
			delete(last, e.Proc)
		}
		if !isData(e.Kind) {
			continue
		}
		last[e.Proc] = i
		if e.Msg == 0 {
			continue
		}
		k := msgKey{e.Obj, e.Msg}
		switch e.Kind {
		case event.KindWrite, event.KindSend:
			if _, dup := sends[k]; !dup {
				sends[k] = i
			}
		default:
			if j, ok := sends[k]; ok && !received[k] {
				received[k] = true
				id := len(received)
				p.flow[j], p.flow[i] = id, id
				p.isSend[j] = true
			}
		}
	}
	return p
}

// fakeTID is above any real pid: the track of a process whose pid never
// appeared in the log.
const fakeTID = 1 << 22

// owner is the process whose track e goes on: its own, or for a moment
// the one it is about ("" for the server's).
func owner(e *event.Event) string {
	if e.Kind == event.KindMoment && e.Proc == "" {
		if p, ok := e.Attrs[event.AttrProc].(string); ok {
			return p
		}
	}
	return e.Proc
}

// see gives e's process a track, under its pid once one is known.
func (p *plan) see(e *event.Event) {
	if owner(e) == "" {
		p.server = p.server || shown(e.Kind) || e.Kind == event.KindBlock
		return
	}
	proc := owner(e)
	tid, ok := p.tids[proc]
	if !ok {
		p.procs = append(p.procs, proc)
	}
	switch {
	case e.PID > 0 && (!ok || tid >= fakeTID):
		p.tids[proc] = e.PID
	case !ok:
		p.tids[proc] = fakeTID + len(p.procs)
	}
}

func (p *plan) tid(proc string) int {
	if proc == "" {
		return serverTID
	}
	return p.tids[proc]
}

// metadata names the session's process and each track, in the order the
// processes appeared.
func (p *plan) metadata(evs []event.Event) []traceEvent {
	name := "session"
	if len(evs) > 0 && evs[0].Kind == event.KindSession {
		id, _ := evs[0].Attrs[event.AttrID].(string)
		sc, _ := evs[0].Attrs[event.AttrScenario].(string)
		name = fmt.Sprintf("%s session %s", sc, id)
	}
	out := []traceEvent{{Name: "process_name", Ph: "M", PID: sessionPID, Args: map[string]any{"name": name}}}
	thread := func(tid int, name string, order int) {
		out = append(out,
			traceEvent{Name: "thread_name", Ph: "M", PID: sessionPID, TID: tid, Args: map[string]any{"name": name}},
			traceEvent{Name: "thread_sort_index", Ph: "M", PID: sessionPID, TID: tid, Args: map[string]any{"sort_index": order}})
	}
	if p.server {
		thread(serverTID, "server", 0)
	}
	for i, proc := range p.procs {
		label := proc
		if tid := p.tids[proc]; tid < fakeTID {
			label = fmt.Sprintf("%s (pid %d)", proc, tid)
		}
		thread(p.tids[proc], label, i+1)
	}
	return out
}

// dataSlice is a short slice for data sent or received, with its end of
// the message's flow arrow.
func (p *plan) dataSlice(i int, e *event.Event, tid int) []traceEvent {
	dur := sliceUS
	if next, ok := p.next[i]; ok {
		dur = min(dur, us(next-e.T))
	}
	name := e.Kind
	if e.Msg != 0 {
		name = fmt.Sprintf("%s msg %d", e.Kind, e.Msg)
	}
	out := []traceEvent{{Name: name, Cat: "data", Ph: "X", TS: us(e.T), Dur: &dur, PID: sessionPID, TID: tid, Args: args(e)}}
	id, ok := p.flow[i]
	if !ok {
		return out
	}
	f := traceEvent{Name: "message", Cat: "message", Ph: "f", BP: "e", TS: us(e.T), PID: sessionPID, TID: tid, ID: id}
	if p.isSend[i] {
		f.Ph, f.BP = "s", ""
	}
	return append(out, f)
}

// sortedBlocks lists the blocks still open at the end, in seq order.
func sortedBlocks(open map[string]event.Event) []event.Event {
	var bs []event.Event
	for _, b := range open {
		bs = append(bs, b)
	}
	slices.SortFunc(bs, func(a, b event.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return bs
}

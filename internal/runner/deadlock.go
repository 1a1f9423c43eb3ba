package runner

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// The deadlock detector builds the wait-for graph from the events: a block
// event says a process waits on an object; wait and post events say who
// holds a semaphore; a block event's peer names, for objects without
// holders (a pipe nobody writes), the process that could wake it. A cycle in
// that graph, still there a moment later, is a deadlock: the server reports
// it, then ends it by killing one process of the cycle.

const (
	// deadlockConfirm is how long a cycle must last before it is reported:
	// a block event is sent just before the call sleeps, so a cycle seen
	// for an instant may already be undone by a wake-up on its way.
	deadlockConfirm = 200 * time.Millisecond
	// deadlockShow is how long a reported deadlock stays in place before
	// the server breaks it, so a class can see it.
	deadlockShow = 1200 * time.Millisecond
)

// waitsOn is what a blocked process waits for.
type waitsOn struct {
	obj  string
	call string
	peer string // who could wake it, when the object has no holder
}

type deadlockDetector struct {
	holders map[string][]string // object → processes holding it, once per unit held
	blocked map[string]waitsOn  // process → what it is blocked on
	found   bool                // a deadlock was reported: one per session
	last    []event.WaitEdge    // the cycle reported
}

func newDeadlockDetector() *deadlockDetector {
	return &deadlockDetector{holders: map[string][]string{}, blocked: map[string]waitsOn{}}
}

// observe updates the graph with one event. It reports whether the event
// closed a cycle.
func (d *deadlockDetector) observe(e *event.Event) bool {
	switch e.Kind {
	case event.KindWait:
		d.holders[e.Obj] = append(d.holders[e.Obj], e.Proc)
	case event.KindPost:
		if i := slices.Index(d.holders[e.Obj], e.Proc); i >= 0 {
			d.holders[e.Obj] = slices.Delete(d.holders[e.Obj], i, i+1)
		}
	case event.KindBlock:
		d.blocked[e.Proc] = waitsOn{obj: e.Obj, call: e.Call, peer: e.Peer}
		return !d.found && d.cycle() != nil
	case event.KindUnblock:
		delete(d.blocked, e.Proc)
	case event.KindExit:
		// SEM_UNDO gives back what a dead process held.
		delete(d.blocked, e.Proc)
		for obj, hs := range d.holders {
			d.holders[obj] = slices.DeleteFunc(hs, func(h string) bool { return h == e.Proc })
		}
	}
	return false
}

// cycle returns the edges of a wait-for cycle, or nil.
func (d *deadlockDetector) cycle() []event.WaitEdge {
	procs := make([]string, 0, len(d.blocked))
	for p := range d.blocked {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	for _, start := range procs {
		if c := d.cycleFrom(start); c != nil {
			return c
		}
	}
	return nil
}

// cycleFrom follows wait-for edges from start and returns the cycle if the
// walk comes back to start.
func (d *deadlockDetector) cycleFrom(start string) []event.WaitEdge {
	var edges []event.WaitEdge
	seen := map[string]bool{}
	p := start
	for {
		w, ok := d.blocked[p]
		if !ok || seen[p] {
			return nil
		}
		seen[p] = true
		holder := d.blockedHolder(w, p)
		if holder == "" {
			return nil
		}
		edges = append(edges, event.WaitEdge{Proc: p, Obj: w.obj, Holder: holder})
		if holder == start {
			return edges
		}
		p = holder
	}
}

// blockedHolder picks who p waits for on w: a holder of the object that is
// itself blocked (only such a one can close a cycle), or the peer.
func (d *deadlockDetector) blockedHolder(w waitsOn, p string) string {
	for _, h := range d.holders[w.obj] {
		if _, blocked := d.blocked[h]; blocked && h != p {
			return h
		}
	}
	if w.peer != "" {
		return w.peer
	}
	return ""
}

// confirmDeadlock reports the cycle if it is still there, and schedules
// its break a moment later: the process that blocked last is killed.
func (s *Session) confirmDeadlock() {
	o := &s.own
	c := o.det.cycle()
	if c == nil || o.ended || o.judge.stopWhy != "" || o.det.found {
		return
	}
	o.det.found = true
	o.det.last = c
	victim := s.victim(c)
	s.emit(event.Event{Kind: event.KindDeadlock, Cycle: c, Attrs: map[string]any{event.AttrDetectedBy: "server"},
		Text: describeCycle(c) + fmt.Sprintf(" None of them can ever go on. Linux does not notice: it only puts each process to sleep "+
			"until what it waits for is released, and never asks who holds it. This playground's server found the cycle, by following "+
			"who waits for whom in the events, and will end %s to break it.", victim.Name)})
	o.judge.tolerate[victim.Name] = true
	o.victim = victim.Name
	o.breakAt = time.After(deadlockShow)
}

// victim picks the process to kill: the one that blocked last, so the
// others keep the progress they made.
func (s *Session) victim(c []event.WaitEdge) *ProcInfo {
	var victim *ProcInfo
	for _, e := range c {
		p := s.own.procs.get(e.Proc)
		if victim == nil || p.last > victim.last {
			victim = p
		}
	}
	return victim
}

// describeCycle says the cycle in words.
func describeCycle(c []event.WaitEdge) string {
	parts := make([]string, len(c))
	for i, e := range c {
		parts[i] = fmt.Sprintf("%s waits for %s, held by %s", e.Proc, e.Obj, e.Holder)
	}
	return "Deadlock: " + strings.Join(parts, "; ") + "."
}

// breakDeadlock kills the victim, if it is still alive and still blocked.
func (s *Session) breakDeadlock() {
	o := &s.own
	p := o.procs.find(o.victim)
	if o.ended || p == nil || p.State != ProcBlocked || p.PID <= 0 {
		return
	}
	s.emit(event.Event{Kind: event.KindNote, Text: fmt.Sprintf(
		"The server sent SIGKILL to %s (pid %d). The kernel releases what it held: semaphores taken with SEM_UNDO are given back, and its pipe ends close. So the others can go on.", p.Name, p.PID)})
	o.broke = p.Name
	// The others of the cycle go on because of this kill: nothing they
	// report may be logged before the victim's exit.
	var cycle []string
	for _, e := range o.det.last {
		cycle = append(cycle, e.Proc)
	}
	o.ord.afterExitOf(p.Name, cycle)
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
}

// deadlockResult puts the server's own account of a deadlock into a
// result that speaks of one (the deadlock scenario's "deadlock" and
// "victim"). The scenario's parent sees a worker end by SIGKILL, but not
// who sent it: a student's kill -9 looks the same as the server's.
func (s *Session) deadlockResult(res map[string]any) {
	if _, ok := res["victim"]; !ok {
		return
	}
	res["deadlock"] = s.own.det.found
	res["victim"] = s.own.broke
}

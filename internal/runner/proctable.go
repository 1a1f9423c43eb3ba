package runner

import (
	"github.com/ipc-playground/ipc-playground/internal/event"
)

// Process states, as the session resource and the page show them.
const (
	ProcStarting = "starting"
	ProcRunning  = "running"
	ProcBlocked  = "blocked"
	ProcReady    = "ready"    // step mode: waiting for the presenter
	ProcSleeping = "sleeping" // slow pace: pausing before its next call
	ProcExited   = "exited"
)

// ProcInfo is one process of a session as the server knows it.
type ProcInfo struct {
	Name     string `json:"name"`
	PID      int    `json:"pid"`
	State    string `json:"state"`
	ExitCode *int   `json:"exit_code"`
	Signal   string `json:"signal,omitempty"`
	Call     string `json:"call,omitempty"` // the call it is blocked in or ready for
	Obj      string `json:"obj,omitempty"`  // the object of that call
	Parent   string `json:"parent,omitempty"`

	// last is the arrival number of the latest event that set State. An
	// event logged late (a receive that waited for its send) may not undo
	// what a newer one said.
	last uint64
	// readySeq is the seq of the ready event the process waits on, in step
	// mode: the presenter's step goes to whichever has waited longest.
	readySeq uint64
}

// procTable is what the server knows of each process of a session, kept
// from the logged events alone.
type procTable struct {
	procs []*ProcInfo
}

// get returns the process called name, adding it if it is new.
func (t *procTable) get(name string) *ProcInfo {
	for _, p := range t.procs {
		if p.Name == name {
			return p
		}
	}
	p := &ProcInfo{Name: name, State: ProcStarting}
	t.procs = append(t.procs, p)
	return p
}

// find returns the process called name, or nil.
func (t *procTable) find(name string) *ProcInfo {
	for _, p := range t.procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// observe updates the table from a logged event, which arrived
// arrival-th.
func (t *procTable) observe(e *event.Event, arrival uint64) {
	if e.Proc == "" || e.Kind == event.KindSession || e.Kind == event.KindMoment {
		return
	}
	p := t.get(e.Proc)
	if e.PID != 0 {
		p.PID = e.PID
	}
	if arrival < p.last || e.Kind == event.KindSample {
		// A late receive, or a holder's reading of its object, says
		// nothing new about what the process is doing.
		return
	}
	p.last = arrival
	switch e.Kind {
	case event.KindSpawn:
		p.State, p.Parent = ProcRunning, e.Peer
	case event.KindExit:
		p.State, p.ExitCode, p.Signal, p.Call, p.Obj = ProcExited, e.Code, e.Sig, "", ""
	case event.KindBlock:
		p.State, p.Call, p.Obj = ProcBlocked, e.Call, e.Obj
	case event.KindReady:
		p.State, p.Call, p.Obj, p.readySeq = ProcReady, e.Call, e.Obj, e.Seq
	case event.KindSleep:
		p.State, p.Call, p.Obj = ProcSleeping, e.Call, e.Obj
	default:
		if p.State != ProcExited {
			p.State, p.Call, p.Obj = ProcRunning, "", ""
		}
	}
}

// nextReady returns the named process if it waits for a step, or with no
// name the one that has waited longest; nil if none does.
func (t *procTable) nextReady(name string) *ProcInfo {
	var best *ProcInfo
	for _, p := range t.procs {
		if p.State != ProcReady || (name != "" && p.Name != name) {
			continue
		}
		if best == nil || p.readySeq < best.readySeq {
			best = p
		}
	}
	return best
}

// copy returns the table's processes by value, for a snapshot.
func (t *procTable) copy() []ProcInfo {
	out := make([]ProcInfo, len(t.procs))
	for i, p := range t.procs {
		out[i] = *p
	}
	return out
}

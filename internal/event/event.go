// Package event defines the events a session produces: what a worker process
// reports about the syscalls it makes, and what the server adds (numbering,
// kernel samples, the session's own state). The same type travels from a worker
// to the server on the event fd (as a record, see internal/wire) and from the
// server to every viewer (as JSON).
package event

import "encoding/json"

// Kinds of events. The contract lists the first ones; the rest extend it.
const (
	KindSession  = "session"  // the session's state changed; the last event is one
	KindSpawn    = "spawn"    // a process started (pid known)
	KindExit     = "exit"     // a process ended (code or signal)
	KindOpen     = "open"     // a kernel object was created or opened
	KindClose    = "close"    // a descriptor or mapping was closed
	KindUnlink   = "unlink"   // a kernel object was removed
	KindWrite    = "write"    // bytes written (pipe, FIFO, shared memory)
	KindRead     = "read"     // bytes read (pipe, FIFO, shared memory)
	KindSend     = "send"     // a message sent (queue, socket)
	KindRecv     = "recv"     // a message received (queue, socket)
	KindWait     = "wait"     // a semaphore P operation completed
	KindPost     = "post"     // a semaphore V operation completed
	KindBlock    = "block"    // a call is about to block (or did block)
	KindUnblock  = "unblock"  // a blocked call returned
	KindSignal   = "signal"   // a signal was sent
	KindDeliver  = "deliver"  // a signal handler ran in the receiver
	KindConnect  = "connect"  // a socket connected
	KindAccept   = "accept"   // a socket accepted a connection
	KindError    = "error"    // a call failed; Error says what happened
	KindDeadlock = "deadlock" // the server found a wait-for cycle
	KindSample   = "sample"   // the kernel's view of an object, sampled
	KindReady    = "ready"    // step mode: a process waits before its next call
	KindLost     = "lost"     // a datagram that was sent never arrived
	KindNote     = "note"     // a plain sentence for the student
	KindPace     = "pace"     // the session's pace changed (pause, resume, speed)
	KindSleep    = "sleep"    // slow pace: a process pauses before its next call
	KindMoment   = "moment"   // an instant a lesson turns on (Name says which)
)

// Session states, used by KindSession events and by the session resource.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StatePaused   = "paused"
	StateFinished = "finished"
	StateFailed   = "failed"
	StateStopped  = "stopped"
)

// Event is one thing that happened in a session. Zero fields are omitted on
// the wire, so each kind carries only what it needs.
type Event struct {
	Seq  uint64 `json:"seq,omitempty"`
	T    int64  `json:"t"`
	Kind string `json:"kind"`
	// Name names a moment (snake case: first_block, lost_update, ...).
	Name string `json:"name,omitempty"`
	Proc string `json:"proc,omitempty"`
	PID  int    `json:"pid,omitempty"`
	Obj  string `json:"obj,omitempty"`
	// ObjKind is the kind of object Obj names (ObjKindPipe, ...): the
	// server fills it as it logs the event.
	ObjKind string `json:"obj_kind,omitempty"`
	Bytes   int    `json:"bytes,omitempty"`
	Msg     int64  `json:"msg,omitempty"`

	// Call names the syscall of a block, unblock, error or ready event.
	Call string `json:"call,omitempty"`
	// Peer names the other process of a signal, connect or accept.
	Peer string `json:"peer,omitempty"`
	// Prio is a POSIX queue priority; Type a System V message type.
	Prio int   `json:"prio,omitempty"`
	Type int64 `json:"type,omitempty"`
	// Fill and Cap are what the kernel reported for the object right after
	// the call: bytes in a pipe or socket, messages in a queue.
	Fill *int64 `json:"fill,omitempty"`
	Cap  int64  `json:"cap,omitempty"`
	// Value is a semaphore's value or a shared counter's; Waiters the
	// number of processes the kernel reports waiting on a semaphore.
	Value   *int64 `json:"value,omitempty"`
	Waiters *int64 `json:"waiters,omitempty"`
	// Offset and Data describe a shared-memory write or read: where, and
	// the bytes themselves (a short prefix, hex) for display.
	Offset *int64 `json:"offset,omitempty"`
	Data   string `json:"data,omitempty"`
	// Code and Sig describe how a process exited.
	Code *int   `json:"code,omitempty"`
	Sig  string `json:"sig,omitempty"`
	// Error says in plain words what went wrong; Errno is the C name.
	Error string `json:"error,omitempty"`
	Errno string `json:"errno,omitempty"`
	// Text is a sentence for the student (notes, deadlock explanations).
	Text string `json:"text,omitempty"`
	// State and Result belong to session events.
	State  string          `json:"state,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	// Cycle lists the wait-for cycle of a deadlock event.
	Cycle []WaitEdge `json:"cycle,omitempty"`
	// Procs lists, on a spawn of a whole session or a sample, extra detail.
	Attrs map[string]any `json:"attrs,omitempty"`
}

// WaitEdge is one arrow of a wait-for graph: Proc waits for Obj, held by Holder.
type WaitEdge struct {
	Proc   string `json:"proc"`
	Obj    string `json:"obj"`
	Holder string `json:"holder"`
}

// Int64 returns a pointer to v, for the optional numeric fields.
func Int64(v int64) *int64 { return &v }

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// Terminal reports whether e ends a session's stream.
func (e *Event) Terminal() bool {
	if e.Kind != KindSession {
		return false
	}
	switch e.State {
	case StateFinished, StateFailed, StateStopped:
		return true
	}
	return false
}

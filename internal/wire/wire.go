// Package wire is the contract between the server and the worker processes
// it starts: the descriptors a worker finds open, the argument and the
// environment variable that make the binary a worker, the spec that tells
// it what to run, the control state the server sends it, and the records
// it writes back. Both sides import it; neither imports the other.
package wire

import (
	"encoding/json"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Descriptors every worker finds open, by number.
const (
	FdEvents  = 3 // write end of the session's event pipe
	FdControl = 4 // read end of this process's control pipe
	FdRole    = 5 // the first of the role's own descriptors
)

// WorkerArg is the first argument that makes the binary a worker.
const WorkerArg = "worker"

// EnvSpec is the environment variable that carries a worker's spec, as
// JSON.
const EnvSpec = "IPCPG_WORKER"

// Spec tells a worker process who it is and what to run.
type Spec struct {
	Session  string          `json:"session"`
	Proc     string          `json:"proc"`
	Role     string          `json:"role"`
	Args     json.RawMessage `json:"args"`
	Start    int64           `json:"start"` // CLOCK_MONOTONIC ns when the session started
	Pace     string          `json:"pace"`
	Speed    float64         `json:"speed"`
	WaitGo   bool            `json:"wait_go"`
	NRole    int             `json:"n_role"` // role descriptors from FdRole on
	Signals  []int           `json:"signals,omitempty"`
	Children []ChildSpec     `json:"children,omitempty"`
}

// ChildSpec is a process a worker starts itself; its control pipe's read
// end follows the role descriptors, in order.
type ChildSpec struct {
	Name    string          `json:"name"`
	Role    string          `json:"role"`
	Args    json.RawMessage `json:"args"`
	Signals []int           `json:"signals,omitempty"`
}

// Record kinds a worker writes that never reach viewers.
const (
	// KindDone is the last record of a process, written when its role
	// has returned: the server logs the process's exit only after it.
	KindDone = "done"
	// KindEnded says a process this worker started has ended, and how,
	// so that the server knows even while the worker's role is busy.
	KindEnded = "ended"
	// KindResult adds fields to the session's result; the server folds
	// it into the last event.
	KindResult = "result"
)

// Exit codes of a worker process.
const (
	ExitOK         = 0
	ExitRoleFailed = 1
	ExitBadSpec    = 2
	ExitOrphaned   = 3 // the server went away: the control pipe hit end of file
)

// SlowDelay is the pause before each IPC call in slow pace, at speed 1.
const SlowDelay = 600 * time.Millisecond

// ExitStatus reads a process's exit code, or the name of the signal that
// killed it.
func ExitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return -1, ""
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, unix.SignalName(ws.Signal())
	}
	return ps.ExitCode(), ""
}

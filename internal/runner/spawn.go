package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Descriptors every worker finds open, by number.
const (
	fdEvents  = 3 // write end of the session's event pipe
	fdControl = 4 // read end of this process's control pipe
	fdRole    = 5 // the first of the role's own descriptors
)

// workerEnv is the environment variable that carries a worker's spec.
const workerEnv = "IPCPG_WORKER"

// WorkerArg is the first argument that makes the binary a worker.
const WorkerArg = "worker"

// workerSpec tells a worker process who it is and what to run.
type workerSpec struct {
	Session  string          `json:"session"`
	Proc     string          `json:"proc"`
	Role     string          `json:"role"`
	Args     json.RawMessage `json:"args"`
	Start    int64           `json:"start"` // CLOCK_MONOTONIC ns when the session started
	Pace     string          `json:"pace"`
	Speed    float64         `json:"speed"`
	WaitGo   bool            `json:"wait_go"`
	NRole    int             `json:"n_role"` // role descriptors from fdRole on
	Signals  []int           `json:"signals,omitempty"`
	Children []childSpec     `json:"children,omitempty"`
}

// childSpec is a process this worker starts itself; its control pipe's read
// end follows the role descriptors, in order.
type childSpec struct {
	Name    string          `json:"name"`
	Role    string          `json:"role"`
	Args    json.RawMessage `json:"args"`
	Signals []int           `json:"signals,omitempty"`
}

// launch describes one start of a worker.
type launch struct {
	exe     string
	spec    workerSpec
	events  *os.File   // becomes fdEvents
	control *os.File   // becomes fdControl
	files   []*os.File // role descriptors, then child control pipes
	// pgid is the process group to join; 0 makes a new group led by the
	// process; -1 keeps the starter's group (a worker starting its child).
	pgid int
}

// startWorker is the one place a worker process is started, by the server
// or by a worker starting its own child. The process gets the session's
// event pipe and its control pipe as descriptors 3 and 4, and its role's
// descriptors from 5 on. Cancelling ctx kills the process's whole group.
// The caller closes its copies of the descriptors it no longer needs.
func startWorker(ctx context.Context, l launch) (*exec.Cmd, error) {
	spec, err := json.Marshal(l.spec)
	if err != nil {
		return nil, fmt.Errorf("encode worker spec: %w", err)
	}
	cmd := exec.CommandContext(ctx, l.exe, WorkerArg, l.spec.Session, l.spec.Proc, l.spec.Role)
	cmd.Env = append(os.Environ(), workerEnv+"="+string(spec))
	cmd.ExtraFiles = append([]*os.File{l.events, l.control}, l.files...)
	cmd.Stdout = os.Stderr // a worker never talks on stdout; anything it prints is a diagnostic
	cmd.Stderr = os.Stderr
	if l.pgid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: l.pgid}
	}
	cmd.Cancel = func() error {
		switch {
		case l.pgid == 0:
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case l.pgid > 0:
			return syscall.Kill(-l.pgid, syscall.SIGKILL)
		}
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", l.spec.Proc, err)
	}
	return cmd, nil
}

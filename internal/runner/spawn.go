package runner

import (
	"context"
	"os"
	"os/exec"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// The parent/child contract lives in internal/wire; these names are the
// runner's short hands for it.
const (
	kindDone  = wire.KindDone
	kindEnded = wire.KindEnded
	exitOK    = wire.ExitOK
	slowDelay = wire.SlowDelay
)

type (
	workerSpec = wire.Spec
	childSpec  = wire.ChildSpec
)

// exitStatus reads a process's exit code, or the signal that killed it.
func exitStatus(ps *os.ProcessState) (int, string) { return wire.ExitStatus(ps) }

// monotonicNow reads the clock every process of a session shares.
func monotonicNow() int64 { return ipc.Monotonic() }

// launch describes one start of a worker.
type launch struct {
	exe     string
	spec    workerSpec
	events  *os.File
	control *os.File
	files   []*os.File
	pgid    int
}

// startWorker starts a worker through wire.Start, the one place workers
// are started.
func startWorker(ctx context.Context, l launch) (*exec.Cmd, error) {
	return wire.Start(ctx, wire.Launch{Exe: l.exe, Spec: l.spec, Events: l.events, Control: l.control,
		Files: l.files, Pgid: l.pgid})
}

package runner

import (
	"context"
	"os"
	"os/exec"

	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// The parent/child contract lives in internal/wire; these names are the
// runner's short hands for it.
const (
	fdEvents  = wire.FdEvents
	fdControl = wire.FdControl
	fdRole    = wire.FdRole
	workerEnv = wire.EnvSpec
	kindDone  = wire.KindDone
	kindEnded = wire.KindEnded
)

// WorkerArg is the first argument that makes the binary a worker.
const WorkerArg = wire.WorkerArg

type (
	workerSpec = wire.Spec
	childSpec  = wire.ChildSpec
	control    = wire.Control
)

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

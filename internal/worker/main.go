// Package worker is the runtime of a session's processes: the binary
// started as a worker (see wire.WorkerArg) reads its spec, waits for the
// server's go, and runs its scenario role here, with the pace gate, the
// event descriptor, the control pipe and the children it starts.
//
// Only the binary's main ends the process. It hands Main the function that
// does (os.Exit): Main returns the exit code when the role returns, and
// calls exit itself only when the process must end while its role may be
// blocked in a system call (the server is gone, or the role gave up).
package worker

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// Arg is the first argument that makes the binary a worker.
const Arg = wire.WorkerArg

// lookupRole finds a role by name; tests give their own.
var lookupRole = scenario.LookupRole

// Main is the whole life of a worker process: it reads its spec, waits for
// the server's go, runs its role and returns the exit code. The binary's
// main calls it when its first argument is Arg, before parsing flags, and
// passes os.Exit as exit.
func Main(getenv func(string) string, stderr io.Writer, exit func(code int)) int {
	var spec wire.Spec
	if err := json.Unmarshal([]byte(getenv(wire.EnvSpec)), &spec); err != nil {
		fmt.Fprintf(stderr, "worker: bad spec: %v\n", err)
		return wire.ExitBadSpec
	}
	role, ok := lookupRole(spec.Role)
	if !ok {
		fmt.Fprintf(stderr, "worker: unknown role %q\n", spec.Role)
		return wire.ExitBadSpec
	}
	if len(spec.Signals) > 0 {
		// Before anything else: this may start the program over, with the
		// signals blocked on every thread the runtime will make.
		sigs := make([]unix.Signal, len(spec.Signals))
		for i, n := range spec.Signals {
			sigs[i] = unix.Signal(n)
		}
		if err := ipc.ReexecWithSignalsBlocked(sigs...); err != nil {
			fmt.Fprintf(stderr, "worker %s: %v\n", spec.Proc, err)
			return wire.ExitBadSpec
		}
	}
	w := newWorker(spec, stderr, exit)
	go w.readControl(os.NewFile(wire.FdControl, "control"))
	if spec.WaitGo {
		w.waitGo()
	}
	files := make([]*os.File, spec.NRole)
	for i := range files {
		files[i] = os.NewFile(uintptr(wire.FdRole+i), fmt.Sprintf("role-%d", i))
	}
	p := scenario.NewProc(spec.Proc, os.Getpid(), files, w)
	err := role(p, spec.Args)
	w.emitDone()
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", spec.Proc, err)
		return wire.ExitRoleFailed
	}
	return wire.ExitOK
}

// emitDone writes the process's last record: the server logs this
// process's exit only after it, so the exit never overtakes the process's
// own last events.
func (w *worker) emitDone() {
	w.Emit(event.Event{T: w.Now(), Kind: wire.KindDone, Proc: w.spec.Proc, PID: os.Getpid()})
}

// Abort ends the process at once as failed, wherever its role is: the
// role cannot go on, and must not leave the others waiting for it.
func (w *worker) Abort(err error) {
	fmt.Fprintf(w.stderr, "worker %s: %v\n", w.spec.Proc, err)
	w.emitDone()
	w.exit(wire.ExitRoleFailed)
}

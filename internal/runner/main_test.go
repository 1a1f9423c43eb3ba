package runner

import (
	"os"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

// controlReaderArg makes the test binary the child of the control tests.
const controlReaderArg = "control-reader"

// The test binary is also the worker: the runner starts /proc/self/exe with
// worker.Arg, and TestMain hands that process to worker.Main.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	// The measuring scenarios run their cells in children of their own:
	// this binary again, as the server's is.
	if len(os.Args) > 1 && os.Args[1] == bench.ChildArg {
		os.Exit(bench.ChildMain(os.Args[2:], os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == controlReaderArg {
		os.Exit(controlReaderMain())
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the workers inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

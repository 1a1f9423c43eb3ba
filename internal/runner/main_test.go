package runner

import (
	"os"
	"testing"
)

// The test binary is also the worker: the runner starts /proc/self/exe with
// WorkerArg, and TestMain hands that process to WorkerMain.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerArg {
		os.Exit(WorkerMain(os.Getenv, os.Stderr))
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the workers inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

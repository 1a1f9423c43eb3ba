package wire

import (
	"io"
	"os"
	"testing"
)

// The test binary stands in for a worker: started with WorkerArg, it
// reads its control pipe until the test closes it, then exits.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerArg {
		_, _ = io.Copy(io.Discard, os.NewFile(FdControl, "control"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

package web

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

// The test binary is also the worker: the runner starts /proc/self/exe with
// worker.Arg, and TestMain hands that process to worker.Main.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the workers inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	// The compare scenarios measure in children of their own: this
	// binary again, as the server's is.
	if len(os.Args) > 1 && os.Args[1] == bench.ChildArg {
		os.Exit(bench.ChildMain(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

// testServer is a real playground server on a loopback port.
type testServer struct {
	*httptest.Server
	runner *runner.Runner
	web    *Server
}

// newTestServer starts a server for one test and shuts it down, sessions
// and streams included, when the test ends.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	r, err := runner.New(runner.Config{StateDir: t.TempDir(), Limits: scenario.ReadLimits()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Config{Runner: r})
	ts := &testServer{Server: httptest.NewServer(h), runner: r, web: h}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("runner shutdown: %v", err)
		}
		h.CloseStreams()
		ts.Close()
	})
	return ts
}

// Command server is IPC Playground: a web server that runs real
// inter-process communication between real processes and shows every
// transfer in the browser. The same binary is also the worker that plays
// each process of a session.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

func main() {
	// A worker is this binary started again by the server to play one
	// process of a session. It is picked before anything else, signal
	// handling included, because a scenario's role sets up its own.
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	// So is one process of a measurement started by the bench command or
	// the compare scenario.
	if len(os.Args) > 1 && os.Args[1] == bench.ChildArg {
		os.Exit(bench.ChildMain(os.Args[2:], os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode is the process's exit status for run's error: 0 for none, 2 for
// a command line it cannot run with (reported already), 1 for the rest,
// which it reports on stderr.
func exitCode(err error, stderr io.Writer) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	}
	fmt.Fprintf(stderr, "ipc-playground: %v\n", err)
	return 1
}

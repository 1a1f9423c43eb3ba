// Command server is IPC Playground: a web server that runs real
// inter-process communication between real processes and shows every
// transfer in the browser. The same binary is also the worker that plays
// each process of a session.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipc-playground/ipc-playground/internal/runner"
)

func main() {
	// A worker is this binary started again by the server to play one
	// process of a session. It is picked before anything else, signal
	// handling included, because a scenario's role sets up its own.
	if len(os.Args) > 1 && os.Args[1] == runner.WorkerArg {
		os.Exit(runner.WorkerMain(os.Getenv, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "ipc-playground: %v\n", err)
		os.Exit(1)
	}
}

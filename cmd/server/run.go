package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
	"github.com/ipc-playground/ipc-playground/web"
)

// run is the whole server: it parses flags, serves until ctx is done, then
// shuts down in order: sessions stopped (children killed, kernel objects
// removed), viewers' WebSockets closed, the listener closed. A command line
// it cannot run with is refused before anything starts, with a *usageError.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "healthcheck" {
		return healthcheck(ctx, getenv, stdout)
	}
	if len(args) > 1 && args[1] == "bench" {
		return runBench(ctx, args[2:], stdout, stderr)
	}
	cfg, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	r, err := runner.New(runner.Config{StateDir: cfg.stateDir, Logger: log, MaxSessions: cfg.maxSessions, MaxEvents: cfg.maxEvents,
		DataDir: cfg.dataDir, Recordings: eventlog.Limits{MaxCount: cfg.keep.count, MaxBytes: cfg.keep.mib << 20, MaxAge: cfg.keep.age},
		Limits: scenario.ReadLimits()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		_ = r.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	handler := web.NewServer(web.Config{Runner: r, Logger: log, ListenAddr: ln.Addr().String(),
		AllowedHosts: cfg.hosts(), AdminToken: cfg.adminToken, Limits: cfg.limits})
	srv := newHTTPServer(handler, defaultTimeouts, log)
	fmt.Fprintf(stdout, "IPC Playground listening on http://%s\n", ln.Addr())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		_ = r.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("sessions did not all stop in time", "err", err)
	}
	// http.Server.Shutdown does not touch hijacked connections: the
	// WebSockets are closed here.
	handler.CloseStreams()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// httpTimeouts bound how long a client may hold a connection while doing
// nothing useful with it.
type httpTimeouts struct {
	readHeader time.Duration // reading a request's header
	read       time.Duration // reading a whole request; bodies are at most 64 KiB
	write      time.Duration // writing a whole answer; the event stream lifts it
	idle       time.Duration // a kept-alive connection between requests
}

// defaultTimeouts are the server's: generous for a slow phone on a
// classroom's Wi-Fi, short for a client that trickles or holds on.
var defaultTimeouts = httpTimeouts{readHeader: 10 * time.Second, read: 30 * time.Second, write: 2 * time.Minute, idle: 2 * time.Minute}

// maxHeaderBytes bounds a request's header: this server's requests carry
// only a few short ones.
const maxHeaderBytes = 64 << 10

// newHTTPServer is the HTTP server around handler, with every timeout set.
func newHTTPServer(handler http.Handler, t httpTimeouts, log *slog.Logger) *http.Server {
	return &http.Server{Handler: handler, ReadHeaderTimeout: t.readHeader, ReadTimeout: t.read,
		WriteTimeout: t.write, IdleTimeout: t.idle, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// healthcheck asks a running server's /healthz, for a container's
// HEALTHCHECK: the image has no shell and no curl, only this binary.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr := getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: bad ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s", resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

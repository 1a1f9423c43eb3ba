// Package runner runs sessions: it starts each scenario's worker processes
// (the server's own binary in a worker role), gives them their descriptors,
// paces them, numbers and records their events, hands the events to any
// number of subscribers, and stops and cleans up every process and kernel
// object on every path.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// Config sets up a Runner.
type Config struct {
	// Exe is the binary started in the worker role; "/proc/self/exe" by
	// default, so the server and its workers are always the same build.
	Exe string
	// StateDir holds each live session's private files (FIFOs, sockets)
	// and the record of its kernel objects, for the sweep after a crash.
	StateDir string
	Logger   *slog.Logger
	// MaxSessions bounds the sessions running at once.
	MaxSessions int
	// MaxDuration ends a realtime or slow session that runs longer;
	// MaxStepDuration a session in step mode.
	MaxDuration     time.Duration
	MaxStepDuration time.Duration
	// Retain is how long an ended session stays readable; MaxRetained
	// bounds how many are kept.
	Retain      time.Duration
	MaxRetained int
	// Limits are the kernel limits parameters are checked against.
	Limits scenario.Limits
}

func (c *Config) setDefaults() {
	if c.Exe == "" {
		c.Exe = "/proc/self/exe"
	}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(os.TempDir(), fmt.Sprintf("ipc-playground-%d", os.Getuid()))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 8
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = 3 * time.Minute
	}
	if c.MaxStepDuration <= 0 {
		c.MaxStepDuration = 30 * time.Minute
	}
	if c.Retain <= 0 {
		c.Retain = time.Hour
	}
	if c.MaxRetained <= 0 {
		c.MaxRetained = 200
	}
}

// Errors Start returns when it refuses to start a session.
var (
	ErrBusy         = errors.New("the server is running as many sessions as it may; wait for one to end")
	ErrShuttingDown = errors.New("the server is shutting down")
)

// Runner owns every session of one server instance.
type Runner struct {
	cfg      Config
	log      *slog.Logger
	instance string // this instance's directory under StateDir
	ctx      context.Context
	cancel   context.CancelFunc
	kernel   *kernelState // instance lock, readiness probe, stray zombies (instance.go)

	mu       sync.Mutex
	sessions map[string]*Session
	running  int
	closed   bool
	wg       sync.WaitGroup
}

// New makes a Runner, after sweeping what earlier instances that died
// left behind.
func New(cfg Config) (*Runner, error) {
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("make state directory: %w", err)
	}
	if err := checkOwnDir(cfg.StateDir); err != nil {
		return nil, err
	}
	// Processes that workers start (the pipe's child) are grandchildren of
	// the server. When a session ends their parents are dead, and the
	// server must be the one to collect them, or they linger as zombies
	// until init gets round to it.
	if err := ipc.SetChildSubreaper(); err != nil {
		cfg.Logger.Warn("cannot collect orphaned workers", "err", err)
	}
	swept := sweep(cfg.StateDir, cfg.Logger)
	if swept > 0 {
		cfg.Logger.Info("removed leftovers of earlier runs", "objects", swept)
	}
	inst, lock, err := makeInstance(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{cfg: cfg, log: cfg.Logger, instance: inst, ctx: ctx, cancel: cancel, sessions: map[string]*Session{}}
	r.startKernel(lock)
	go r.expire()
	return r, nil
}

// Limits returns the kernel limits the runner checks parameters against.
func (r *Runner) Limits() scenario.Limits { return r.cfg.Limits }

// Healthy reports whether the runner can start sessions.
func (r *Runner) Healthy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.closed
}

// Start launches a session of sc with validated values. It returns once
// every process is started and the session is running.
func (r *Runner) Start(sc *scenario.Scenario, vals scenario.Values, pace string) (*Session, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrShuttingDown
	}
	if r.running >= r.cfg.MaxSessions {
		r.mu.Unlock()
		return nil, ErrBusy
	}
	r.running++
	r.wg.Add(1)
	r.mu.Unlock()

	s, err := r.newSession(sc, vals, pace)
	if err == nil {
		err = s.launch()
	}
	if err != nil {
		r.release()
		return nil, err
	}
	r.mu.Lock()
	r.sessions[s.ID] = s
	r.mu.Unlock()
	go func() {
		defer r.release()
		s.supervise()
	}()
	return s, nil
}

func (r *Runner) release() {
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
	r.wg.Done()
}

// Get returns the session with id.
func (r *Runner) Get(id string) (*Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[id]
	return s, ok
}

// Shutdown stops every session, kills their processes, removes their
// kernel objects and waits for all of it, or for ctx.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	live := make([]*Session, 0, len(r.sessions))
	for _, s := range r.sessions {
		live = append(live, s)
	}
	r.mu.Unlock()
	for _, s := range live {
		s.Stop("the server is shutting down")
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.cancel()
	r.stopKernel()
	return nil
}

// expire forgets ended sessions after Retain, and the oldest ones past
// MaxRetained.
func (r *Runner) expire() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			r.forgetOld(time.Now())
		}
	}
}

func (r *Runner) forgetOld(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ended []*Session
	for id, s := range r.sessions {
		s.mu.Lock()
		f := s.finished
		s.mu.Unlock()
		if f.IsZero() {
			continue
		}
		if now.Sub(f) > r.cfg.Retain {
			delete(r.sessions, id)
			continue
		}
		ended = append(ended, s)
	}
	for len(ended) > r.cfg.MaxRetained {
		oldest := 0
		for i, s := range ended {
			if s.finished.Before(ended[oldest].finished) {
				oldest = i
			}
		}
		delete(r.sessions, ended[oldest].ID)
		ended = append(ended[:oldest], ended[oldest+1:]...)
	}
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

func (r *Runner) newSession(sc *scenario.Scenario, vals scenario.Values, pace string) (*Session, error) {
	if pace == "" {
		pace = "realtime"
	}
	id := randomID(6)
	dir := filepath.Join(r.instance, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make session directory: %w", err)
	}
	env := &names{instance: filepath.Base(r.instance), session: id, dir: dir}
	plan, err := sc.Plan(vals, env)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := writeObjects(dir, plan.Objects); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Session{
		ID: id, Token: randomID(16), Scenario: sc.Name, Pace: pace, Params: vals, Created: time.Now(),
		plan: plan, start: monotonicNow(), runner: r, dir: dir,
		notify: make(chan struct{}), state: event.StateStarting, ctl: map[string]*os.File{},
		cmds: map[string]*exec.Cmd{}, sent: map[int64]bool{}, opened: map[string]bool{}, held: map[string][]heldEv{},
		speed: 1, done: make(chan struct{}), stop: make(chan string, 1), detector: newDeadlockDetector(),
		endings: map[string]ending{}, lost: make(chan struct{}, 1), exitTaken: map[string]bool{},
	}
	return s, nil
}

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
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/moment"
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
	// Retain is how long an ended session stays in memory (its snapshot
	// only; its events are on disk); MaxRetained bounds how many are kept.
	Retain      time.Duration
	MaxRetained int
	// DataDir holds the recordings: every session's events, kept across
	// restarts. Recordings bounds how many, how large and how old.
	DataDir    string
	Recordings eventlog.Limits
	// Window is how many bytes of its newest events a running session
	// keeps in memory for its live viewers.
	Window int
	// MaxEvents ends a session that records more events.
	MaxEvents int
	// AbandonAfter ends a session that nobody watched or drove for that
	// long; LimitWarn is how long before its time limit a session is told.
	AbandonAfter time.Duration
	LimitWarn    time.Duration
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
		c.Retain = 10 * time.Minute
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(c.StateDir, "recordings")
	}
	if c.MaxEvents <= 0 {
		c.MaxEvents = 2_000_000
	}
	if c.AbandonAfter == 0 {
		c.AbandonAfter = 5 * time.Minute
	}
	if c.LimitWarn <= 0 {
		c.LimitWarn = 30 * time.Second
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
	store    *eventlog.Store

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
	store, err := eventlog.Open(cfg.DataDir, cfg.Logger, cfg.Window)
	if err != nil {
		os.RemoveAll(inst)
		lock.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{cfg: cfg, log: cfg.Logger, instance: inst, ctx: ctx, cancel: cancel, store: store,
		sessions: map[string]*Session{}}
	r.startKernel(lock)
	r.prune(time.Now())
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
	if err != nil {
		r.release()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.launch(cancel, ctx); err != nil {
		s.abandonRecording()
		r.release()
		return nil, err
	}
	r.mu.Lock()
	r.sessions[s.ID] = s
	r.mu.Unlock()
	go func() {
		defer r.release()
		s.loop()
	}()
	return s, nil
}

func (r *Runner) release() {
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
	r.wg.Done()
}

// Get returns the session with id: one in memory, or a recording read
// back from the data directory.
func (r *Runner) Get(id string) (*Session, bool) {
	r.mu.Lock()
	s, ok := r.sessions[id]
	r.mu.Unlock()
	if ok {
		return s, true
	}
	l, m, ok := r.store.Get(id)
	if !ok {
		return nil, false
	}
	return recorded(l, m), true
}

// Recording is one entry of the list of recordings.
type Recording struct {
	ID       string     `json:"id"`
	Scenario string     `json:"scenario"`
	State    string     `json:"state"`
	Pace     string     `json:"pace,omitempty"`
	Created  time.Time  `json:"created"`
	Ended    *time.Time `json:"ended,omitempty"`
	Events   uint64     `json:"events"`
	Bytes    int64      `json:"bytes"`
}

// Recordings lists the recordings, newest first, from offset on, at most
// limit of them, with how many there are in all.
func (r *Runner) Recordings(offset, limit int) ([]Recording, int) {
	metas, total := r.store.List(offset, limit)
	out := make([]Recording, len(metas))
	for i, m := range metas {
		out[i] = Recording{ID: m.ID, Scenario: m.Scenario, State: m.State, Pace: m.Pace, Created: m.Created,
			Events: m.Events, Bytes: m.Bytes}
		if !m.Ended.IsZero() {
			ended := m.Ended
			out[i].Ended = &ended
		}
	}
	return out, total
}

// RecordingBytes is how much the recordings take on disk.
func (r *Runner) RecordingBytes() int64 { return r.store.Bytes() }

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
	return r.store.Close()
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
			r.prune(time.Now())
		}
	}
}

func (r *Runner) forgetOld(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	type endedAt struct {
		id string
		at time.Time
	}
	var ended []endedAt
	for id, s := range r.sessions {
		f := s.snap.Load().Ended
		if f == nil {
			continue
		}
		if now.Sub(*f) > r.cfg.Retain {
			delete(r.sessions, id)
			continue
		}
		ended = append(ended, endedAt{id, *f})
	}
	slices.SortFunc(ended, func(a, b endedAt) int { return a.at.Compare(b.at) })
	for len(ended) > r.cfg.MaxRetained {
		delete(r.sessions, ended[0].id)
		ended = ended[1:]
	}
}

// prune removes the recordings over the configured bounds, oldest first.
func (r *Runner) prune(now time.Time) {
	if ids := r.store.Prune(now, r.cfg.Recordings); len(ids) > 0 {
		r.log.Info("removed old recordings", "count", len(ids))
	}
}

// codeAlphabet holds the letters and digits of a join code: none that is
// easily taken for another when read aloud or from a projector (no 0 and
// O, 1, I and L, 2 and Z, 5 and S, 8 and B).
const codeAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// CodeLen is how many characters a join code has.
const CodeLen = 6

// newCode returns a join code no recording has.
func (r *Runner) newCode() string {
	for {
		b := make([]byte, CodeLen)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
		}
		if _, taken := r.store.FindCode(string(b)); !taken {
			return string(b)
		}
	}
}

// NormalizeCode turns what a student typed into a join code: upper case,
// without spaces or dashes. It reports false for what cannot be one.
func NormalizeCode(typed string) (string, bool) {
	var b []byte
	for _, c := range []byte(typed) {
		switch {
		case c == ' ' || c == '-':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if strings.IndexByte(codeAlphabet, c) < 0 {
			return "", false
		}
		b = append(b, c)
	}
	return string(b), len(b) == CodeLen
}

// FindCode returns the id of the session whose join code is code.
func (r *Runner) FindCode(code string) (string, bool) { return r.store.FindCode(code) }

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
	params, _ := json.Marshal(vals)
	now := time.Now()
	code := r.newCode()
	l, err := r.store.Create(eventlog.Meta{ID: id, Scenario: sc.Name, Pace: pace, Code: code, Params: params, Created: now})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Session{
		ID: id, Token: randomID(16), Code: code, Scenario: sc.Name, Pace: pace, Params: vals, Created: now,
		log: l, done: make(chan struct{}), plan: plan, start: monotonicNow(), runner: r, dir: dir,
		cmds: map[string]*exec.Cmd{}, lastRec: map[string]chan struct{}{},
		in: make(chan any, 64), chunks: make(chan records, 8), stopReq: make(chan string, 1), ending: make(chan struct{}),
	}
	for _, p := range plan.Procs {
		s.lastRec[p.Name] = make(chan struct{})
	}
	limit := r.cfg.MaxDuration
	if pace == "step" {
		limit = r.cfg.MaxStepDuration
	}
	s.own = owned{state: event.StateStarting, ord: newOrderer(), judge: newEndJudge(plan.Independent, plan.Tolerate),
		det: newDeadlockDetector(), moments: moment.New(sc.Name), ctl: map[string]*controlPipe{}, speed: 1, doneRec: map[string]bool{}, stopped: map[string]time.Time{},
		limit: budget{limit: limit, warn: min(r.cfg.LimitWarn, limit/2)}}
	s.own.limit.resume(now)
	s.seen()
	s.publish()
	return s, nil
}

// abandonRecording removes the recording of a session that never started:
// the request that asked for it was told why, and there is nothing to
// replay.
func (s *Session) abandonRecording() {
	if err := s.runner.store.Remove(s.ID); err != nil {
		s.runner.log.Warn("remove recording", "session", s.ID, "err", err)
	}
	os.RemoveAll(s.dir)
}

package wire

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Limits bound what one worker process may take of the machine. The
// kernel enforces them; a worker that passes one is stopped by it.
type Limits struct {
	OpenFiles  uint64 // RLIMIT_NOFILE
	CPUSeconds uint64 // RLIMIT_CPU: SIGKILL once passed
	FileBytes  uint64 // RLIMIT_FSIZE: the largest file (or shared memory object) it may grow
}

// DefaultLimits are the limits of a worker when its launch names none.
// No worker may write a core file.
var DefaultLimits = Limits{OpenFiles: 1024, CPUSeconds: 600, FileBytes: 64 << 20}

// OOMBoost is how much likelier than its starter the kernel's OOM killer is
// to pick a worker: the worker's oom_score_adj is its starter's plus this,
// at most 1000. Under memory pressure a session dies before the server.
const OOMBoost = 500

// Launch describes one start of a worker.
type Launch struct {
	Exe     string
	Spec    Spec
	Events  *os.File   // becomes FdEvents
	Control *os.File   // becomes FdControl
	Files   []*os.File // role descriptors, then child control pipes
	// Pgid is the process group to join; 0 makes a new group led by the
	// process; -1 keeps the starter's group (a worker starting its child).
	Pgid int
	// Limits are the worker's resource limits; the zero value means
	// DefaultLimits.
	Limits Limits
}

// Start is the one place a worker process is started, by the server or by
// a worker starting its own child. The process gets the session's event
// pipe and its control pipe as descriptors 3 and 4, its role's descriptors
// from 5 on, an environment of its spec and little else, its resource
// limits and a higher oom_score_adj than its starter's, all before it can
// run its role (a worker waits for the server's go). Cancelling ctx kills
// the process's whole group. The caller closes its copies of the
// descriptors it no longer needs.
func Start(ctx context.Context, l Launch) (*exec.Cmd, error) {
	spec, err := json.Marshal(l.Spec)
	if err != nil {
		return nil, fmt.Errorf("encode worker spec: %w", err)
	}
	cmd := exec.CommandContext(ctx, l.Exe, WorkerArg, l.Spec.Session, l.Spec.Proc, l.Spec.Role)
	cmd.Env = Env(os.Getenv, spec)
	cmd.ExtraFiles = append([]*os.File{l.Events, l.Control}, l.Files...)
	cmd.Stdout = os.Stderr // a worker never talks on stdout; anything it prints is a diagnostic
	cmd.Stderr = os.Stderr
	if l.Pgid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: l.Pgid}
	}
	cmd.Cancel = func() error {
		switch {
		case l.Pgid == 0:
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case l.Pgid > 0:
			return syscall.Kill(-l.Pgid, syscall.SIGKILL)
		}
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", l.Spec.Proc, err)
	}
	lim := l.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if err := confine(cmd.Process.Pid, lim); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("confine worker %s: %w", l.Spec.Proc, err)
	}
	return cmd, nil
}

// Env is a worker's whole environment: its spec, PATH, and the Go
// runtime's settings the starter has (the race detector's and the
// coverage directory), nothing else of the starter's.
func Env(getenv func(string) string, spec []byte) []string {
	path := getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{"PATH=" + path}
	for _, k := range []string{"GORACE", "GOCOVERDIR"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, EnvSpec+"="+string(spec))
}

// confine sets the resource limits and the OOM score of the started
// process pid.
func confine(pid int, l Limits) error {
	for _, r := range []struct {
		res  int
		name string
		max  uint64
	}{
		{unix.RLIMIT_NOFILE, "open files", l.OpenFiles},
		{unix.RLIMIT_CPU, "CPU seconds", l.CPUSeconds},
		{unix.RLIMIT_FSIZE, "file size", l.FileBytes},
		{unix.RLIMIT_CORE, "core size", 0},
	} {
		lim := unix.Rlimit{Cur: r.max, Max: r.max}
		if err := unix.Prlimit(pid, r.res, &lim, nil); err != nil {
			return fmt.Errorf("limit %s: %w", r.name, os.NewSyscallError("prlimit", err))
		}
	}
	own, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return err
	}
	adj, err := strconv.Atoi(strings.TrimSpace(string(own)))
	if err != nil {
		return fmt.Errorf("read own oom_score_adj: %w", err)
	}
	adj = min(adj+OOMBoost, 1000)
	return os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(adj)), 0)
}

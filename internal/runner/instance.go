package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// lockFile is the file in an instance's directory that the instance keeps
// locked (flock) for as long as it runs.
const lockFile = "instance.lock"

// kernelState is what the runner keeps to live safely with the kernel: the
// lock that says this instance runs, the readiness probe's latest reading
// and the collector of stray zombies.
type kernelState struct {
	lock   *os.File // held until Shutdown; never inherited (O_CLOEXEC)
	room   roomCache
	reaper *strayReaper
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// makeInstance creates this instance's directory under stateDir, named by
// the pid and a random part, and locks its lock file. The directory is
// made under a hidden name and renamed once locked, so a sweep never meets
// an instance directory whose lock is not held yet.
func makeInstance(stateDir string) (dir string, lock *os.File, err error) {
	for range 8 {
		name := fmt.Sprintf("%d-%s", os.Getpid(), randomID(2))
		dir, lock, err = lockedDir(stateDir, name)
		if !errors.Is(err, fs.ErrExist) {
			return dir, lock, err
		}
	}
	return "", nil, err
}

func lockedDir(stateDir, name string) (string, *os.File, error) {
	tmp := filepath.Join(stateDir, "."+name)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", nil, fmt.Errorf("make instance directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(tmp, lockFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("make instance lock: %w", err)
	}
	if ok, err := ipc.TryLock(f); !ok || err != nil {
		f.Close()
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("lock instance directory: %v", err)
	}
	dir := filepath.Join(stateDir, name)
	if _, err := os.Lstat(dir); err == nil {
		f.Close()
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("instance directory %s: %w", dir, fs.ErrExist)
	}
	if err := os.Rename(tmp, dir); err != nil {
		f.Close()
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("name instance directory: %w", err)
	}
	return dir, f, nil
}

// startKernel sets up the runner's kernel state and starts collecting
// stray zombies.
func (r *Runner) startKernel(lock *os.File) {
	k := &kernelState{lock: lock, stop: make(chan struct{}), done: make(chan struct{})}
	k.room = roomCache{probe: func() kernelRoom { return probeRoom(probeQueueName(r.instance)) }, now: time.Now}
	k.reaper = &strayReaper{claimed: r.claimedGroups, log: r.log, seen: map[int]bool{}}
	r.kernel = k
	go func() {
		defer close(k.done)
		t := time.NewTicker(reapEvery)
		defer t.Stop()
		for {
			select {
			case <-k.stop:
				return
			case <-t.C:
				k.reaper.sweep()
			}
		}
	}()
}

// stopKernel stops the collector and gives up the instance's lock, once
// its directory is gone.
func (r *Runner) stopKernel() {
	k := r.kernel
	k.once.Do(func() {
		close(k.stop)
		<-k.done
		k.reaper.sweep() // what the last sessions left
		_ = ipc.MqUnlink(probeQueueName(r.instance))
		os.RemoveAll(r.instance)
		k.lock.Close()
	})
}

// reapEvery is how often stray zombies are looked for. A zombie is
// collected at its second sighting, so one lingers two periods at most.
const reapEvery = time.Second

// strayReaper collects zombie children that nobody else will: as PID 1 of
// a container, or as the subreaper the runner makes itself, the server
// inherits every orphan below it, and os/exec waits only for the processes
// it started.
//
// It must never take an exit status someone is waiting for. os/exec's Wait
// and the runner's own collection of a session's orphans (reapOrphans)
// both ask for a particular pid, so the rules are: it reads a child's state
// from /proc/PID/stat, which does not consume the status (as waitid with
// WNOWAIT would not); it leaves alone every child in the process group of
// a session that has not finished its cleanup (every process of a session
// is in its group, grandchildren included); it skips a round while a
// session is being launched, before its group is known; and it collects a
// zombie only the second time it sees it, a period apart. A child that
// os/exec waits for is collected by that wait within microseconds of its
// exit, so a zombie seen twice is one nobody waits for.
type strayReaper struct {
	claimed func() (groups map[int]bool, launching bool)
	log     *slog.Logger
	seen    map[int]bool // zombies seen at the last round

	mu     sync.Mutex // serialises rounds (the ticker's and the last one)
	reaped int        // zombies collected in all
}

func (z *strayReaper) sweep() {
	z.mu.Lock()
	defer z.mu.Unlock()
	pids, err := ipc.ChildPIDs()
	if err != nil {
		return
	}
	groups, launching := z.claimed()
	seen := map[int]bool{}
	for _, pid := range pids {
		st, err := ipc.ReadProcStat(pid)
		if err != nil || !st.Zombie() || groups[st.PGID] {
			continue
		}
		seen[pid] = true
		if launching || !z.seen[pid] {
			continue
		}
		if _, reaped, ws, err := ipc.Reap(pid); err == nil && reaped {
			z.reaped++
			z.log.Debug("collected a stray process", "pid", pid, "status", int(ws))
			delete(seen, pid)
		}
	}
	z.seen = seen
}

// claimedGroups lists the process groups of sessions that have not yet
// finished their cleanup, whose processes the session collects itself,
// and says whether a session is being launched (its group not yet known).
func (r *Runner) claimedGroups() (map[int]bool, bool) {
	r.mu.Lock()
	running := r.running
	var live []*Session
	for _, s := range r.sessions {
		select {
		case <-s.done:
		default:
			live = append(live, s)
		}
	}
	r.mu.Unlock()
	// A session's process group is set while it is launched, before the
	// runner lists it (under mu), and never changes after: reading it
	// here needs nothing from the session's owner.
	groups := map[int]bool{}
	for _, s := range live {
		if pgid := s.own.pgid; pgid > 0 {
			groups[pgid] = true
		}
	}
	return groups, running > len(live)
}

// ProcStopped reports whether process pid is stopped (SIGSTOP, SIGTSTP, or a
// tracer), from the state letter in /proc/PID/stat (T or t). It works for a
// session's every process, grandchildren included, and consumes nothing;
// waitid with WSTOPPED would report only the server's own children, and
// only once per stop. A process that is gone is not stopped.
func ProcStopped(pid int) bool {
	st, err := ipc.ReadProcStat(pid)
	return err == nil && st.Stopped()
}

package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// names hands a session's plan the names of its kernel objects. Each holds
// the instance's name (the server's pid and a random part) and the session
// id, so two servers, or two sessions, never share one; nothing from a
// request goes into a name.
type names struct {
	instance string // the instance's directory name: the server's pid and a random part
	session  string
	dir      string
}

// NamePrefix starts the name of every POSIX IPC object the server makes.
const NamePrefix = "/ipcpg."

func (n *names) Name(suffix string) string {
	return NamePrefix + n.instance + "." + n.session + "." + suffix
}

func (n *names) Path(suffix string) string { return filepath.Join(n.dir, suffix) }

// Key returns a System V key no other object uses. Keys have the top bit
// clear and are never IPC_PRIVATE (0).
func (n *names) Key() int { return int(rand.Int32N(1<<30) + 1<<30) }

// objectsFile records a session's objects in its directory, so that a
// server starting after a crash can remove them.
const objectsFile = "objects.json"

func writeObjects(dir string, objs []scenario.Object) error {
	b, err := json.Marshal(objs)
	if err != nil {
		return fmt.Errorf("encode objects: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, objectsFile), b, 0o600); err != nil {
		return fmt.Errorf("record objects: %w", err)
	}
	return nil
}

// removeObjects removes every object that still exists and returns the
// labels of those it removed. Files in the session directory go with it.
func removeObjects(objs []scenario.Object) []string {
	var removed []string
	for _, o := range objs {
		ok, err := removeObject(o)
		if err != nil {
			continue
		}
		if ok {
			removed = append(removed, o.Label)
		}
	}
	return removed
}

// removeObject removes o if it exists and says whether it did.
func removeObject(o scenario.Object) (bool, error) {
	k, ok := objKinds[o.Kind]
	if !ok {
		return false, fmt.Errorf("remove %s: unknown object kind %q", o.Label, o.Kind)
	}
	return k.remove(o)
}

// sweep removes what the server's earlier instances left: the directory of
// every instance that is no longer running, with the kernel objects its
// sessions recorded. It returns how many objects it removed.
//
// An instance is known to be running by the lock it holds on its lock file
// for its whole life, not by its pid: in a container the server is PID 1
// after every restart, and pid 1 is always alive. A directory whose lock
// the sweep can take belongs to an instance that died; the sweep holds the
// lock while it clears the directory, so two servers starting at once do
// not both clear it. A directory named by a pid alone, from before the
// lock, is judged by whether that pid runs.
func sweep(stateDir string, log *slog.Logger) int {
	entries, err := os.ReadDir(stateDir)
	if err != nil {
		return 0
	}
	n := 0
	for _, inst := range entries {
		if !inst.IsDir() {
			continue
		}
		dir := filepath.Join(stateDir, inst.Name())
		lock, dead := takeLock(dir)
		if lock == nil && !dead {
			continue
		}
		n += sweepInstance(dir, log)
		os.RemoveAll(dir)
		if lock != nil {
			lock.Close()
		}
	}
	return n
}

// takeLock says whether the instance of dir is dead, and if it had a lock
// file, returns it locked.
func takeLock(dir string) (lock *os.File, dead bool) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		// A directory named by a pid alone is from before the lock. This
		// process makes none such, so one named by its own pid (1, in a
		// container) is a dead predecessor's.
		pid, perr := strconv.Atoi(filepath.Base(dir))
		return nil, perr == nil && errors.Is(err, fs.ErrNotExist) && (pid == os.Getpid() || !alive(pid))
	}
	ok, err := ipc.TryLock(f)
	if !ok || err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// sweepInstance removes the kernel objects every session of a dead
// instance recorded, and the queue its readiness probe may have left.
func sweepInstance(dir string, log *slog.Logger) int {
	_ = ipc.MqUnlink(probeQueueName(dir))
	n := 0
	sessions, _ := os.ReadDir(dir)
	for _, s := range sessions {
		b, err := os.ReadFile(filepath.Join(dir, s.Name(), objectsFile))
		if err != nil {
			continue
		}
		var objs []scenario.Object
		if json.Unmarshal(b, &objs) != nil {
			continue
		}
		removed := removeObjects(objs)
		n += len(removed)
		if len(removed) > 0 {
			log.Info("swept session", "instance", filepath.Base(dir), "session", s.Name(), "objects", removed)
		}
	}
	return n
}

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// checkOwnDir refuses a state directory another user owns or can write,
// since the server would trust what it finds there.
func checkOwnDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state directory %s must belong to this user and not be writable by others", dir)
	}
	return nil
}

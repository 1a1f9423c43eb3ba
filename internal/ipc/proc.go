package ipc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ProcStat is what /proc/PID/stat says about a process that this package's
// callers need: its state letter and its process group.
type ProcStat struct {
	State byte // R running, S sleeping, D disk, Z zombie, T stopped by a signal, t stopped by a tracer
	PPID  int
	PGID  int
}

// Zombie says whether the process has exited and waits for its parent to
// collect its status.
func (s ProcStat) Zombie() bool { return s.State == 'Z' }

// Stopped says whether the process is stopped: by SIGSTOP, SIGTSTP,
// SIGTTIN or SIGTTOU (T), or by a tracer (t). A stopped process runs no
// code until SIGCONT, so a session waiting on it waits for ever.
func (s ProcStat) Stopped() bool { return s.State == 'T' || s.State == 't' }

// ReadProcStat reads /proc/PID/stat. It works for any process the caller
// can see, not only its children (waitid with WSTOPPED reports only those),
// and it does not consume a zombie's exit status. A process that is gone is
// an error wrapping unix.ESRCH.
func ReadProcStat(pid int) (ProcStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return ProcStat{}, fmt.Errorf("process %d: %w", pid, unix.ESRCH)
	}
	if err != nil {
		return ProcStat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return parseProcStat(data)
}

// parseProcStat reads "pid (comm) state ppid pgrp ...". The command name may
// hold spaces and parentheses, so the fields start after the last ')'.
func parseProcStat(data []byte) (ProcStat, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return ProcStat{}, fmt.Errorf("/proc stat %q: no command name", data)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return ProcStat{}, fmt.Errorf("/proc stat %q: too few fields", data)
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return ProcStat{}, fmt.Errorf("/proc stat %q: %w", data, err)
	}
	return ProcStat{State: f[0][0], PPID: ppid, PGID: pgid}, nil
}

// ChildPIDs lists this process's children, started by it or inherited as a
// subreaper or as PID 1, from /proc/self/task/*/children (each thread's
// own). Where the kernel does not offer that file it scans every process's
// parent instead.
func ChildPIDs() ([]int, error) {
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err == nil && len(tasks) > 0 {
		var out []int
		for _, t := range tasks {
			data, err := os.ReadFile(t)
			if err != nil {
				continue // the thread has exited
			}
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					out = append(out, pid)
				}
			}
		}
		return out, nil
	}
	return scanChildren(os.Getpid())
}

func scanChildren(self int) ([]int, error) {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []int
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadProcStat(pid); err == nil && st.PPID == self {
			out = append(out, pid)
		}
	}
	return out, nil
}

// ChildSubreaper says whether this process collects its orphaned
// descendants (PR_SET_CHILD_SUBREAPER), as PID 1 of a namespace always does.
//
//	int prctl(PR_GET_CHILD_SUBREAPER, int *arg2);
func ChildSubreaper() (bool, error) {
	if os.Getpid() == 1 {
		return true, nil
	}
	var v int32
	err := getChildSubreaper(&v)
	return v != 0, syscallErr("prctl PR_GET_CHILD_SUBREAPER", err)
}

// TryLock takes an exclusive flock on f without waiting, and says whether
// it got it. The lock belongs to the open file, so it lasts while f stays
// open in this process and goes when the process dies, however it dies.
//
//	int flock(int fd, LOCK_EX | LOCK_NB);
func TryLock(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = ignoringEINTR(func() error { return unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) })
	}); err != nil {
		return false, err
	}
	if lerr == unix.EWOULDBLOCK {
		return false, nil
	}
	return lerr == nil, syscallErr("flock", lerr)
}

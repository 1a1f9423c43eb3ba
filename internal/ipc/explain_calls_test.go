package ipc

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExplainNamesTheLimitOfTheCall(t *testing.T) {
	for _, c := range []struct {
		err   error
		want  string
		errno string
	}{
		{os.NewSyscallError("fallocate", unix.ENOSPC), "/dev/shm is full", "ENOSPC"},
		{os.NewSyscallError("mq_open", unix.EMFILE), "RLIMIT_MSGQUEUE", "EMFILE"},
		{os.NewSyscallError("mq_open", unix.ENOSPC), "fs.mqueue.queues_max", "ENOSPC"},
		{os.NewSyscallError("msgget", unix.ENOSPC), "kernel.msgmni", "ENOSPC"},
		{os.NewSyscallError("semget", unix.ENOSPC), "kernel.sem", "ENOSPC"},
		{os.NewSyscallError("shmget", unix.ENOSPC), "kernel.shmmni", "ENOSPC"},
		// Calls without words of their own keep the general ones.
		{os.NewSyscallError("write", unix.ENOSPC), "a system-wide limit", "ENOSPC"},
	} {
		text, errno := Explain(c.err)
		if !strings.Contains(text, c.want) || errno != c.errno {
			t.Errorf("Explain(%v) = %q, %q; want it to say %q, and %s", c.err, text, errno, c.want, c.errno)
		}
	}
}

package runner

import (
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// reapGroupLeft collects whatever is left of the session's process group
// once its known processes are accounted for: processes a worker started
// that are no process of the plan (the compare scenarios' measuring
// pairs), which the server inherited as subreaper when their parent was
// killed. The group was killed already; without this they would stay
// zombies of the server. It gives them two seconds to die.
func (s *Session) reapGroupLeft() {
	if s.own.pgid <= 0 {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		pid, none, err := ipc.ReapGroup(s.own.pgid)
		switch {
		case none || err != nil:
			return
		case pid > 0:
			continue
		case time.Now().After(deadline):
			s.runner.log.Warn("processes of the session's group still run", "session", s.ID)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package runner

import (
	"slices"
	"strings"
)

// Sessions returns every session the runner keeps, running or ended and
// not yet forgotten, oldest first, for the operator's view.
func (r *Runner) Sessions() []*Session {
	r.mu.Lock()
	list := make([]*Session, 0, len(r.sessions))
	for _, s := range r.sessions {
		list = append(list, s)
	}
	r.mu.Unlock()
	slices.SortFunc(list, func(a, b *Session) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return list
}

// Ended reports whether the session has ended and cleaned up.
func (s *Session) Ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

package runner

// Stats is what the runner holds at one moment, for the server's metrics.
type Stats struct {
	// MaxSessions is how many sessions may run at once; Running how many
	// hold a slot now (starting, running, or stopping and cleaning up).
	MaxSessions int
	Running     int
	// States counts the sessions kept, running or ended, by state.
	States map[string]int
	// Processes counts the processes of running sessions that have not
	// exited.
	Processes int
	// Events counts the events recorded by every session kept.
	Events int
	// Objects counts, by kind, the kernel objects of sessions not yet
	// cleaned up.
	Objects map[string]int
	// RecordingBytes is how much the recordings take on disk, and
	// Recordings how many there are.
	RecordingBytes int64
	Recordings     int
}

// Stats counts what the runner holds. Each session is read under its own
// lock, one at a time, never under the runner's.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	st := Stats{MaxSessions: r.cfg.MaxSessions, Running: r.running, States: map[string]int{}, Objects: map[string]int{}}
	r.mu.Unlock()
	st.RecordingBytes = r.RecordingBytes()
	_, st.Recordings = r.store.List(0, 0)
	for _, s := range r.Sessions() {
		snap := s.Snapshot()
		st.States[snap.State]++
		st.Events += snap.Events
		if s.Ended() {
			continue
		}
		for _, p := range snap.Processes {
			if p.State != ProcExited {
				st.Processes++
			}
		}
		for _, o := range s.plan.Objects {
			st.Objects[o.Kind]++
		}
	}
	return st
}

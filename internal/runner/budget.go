package runner

import "time"

// budget is a session's time limit. It runs only while the session runs:
// a class that pauses to talk does not lose its session to the clock. It
// holds no clock of its own; the caller says what time it is.
type budget struct {
	limit time.Duration // the whole allowance
	warn  time.Duration // how long before the end the session is told
	used  time.Duration // spent in earlier runs
	since time.Time     // when the current run began; zero while paused
}

// pause stops the clock at now.
func (b *budget) pause(now time.Time) {
	if !b.since.IsZero() {
		b.used += now.Sub(b.since)
		b.since = time.Time{}
	}
}

// resume starts the clock at now.
func (b *budget) resume(now time.Time) {
	if b.since.IsZero() {
		b.since = now
	}
}

// left is what remains of the allowance at now.
func (b *budget) left(now time.Time) time.Duration {
	used := b.used
	if !b.since.IsZero() {
		used += now.Sub(b.since)
	}
	return b.limit - used
}

// next is how long from now until the budget next has something to say:
// the warning, unless given already, or the end. It reports false while
// the clock is stopped.
func (b *budget) next(now time.Time, warned bool) (time.Duration, bool) {
	if b.since.IsZero() {
		return 0, false
	}
	left := b.left(now)
	if !warned {
		return max(left-b.warn, 0), true
	}
	return max(left, 0), true
}

package runner

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// watchedProc is a process whose pending signals the sampler reads: one a
// signal of the session was sent to.
type watchedProc struct {
	name string
	pid  int
}

// noteSignalTarget adds the process a signal event names to those whose
// pending signals the sampler reads. Only the owner calls it; the sampler
// reads the list it publishes.
func (s *Session) noteSignalTarget(e *event.Event) {
	o := &s.own
	p := o.procs.find(e.Peer)
	if p == nil || p.PID <= 0 || p.State == ProcExited || slices.ContainsFunc(o.watched, func(w watchedProc) bool { return w.name == p.Name }) {
		return
	}
	// Copies, never writes in place: the sampler may hold the list
	// published before.
	o.watched = append(slices.Clip(o.watched), watchedProc{p.Name, p.PID})
	list := o.watched
	s.watchList.Store(&list)
}

// forgetSignalTarget stops reading the pending signals of a process that
// has ended: its pid may soon name another process.
func (s *Session) forgetSignalTarget(name string) {
	o := &s.own
	i := slices.IndexFunc(o.watched, func(w watchedProc) bool { return w.name == name })
	if i < 0 {
		return
	}
	o.watched = slices.Delete(slices.Clone(o.watched), i, i+1)
	list := o.watched
	s.watchList.Store(&list)
}

// readPending reads which signals wait for a process, as the kernel keeps
// them in /proc/PID/status: SigPnd (sent to one of its threads) and ShdPnd
// (sent to the process, as sigqueue and kill do), together; and SigBlk of
// its first thread. A process that has ended has none.
func readPending(w watchedProc) (event.Event, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.pid))
	if err != nil {
		return event.Event{}, false
	}
	pending, blocked, ok := parsePending(b)
	if !ok {
		return event.Event{}, false
	}
	return event.Event{Kind: event.KindSample, Proc: w.name, PID: w.pid,
		Attrs: map[string]any{event.AttrSigPending: pending, event.AttrSigBlocked: blocked}}, true
}

// parsePending reads the pending and blocked signal numbers, in order,
// from the text of /proc/PID/status.
func parsePending(status []byte) (pending, blocked []int, ok bool) {
	var pnd, shd, blk uint64
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, found := bytes.Cut(sc.Bytes(), []byte(":"))
		if !found {
			continue
		}
		var dst *uint64
		switch string(k) {
		case "SigPnd":
			dst = &pnd
		case "ShdPnd":
			dst = &shd
		case "SigBlk":
			dst = &blk
		default:
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
		if err != nil {
			return nil, nil, false
		}
		*dst = n
		seen++
	}
	if seen != 3 {
		return nil, nil, false
	}
	return signalsOf(pnd | shd), signalsOf(blk), true
}

// signalsOf lists the signal numbers of a mask: bit n-1 is signal n.
func signalsOf(mask uint64) []int {
	out := []int{}
	for n := 1; n <= 64; n++ {
		if mask&(1<<(n-1)) != 0 {
			out = append(out, n)
		}
	}
	return out
}

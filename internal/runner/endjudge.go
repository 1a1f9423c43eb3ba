package runner

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// ending is how one process of the session ended.
type ending struct {
	name string
	pid  int
	code int
	sig  string
}

// endingOf reads a worker's record of a process it collected.
func endingOf(e event.Event) ending {
	en := ending{name: e.Proc, pid: e.PID, sig: e.Sig}
	if e.Code != nil {
		en.code = *e.Code
	}
	return en
}

// how says in words how the process ended.
func (en ending) how() string {
	if en.sig != "" {
		return "was killed by " + en.sig
	}
	return fmt.Sprintf("exited with code %d", en.code)
}

// failed reports whether the process ended any way but by finishing its
// role.
func (en ending) failed() bool { return en.sig != "" || en.code != 0 }

// endJudge decides how a session ends, from how each process ended and
// what the server itself did: a stop, the time limit, a kill to break a
// deadlock. It holds no clock and starts nothing.
type endJudge struct {
	independent bool            // the plan's processes go on without each other
	tolerate    map[string]bool // may end by a signal without failing the session
	endings     map[string]ending
	loss        *ending // the first process that ended before its part was done
	failed      string  // the first reason the session failed
	stopWhy     string  // why the presenter or the server stopped it
	endWhy      string  // why the server killed what still ran: a loss, the time limit
	exitTaken   map[string]bool
}

func newEndJudge(independent bool, tolerate []string) *endJudge {
	j := &endJudge{independent: independent, tolerate: map[string]bool{}, endings: map[string]ending{},
		exitTaken: map[string]bool{}}
	for _, name := range tolerate {
		j.tolerate[name] = true
	}
	return j
}

// ended notes the end of a process that the server started (direct) or
// that a worker started. It returns why this end fails the session, or ""
// if it does not, and whether it is the session's loss: the first untimely
// end, after which the others get a moment before the server ends them.
func (j *endJudge) ended(en ending, direct bool) (why string, loss bool) {
	j.endings[en.name] = en
	switch {
	case !en.failed(), j.stopWhy != "", j.endWhy != "":
		return "", false
	case j.tolerate[en.name]:
		return "", false // the server killed it on purpose
	case !direct && j.independent:
		return "", false // the others go on; its parent judges its end
	}
	why = en.name + " " + en.how()
	if direct && j.failed == "" {
		j.failed = why
	}
	if j.loss == nil {
		j.loss = &en
		return why, !j.independent
	}
	return why, false
}

// fail notes a reason the session fails, unless one is known already.
func (j *endJudge) fail(why string) {
	if j.failed == "" {
		j.failed = why
	}
}

// stop notes why the session is being stopped; the first reason stays.
func (j *endJudge) stop(why string) {
	if j.stopWhy == "" {
		j.stopWhy = why
	}
}

// endAll notes why the server kills what still runs; the first reason
// stays.
func (j *endJudge) endAll(why string) {
	if j.endWhy == "" {
		j.endWhy = why
	}
}

// lossEndWhy is why the server ends what still runs after name's loss.
func lossEndWhy(name string) string { return "the session could not go on without " + name }

// verdict is the session's last state and, if it failed, why.
func (j *endJudge) verdict() (state, why string) {
	why = j.failed
	if j.loss != nil {
		// What the others did next followed from the loss.
		why = j.loss.name + " " + j.loss.how()
		if j.endWhy == lossEndWhy(j.loss.name) {
			why += " before its part was done; the others were left waiting for it, so the server ended them"
		}
	}
	switch {
	case j.stopWhy != "":
		return event.StateStopped, why
	case why != "":
		return event.StateFailed, why
	}
	return event.StateFinished, ""
}

// markServerKill marks the exit of a process the server killed to end the
// session itself (a stop, the time limit, or a loss that left it waiting):
// attrs.ended_by is "server", and unless the exit says more already, its
// text says why. The process whose loss ended the session, and a
// deadlock's victim, keep their own account.
func (j *endJudge) markServerKill(e *event.Event) {
	if e.Kind != event.KindExit {
		return
	}
	j.exitTaken[e.Proc] = true
	why := cmp.Or(j.endWhy, j.stopWhy)
	if e.Sig != "SIGKILL" || why == "" || j.tolerate[e.Proc] || (j.loss != nil && j.loss.name == e.Proc) {
		return
	}
	attrs := maps.Clone(e.Attrs)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[event.AttrEndedBy] = "server"
	e.Attrs = attrs
	if e.Text == "" {
		e.Text = "the server ended it: " + why
	}
}

// unreported lists, in the table's order, the processes whose end the
// server learned of but whose exit was never logged: their parent collected
// them and was itself ended before it could say so.
func (j *endJudge) unreported(t *procTable) []ending {
	var out []ending
	for _, p := range t.procs {
		if en, ok := j.endings[p.Name]; ok && !j.exitTaken[p.Name] {
			out = append(out, en)
		}
	}
	return out
}

// tolerated lists the processes that may end by a signal, sorted.
func (j *endJudge) tolerated() []string {
	return slices.Sorted(maps.Keys(j.tolerate))
}

package runner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// waitNote is a note saying that a process waits for its child to end.
type waitNote struct {
	seq      uint64
	proc     string
	pid      int
	child    string
	childPID int
	text     string
}

// waitNotes returns the notes of evs that say a process waits for a child,
// and fails the test on one whose attributes are not those of the API.
func waitNotes(t *testing.T, evs []event.Event) []waitNote {
	t.Helper()
	var out []waitNote
	for _, e := range evs {
		if _, ok := e.Attrs["waits_for"]; !ok {
			continue
		}
		child, _ := e.Attrs["waits_for"].(string)
		pid, _ := e.Attrs["child_pid"].(float64) // numbers come back from JSON
		if e.Kind != event.KindNote || e.Proc == "" || e.PID == 0 || child == "" || pid == 0 || e.Text == "" {
			t.Fatalf("seq %d: %+v is not a note from a process with waits_for, child_pid and text", e.Seq, e)
		}
		out = append(out, waitNote{seq: e.Seq, proc: e.Proc, pid: e.PID, child: child, childPID: int(pid), text: e.Text})
	}
	return out
}

// spawnsAndExits returns each process's pid from its spawn, and the seq of
// its exit.
func spawnsAndExits(evs []event.Event) (pids map[string]int, exits map[string]uint64) {
	pids, exits = map[string]int{}, map[string]uint64{}
	for _, e := range evs {
		switch e.Kind {
		case event.KindSpawn:
			pids[e.Proc] = e.PID
		case event.KindExit:
			exits[e.Proc] = e.Seq
		}
	}
	return pids, exits
}

// checkWaitNotes checks each note against the log: it comes from the
// child's parent, names the child's real pid, and is logged before the
// child's exit, which ends the wait.
func checkWaitNotes(t *testing.T, evs []event.Event, notes []waitNote) {
	t.Helper()
	pids, exits := spawnsAndExits(evs)
	for _, n := range notes {
		if n.pid != pids[n.proc] {
			t.Errorf("seq %d: the note says pid %d, %s has pid %d", n.seq, n.pid, n.proc, pids[n.proc])
		}
		if n.childPID != pids[n.child] {
			t.Errorf("seq %d: the note says %s has pid %d, its spawn says %d", n.seq, n.child, n.childPID, pids[n.child])
		}
		if !strings.Contains(n.text, n.child) {
			t.Errorf("seq %d: the note's text %q does not name %s", n.seq, n.text, n.child)
		}
		if exits[n.child] == 0 || exits[n.child] < n.seq {
			t.Errorf("seq %d: %s waits for %s, whose exit is logged at seq %d", n.seq, n.proc, n.child, exits[n.child])
		}
	}
}

// TestParentWaitsForWorkers runs the race, whose parent starts the workers
// and then waits for each in turn. The workers meet at a start line that
// the last one reaches only after the parent has started it, so worker-1
// still runs when the parent begins to wait for it: the log must say that
// the parent waits for worker-1, before worker-1's exit, and never as a
// block.
func TestParentWaitsForWorkers(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "race", map[string]any{"workers": 3, "increments": 20000}, "realtime")
	evs := waitDone(t, s, 30*time.Second)
	if last := evs[len(evs)-1]; last.State != event.StateFinished {
		t.Fatalf("the session ended %s: %s", last.State, last.Result)
	}
	notes := waitNotes(t, evs)
	checkWaitNotes(t, evs, notes)
	if len(notes) == 0 || notes[0].proc != "parent" || notes[0].child != "worker-1" {
		t.Fatalf("notes %+v: the first should say that parent waits for worker-1", notes)
	}
	for _, e := range evs {
		if e.Proc == "parent" && (e.Kind == event.KindBlock || e.Kind == event.KindUnblock) {
			t.Errorf("seq %d: the parent's wait is reported as %s", e.Seq, e.Kind)
		}
	}
	for _, n := range notes {
		t.Logf("seq %d: %s", n.seq, n.text)
	}
}

// TestParentWaitLeavesDeadlockAlone runs the deadlock, whose parent waits
// for the two workers while they wait for each other. The parent's wait
// is told, and the detector still finds the cycle of the two workers
// alone, breaks it, and gives the same result.
func TestParentWaitLeavesDeadlockAlone(t *testing.T) {
	r := newTestRunner(t)
	for _, resource := range []string{"semaphores", "pipes"} {
		t.Run(resource, func(t *testing.T) {
			s := startScenario(t, r, "deadlock", map[string]any{"resource": resource, "order": "opposite"}, "realtime")
			evs := waitDone(t, s, 30*time.Second)
			notes := waitNotes(t, evs)
			checkWaitNotes(t, evs, notes)
			if !slices.ContainsFunc(notes, func(n waitNote) bool { return n.proc == "parent" && n.child == "worker-1" }) {
				t.Errorf("no note says that parent waits for worker-1: %+v", notes)
			}
			var cycles [][]string
			for _, e := range evs {
				if e.Kind == event.KindDeadlock {
					var procs []string
					for _, w := range e.Cycle {
						procs = append(procs, w.Proc, w.Holder)
					}
					slices.Sort(procs)
					cycles = append(cycles, slices.Compact(procs))
				}
			}
			if len(cycles) != 1 || !slices.Equal(cycles[0], []string{"worker-1", "worker-2"}) {
				t.Fatalf("deadlocks found %v, want one of worker-1 and worker-2", cycles)
			}
			res := s.Snapshot().Result
			victim, _ := res["victim"].(string)
			survivor := map[string]string{"worker-1": "worker-2", "worker-2": "worker-1"}[victim]
			if res["deadlock"] != true || survivor == "" || fmt.Sprint(res["finished"]) != "["+survivor+"]" {
				t.Fatalf("result %v, want the deadlock broken by killing one worker, and the other finished", res)
			}
			for _, n := range notes {
				t.Logf("seq %d: %s", n.seq, n.text)
			}
			t.Logf("result %v", res)
		})
	}
}

// TestParentWaitOnlyWhenTheRoleWaits runs a POSIX queue whose owner collects
// the others from goroutines of its own, started with them, while it goes
// on sending: the owner never sleeps in those waits, and nothing may say it
// does.
func TestParentWaitOnlyWhenTheRoleWaits(t *testing.T) {
	r := newTestRunner(t)
	s := startScenario(t, r, "mq-posix", map[string]any{"producers": 1, "consumers": 2, "messages": 20}, "realtime")
	evs := waitDone(t, s, 30*time.Second)
	if notes := waitNotes(t, evs); len(notes) != 0 {
		t.Fatalf("notes %+v: the owner was never asleep waiting for a child", notes)
	}
}

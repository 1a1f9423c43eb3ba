package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/moment"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// peerCase is one process killed from outside in the middle of a session.
type peerCase struct {
	scenario string
	params   map[string]any
	victim   string
	pace     string // slow when empty
	// stuck says that without the victim the others would wait for ever:
	// the server itself must end them, and say why.
	stuck bool
}

// peerCases kill, in every scenario, a process the others need. In slow
// pace each call waits its turn, so every session is still in the middle
// of its work when the victim dies; in realtime a slow server and small
// buffers keep the clients busy.
var peerCases = []peerCase{
	{"socket-unix", map[string]any{"messages": 40}, "client-1", "", true},
	{"socket-unix", map[string]any{"messages": 40, "mode": "datagram"}, "client-2", "", true},
	{"socket-unix", map[string]any{"messages": 2000, "mode": "datagram", "reader_delay_ms": 5}, "client-1", "realtime", true},
	{"socket-tcp", map[string]any{"messages": 40}, "client-1", "", true},
	{"socket-tcp", map[string]any{"messages": 2000, "buffer": 4096, "reader_delay_ms": 5}, "client-2", "realtime", true},
	{"socket-tcp", map[string]any{"messages": 40}, "server", "", false},
	{"socket-udp", map[string]any{"messages": 40}, "client-1", "", true},
	{"signal", map[string]any{"signals": 40}, "sender", "", true},
	{"signal", map[string]any{"signals": 40}, "receiver", "", false},
	{"pipe", map[string]any{"messages": 40}, "child", "", false},
	{"fifo", map[string]any{"messages": 40}, "reader", "", false},
	{"fifo", map[string]any{"messages": 40}, "writer", "", false},
	{"mq-posix", map[string]any{"messages": 40}, "consumer-1", "", false},
	{"mq-sysv", map[string]any{"messages": 40}, "consumer-2", "", false},
	{"shm-posix", map[string]any{"messages": 40}, "reader", "", false},
	{"shm-sysv", map[string]any{"messages": 40}, "writer", "", false},
	{"semaphore", map[string]any{"processes": 2, "permits": 1, "rounds": 10}, "worker-1", "", false},
	{"race", map[string]any{"workers": 2, "increments": 20, "sync": "semaphore"}, "worker-2", "", true},
	{"deadlock", map[string]any{"order": "same", "hold_ms": 1000}, "worker-1", "", false},
}

// TestPeerDies kills one process of a running session from outside, as a
// student may, and checks that the session ends soon after (well before
// its time limit), says who ended it, leaves no process behind and no
// kernel object.
func TestPeerDies(t *testing.T) {
	r := newTestRunner(t)
	for _, tc := range peerCases {
		name := tc.scenario
		if mode, ok := tc.params["mode"]; ok {
			name += fmt.Sprintf("-%v", mode)
		}
		pace := cmp.Or(tc.pace, "slow")
		t.Run(name+"/"+pace+"/"+tc.victim, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s := startScenario(t, r, tc.scenario, tc.params, pace)
			t.Cleanup(func() {
				s.Stop("the test is over")
				<-s.Done()
			})
			at, err := awaitEvent(ctx, s, func(e *event.Event) bool { return e.Proc == tc.victim && atWork(e) })
			if err != nil {
				t.Fatalf("waiting for %s to start its work: %v", tc.victim, err)
			}
			pid := at.PID
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill %s (pid %d): %v", tc.victim, pid, err)
			}
			killed := time.Now()
			select {
			case <-s.Done():
				t.Logf("killed %s (pid %d) after its %s event; the session ended %v later",
					tc.victim, pid, at.Kind, time.Since(killed).Round(time.Millisecond))
			case <-ctx.Done():
				t.Fatalf("the session still runs %v after %s was killed: %+v",
					time.Since(killed).Round(time.Millisecond), tc.victim, s.Snapshot().Processes)
			}
			checkPeerEnd(t, s, tc, pid)
		})
	}
}

// atWork says the event shows its process making the calls of its role,
// past its start.
func atWork(e *event.Event) bool {
	switch e.Kind {
	case event.KindSpawn, event.KindSleep, event.KindReady, event.KindNote, event.KindSample, event.KindExit:
		return false
	}
	return e.PID > 0
}

// awaitEvent waits for the first logged event that matches.
func awaitEvent(ctx context.Context, s *Session, match func(*event.Event) bool) (event.Event, error) {
	for next := uint64(1); ; {
		evs, more, done := s.Events(next)
		for i := range evs {
			if match(&evs[i]) {
				return evs[i], nil
			}
		}
		next += uint64(len(evs))
		if done {
			return event.Event{}, errors.New("the session ended first")
		}
		select {
		case <-more:
		case <-ctx.Done():
			return event.Event{}, ctx.Err()
		}
	}
}

// checkPeerEnd checks how a session whose process was killed ended.
func checkPeerEnd(t *testing.T, s *Session, tc peerCase, pid int) {
	t.Helper()
	evs, _, _ := s.Events(1)
	snap := s.Snapshot()
	// In an independent session the others go on, and the victim's
	// parent says whether its end fails the session.
	if !s.plan.Independent {
		if snap.State != event.StateFailed {
			t.Errorf("state %s, want %s (result %v)", snap.State, event.StateFailed, snap.Result)
		}
		why, _ := snap.Result["error"].(string)
		if !strings.Contains(why, tc.victim) {
			t.Errorf("the result's error %q does not name %s", why, tc.victim)
		}
		if tc.stuck && !strings.Contains(why, "so the server ended them") {
			t.Errorf("the result's error %q does not say that the server ended the others", why)
		}
	}
	if tc.scenario == "deadlock" && (snap.Result["deadlock"] != false || snap.Result["victim"] != "") {
		t.Errorf("result %v: the server broke no deadlock, and %s was killed from outside", snap.Result, tc.victim)
	}
	exits := map[string]int{}
	explained := false
	for _, e := range evs {
		if e.Kind == event.KindExit {
			exits[e.Proc]++
			if exits[e.Proc] > 1 {
				t.Logf("seq %d: %+v", e.Seq, e)
			}
			if e.Proc == tc.victim && e.Sig != "SIGKILL" {
				t.Errorf("%s's exit says code %v, signal %q; it was killed by SIGKILL", e.Proc, e.Code, e.Sig)
			}
			// The survivors the server killed say so; the victim does not.
			byServer := e.Attrs["ended_by"] == "server"
			if e.Proc == tc.victim && byServer || tc.stuck && e.Sig == "SIGKILL" && e.Proc != tc.victim && !byServer {
				t.Errorf("%s's exit (%s) says ended_by %v", e.Proc, e.Text, e.Attrs["ended_by"])
			}
		}
		if e.Kind == event.KindNote && e.Proc == "" && strings.Contains(e.Text, fmt.Sprintf("%s (pid %d)", tc.victim, pid)) {
			explained = true
			t.Logf("note: %s", e.Text)
		}
	}
	for _, p := range snap.Processes {
		if exits[p.Name] != 1 {
			t.Errorf("%s has %d exit events, want 1", p.Name, exits[p.Name])
		}
	}
	if tc.stuck && !explained {
		t.Errorf("no note from the server says that %s (pid %d) ended", tc.victim, pid)
	}
	for _, p := range snap.Processes {
		waitGone(t, p.PID)
	}
	for _, o := range s.plan.Objects {
		if left, err := objectLeft(o); left || err != nil {
			t.Errorf("%s is still there (%v)", o.Label, err)
		}
	}
}

// waitGone waits until no process, zombie included, has pid.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			t.Fatalf("process %d is still there: %s", pid, stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// objectLeft asks the kernel whether o still exists.
func objectLeft(o scenario.Object) (bool, error) {
	switch o.Kind {
	case scenario.ObjMqPosix:
		return ipc.MqExists(o.Name)
	case scenario.ObjShmPosix:
		return ipc.ShmExists(o.Name)
	case scenario.ObjMsgSysV:
		return ipc.MsgKeyExists(o.Key)
	case scenario.ObjShmSysV:
		return ipc.ShmKeyExists(o.Key)
	case scenario.ObjSemSysV:
		return ipc.SemKeyExists(o.Key)
	case scenario.ObjFIFO, scenario.ObjSocketDir:
		_, err := os.Lstat(o.Name)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

// bareSession is a session with no processes behind it, for testing how it
// judges the ends it hears of.
func bareSession(t *testing.T, pace string, plan scenario.Plan, procs ...*ProcInfo) *Session {
	t.Helper()
	store, err := eventlog.Open(t.TempDir(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := store.Create(eventlog.Meta{ID: "0123456789ab", Scenario: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{Pace: pace, plan: plan, log: l, runner: &Runner{log: slog.New(slog.DiscardHandler)}}
	s.own = owned{ord: newOrderer(), judge: newEndJudge(plan.Independent, plan.Tolerate), det: newDeadlockDetector(), moments: moment.New("test"),
		ctl: map[string]*controlPipe{}, speed: 1, doneRec: map[string]bool{}, stopped: map[string]time.Time{}}
	s.own.procs.procs = procs
	return s
}

func TestEndedJudgesTheLoss(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plan   scenario.Plan
		en     ending
		direct bool
		why    string
		lost   bool
	}{
		{"killed child", scenario.Plan{}, ending{name: "sender", pid: 7, sig: "SIGKILL"}, false,
			"sender was killed by SIGKILL", true},
		{"failed process", scenario.Plan{}, ending{name: "reader", pid: 7, code: 1}, true,
			"reader exited with code 1", true},
		{"finished child", scenario.Plan{}, ending{name: "client-1", pid: 7}, false, "", false},
		{"tolerated", scenario.Plan{Tolerate: []string{"worker-1"}}, ending{name: "worker-1", pid: 7, sig: "SIGKILL"}, false,
			"", false},
		{"independent child", scenario.Plan{Independent: true}, ending{name: "worker-1", pid: 7, sig: "SIGKILL"}, false,
			"", false},
		{"independent, started by the server", scenario.Plan{Independent: true}, ending{name: "parent", pid: 7, code: 1}, true,
			"parent exited with code 1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newEndJudge(tc.plan.Independent, tc.plan.Tolerate)
			why, lost := j.ended(tc.en, tc.direct)
			if why != tc.why {
				t.Errorf("why %q, want %q", why, tc.why)
			}
			if lost != tc.lost {
				t.Errorf("a loss: %v, want %v", lost, tc.lost)
			}
		})
	}
}

// TestVerdict checks how the end judge sums a session up.
func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name  string
		do    func(j *endJudge)
		state string
		why   string
	}{
		{"all finished", func(j *endJudge) { j.ended(ending{name: "a"}, true) }, event.StateFinished, ""},
		{"one failed", func(j *endJudge) { j.ended(ending{name: "a", code: 2}, true) }, event.StateFailed,
			"a exited with code 2"},
		{"a loss ended the others", func(j *endJudge) {
			j.ended(ending{name: "a", sig: "SIGKILL"}, false)
			j.endAll(lossEndWhy("a"))
			j.ended(ending{name: "b", sig: "SIGKILL"}, true)
		}, event.StateFailed, "a was killed by SIGKILL before its part was done; the others were left waiting for it, so the server ended them"},
		{"stopped", func(j *endJudge) {
			j.stop("the presenter stopped the session")
			j.ended(ending{name: "a", sig: "SIGKILL"}, true)
		}, event.StateStopped, ""},
		{"the first stop reason stays", func(j *endJudge) {
			j.stop("first")
			j.stop("second")
		}, event.StateStopped, ""},
		{"time limit", func(j *endJudge) {
			j.fail("the session ran longer than its limit")
			j.endAll("limit")
			j.ended(ending{name: "a", sig: "SIGKILL"}, true)
		}, event.StateFailed, "the session ran longer than its limit"},
		{"a deadlock victim is no failure", func(j *endJudge) {
			j.tolerate["w1"] = true
			j.ended(ending{name: "w1", sig: "SIGKILL"}, false)
			j.ended(ending{name: "parent"}, true)
		}, event.StateFinished, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newEndJudge(false, nil)
			tc.do(j)
			state, why := j.verdict()
			if state != tc.state || why != tc.why {
				t.Fatalf("verdict %s %q, want %s %q", state, why, tc.state, tc.why)
			}
		})
	}
}

// TestAfterGraceWaitsForSteps checks that in step mode the server lets a
// process that waits for the presenter's step take it: the step may show
// what the loss does to it. Once none waits for a step, the server ends
// the session and says why.
func TestAfterGraceWaitsForSteps(t *testing.T) {
	receiver := &ProcInfo{Name: "receiver", PID: 10, State: ProcReady, Call: "read"}
	s := bareSession(t, "step", scenario.Plan{}, receiver, &ProcInfo{Name: "sender", PID: 11, Parent: "receiver"})
	s.ended(ending{name: "sender", pid: 11, sig: "SIGKILL"}, false)
	if s.afterGrace() == nil {
		t.Fatal("the server ended the session while receiver waited for a step")
	}
	receiver.State = ProcBlocked
	if s.afterGrace() != nil {
		t.Fatal("the server waits on though nobody can take a step")
	}
	s.commit()
	evs, _, _ := s.Events(1)
	if len(evs) != 1 || evs[0].Kind != event.KindNote || evs[0].Attrs["ended_early"] != "sender" {
		t.Fatalf("events %+v, want one note about sender", evs)
	}
	for _, part := range []string{"sender (pid 11) was killed by SIGKILL", "receiver is still blocked in read."} {
		if !strings.Contains(evs[0].Text, part) {
			t.Errorf("the note %q does not say %q", evs[0].Text, part)
		}
	}
	survivor := event.Event{Kind: event.KindExit, Proc: "receiver", PID: 12, Sig: "SIGKILL"}
	s.own.judge.markServerKill(&survivor)
	if survivor.Text != "the server ended it: the session could not go on without sender" || survivor.Attrs["ended_by"] != "server" {
		t.Errorf("a survivor's exit says %q with attrs %v", survivor.Text, survivor.Attrs)
	}
}

// TestStoppedProcess checks how the server treats a process a signal has
// stopped: a note when it is seen, a note when it is continued, and the
// session ended, naming it, when it stays stopped past the grace.
func TestStoppedProcess(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		stops    []bool // the kernel's answer at each look, one a second
		notes    int
		verdict  string
		endedWhy bool
	}{
		{"never stopped", []bool{false, false, false}, 0, event.StateFinished, false},
		{"stopped, then continued", []bool{false, true, true, false, false}, 2, event.StateFinished, false},
		{"stopped past the grace", []bool{true, true, true, true, true, true, true, true, true, true, true, true}, 2, event.StateFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := bareSession(t, "realtime", scenario.Plan{}, &ProcInfo{Name: "worker-1", PID: 10, State: ProcRunning})
			for i, st := range tc.stops {
				s.checkStopped(t0.Add(time.Duration(i)*time.Second), func(int) bool { return st })
			}
			s.commit()
			evs, _, _ := s.Events(1)
			if len(evs) != tc.notes {
				t.Fatalf("%d events, want %d: %+v", len(evs), tc.notes, evs)
			}
			state, why := s.own.judge.verdict()
			if state != tc.verdict || (tc.endedWhy != strings.Contains(why, "worker-1 (pid 10) was stopped by a signal")) {
				t.Fatalf("verdict %s %q", state, why)
			}
		})
	}
}

package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// shortValues gives a scenario its smallest run: the fewest messages and no
// delays, so a thousand sessions fit in a few minutes. If the catalogue
// refuses that combination, the defaults.
func shortValues(t *testing.T, sc *scenario.Scenario, lim scenario.Limits) scenario.Values {
	raw := map[string]json.RawMessage{}
	for _, p := range sc.Params {
		if p.Min != nil && (p.Name == "messages" || strings.HasSuffix(p.Name, "_ms")) {
			raw[p.Name] = json.RawMessage(fmt.Sprint(*p.Min))
		}
	}
	if v, ferr := sc.Validate(raw, lim); ferr == nil {
		return v
	}
	v, ferr := sc.Validate(map[string]json.RawMessage{}, lim)
	if ferr != nil {
		t.Fatalf("%s: the defaults are refused: %v", sc.Name, ferr)
	}
	return v
}

// openFDs counts this process's descriptors, less those open on files
// under skip (when not empty).
func openFDs(t *testing.T, skip string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		if skip == "" || !strings.HasPrefix(target, skip+"/") {
			n++
		}
	}
	return n
}

// fdTargets names what the last n descriptors of this process are open on.
func fdTargets(n int) []string {
	fds, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, fd := range fds[max(len(fds)-n, 0):] {
		target, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		out = append(out, target)
	}
	return out
}

func children(t *testing.T) []int {
	t.Helper()
	pids, err := ipc.ChildPIDs()
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// settle waits until ok holds, or the deadline passes; it says which.
func settleFor(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// A thousand short sessions back to back, every scenario in turn, half of
// them stopped mid-way: afterwards no process, kernel object, descriptor
// or goroutine is left over what there was before.
func TestThousandSessionsLeaveNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand sessions take minutes")
	}
	const sessions, atOnce = 1000, 4
	r, err := New(Config{StateDir: t.TempDir(), MaxSessions: atOnce, MaxRetained: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The measuring scenarios run seconds of timed loops each: the soak is
	// about what sessions leave behind, so it takes the lessons.
	all := slices.DeleteFunc(slices.Clone(scenario.All()), func(sc *scenario.Scenario) bool {
		return sc.Name == "compare" || sc.Name == "copy-cost"
	})
	vals := make([]scenario.Values, len(all))
	for i, sc := range all {
		vals[i] = shortValues(t, sc, r.Limits())
	}
	// One session first, so that what the runtime opens once (the
	// network poller's descriptors, the signal goroutine) is in the
	// baseline.
	warm, err := r.Start(all[0], vals[0], "realtime")
	if err != nil {
		t.Fatal(err)
	}
	<-warm.Done()
	baseFDs, baseG, baseKids := openFDs(t, ""), runtime.NumGoroutine(), len(children(t))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var (
		mu     sync.Mutex
		plans  []scenario.Plan
		states = map[string]int{}
	)
	slots := make(chan struct{}, atOnce)
	var wg sync.WaitGroup
	for i := range sessions {
		if ctx.Err() != nil {
			t.Fatalf("only %d sessions in the time allowed", i)
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			k := i % len(all)
			var s *Session
			for {
				var err error
				if s, err = r.Start(all[k], vals[k], "realtime"); err == nil {
					break
				}
				if err != ErrBusy || ctx.Err() != nil {
					t.Errorf("start %s: %v", all[k].Name, err)
					return
				}
				time.Sleep(5 * time.Millisecond) // the slot of an ending session is not free yet
			}
			if i%2 == 1 {
				time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
				s.Stop("stopped mid-way by the test")
			}
			select {
			case <-s.Done():
			case <-ctx.Done():
				t.Errorf("session %s of %s did not end", s.ID, all[k].Name)
				return
			}
			st := s.Snapshot().State
			mu.Lock()
			plans = append(plans, s.plan)
			states[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("sessions by how they ended: %v", states)

	for _, p := range plans {
		for _, o := range p.Objects {
			if left, err := objectLeft(o); left || err != nil {
				t.Errorf("%s %s (%s, key %#x) is left (%v)", o.Kind, o.Label, o.Name, o.Key, err)
			}
		}
	}
	if left, _ := filepath.Glob("/dev/shm" + NamePrefix + filepath.Base(r.instance) + ".*"); len(left) > 0 {
		t.Errorf("segments left in /dev/shm: %v", left)
	}
	if !settleFor(10*time.Second, func() bool { return len(children(t)) <= baseKids }) {
		t.Errorf("%d child processes left, %d before: %v", len(children(t)), baseKids, children(t))
	}
	// An ended session the runner still keeps (Config.Retain) keeps its
	// recording open; every other descriptor must be gone now, and those
	// once the runner has shut down.
	recordings := r.cfg.DataDir
	t.Logf("%d descriptors open on recordings of ended sessions still kept", openFDs(t, "")-openFDs(t, recordings))
	if !settleFor(10*time.Second, func() bool { return openFDs(t, recordings) <= baseFDs }) {
		t.Errorf("%d descriptors open besides recordings, %d before; some of them: %v",
			openFDs(t, recordings), baseFDs, fdTargets(5))
	}
	if !settleFor(10*time.Second, func() bool { return runtime.NumGoroutine() <= baseG }) {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), baseG, buf[:runtime.Stack(buf, true)])
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := r.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t, ""); n > baseFDs {
		t.Errorf("%d descriptors open after shutdown, %d before; some of them: %v", n, baseFDs, fdTargets(5))
	}
	if _, err := os.Stat(r.instance); !os.IsNotExist(err) {
		t.Errorf("the instance directory is still there after shutdown (%v)", err)
	}
}

package ipc

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

func init() {
	registerChild("race-worker", raceWorker)
}

// raceWorker adds args[2] to the counter in object args[0], one at a time,
// with the synchronisation args[1] names ("none", "atomic", "futex-mutex",
// "futex-sem", "sysv-sem" on set args[3]). It reports "ready" and starts on
// the test's "go", so that the workers run at the same time.
func raceWorker(args []string) int {
	link := childLinkEnds()
	seg, err := OpenShmSegment(args[0])
	if err != nil {
		return roleFail("%v", err)
	}
	defer seg.Close()
	n, _ := strconv.Atoi(args[2])
	semID, _ := strconv.Atoi(args[3])
	inc, err := incrementer(seg.Bytes(), args[1], semID)
	if err != nil {
		return roleFail("%v", err)
	}
	link.report("ready")
	if cmd := link.await(); cmd != "go" {
		return roleFail("told %q, want go", cmd)
	}
	for range n {
		if err := inc(); err != nil {
			return roleFail("%v", err)
		}
	}
	link.report("done")
	return awaitEnd(link)
}

// incrementer returns one increment of the shared counter, made safe (or
// not) by sync.
func incrementer(mem []byte, sync string, semID int) (func() error, error) {
	c, err := SharedInt64At(mem[offCounter:])
	if err != nil {
		return nil, err
	}
	switch sync {
	case "none":
		return func() error { c.IncrementNonAtomic(); return nil }, nil
	case "atomic":
		return func() error { c.Add(1); return nil }, nil
	case "futex-mutex":
		m, err := FutexMutexAt(mem[offMutex:])
		return func() error { return locked(m.Lock, m.Unlock, c) }, err
	case "futex-sem":
		s, err := FutexSemAt(mem[offSem:])
		post := func() error { _, err := s.Post(); return err }
		return func() error { return locked(s.Wait, post, c) }, err
	case "sysv-sem":
		down := func() error { return Semop(semID, Sembuf{Num: 0, Op: -1, Flg: SemUndo}) }
		up := func() error { return Semop(semID, Sembuf{Num: 0, Op: 1, Flg: SemUndo}) }
		return func() error { return locked(down, up, c) }, nil
	}
	return nil, fmt.Errorf("unknown sync %q", sync)
}

// locked makes the non-atomic increment between lock and unlock.
func locked(lock, unlock func() error, c *SharedInt64) error {
	if err := lock(); err != nil {
		return err
	}
	c.IncrementNonAtomic()
	return unlock()
}

// raceRound runs two workers on a fresh page and returns the final count.
func raceRound(t *testing.T, sync string, n int) int64 {
	name := shmName(t)
	seg := createShm(t, name, 4096)
	if _, err := NewFutexMutex(seg.Bytes()[offMutex:]); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFutexSem(seg.Bytes()[offSem:], 1); err != nil {
		t.Fatal(err)
	}
	semID := createSemSet(t, 1)
	if err := SemSetVal(semID, 0, 1); err != nil {
		t.Fatal(err)
	}
	var workers []*child
	var links []*childLink
	for range 2 {
		c, link := startLinked(t, "race-worker", nil, name, sync, strconv.Itoa(n), strconv.Itoa(semID))
		link.expect(t, "ready")
		workers, links = append(workers, c), append(links, link)
	}
	for _, link := range links {
		link.say(t, "go")
	}
	for _, link := range links {
		link.expect(t, "done")
	}
	for _, link := range links {
		link.ctl.Close() // both exit at once
	}
	for _, c := range workers {
		c.wait(t, 20*time.Second)
	}
	c, _ := SharedInt64At(seg.Bytes()[offCounter:])
	return c.Load()
}

func TestRaceAcrossProcesses(t *testing.T) {
	for _, tc := range []struct {
		sync string
		n    int
	}{
		{"atomic", 200_000},
		{"futex-mutex", 50_000},
		{"futex-sem", 50_000},
		{"sysv-sem", 5_000},
	} {
		t.Run(tc.sync, func(t *testing.T) {
			if got := raceRound(t, tc.sync, tc.n); got != int64(2*tc.n) {
				t.Fatalf("count %d, want exactly %d", got, 2*tc.n)
			}
		})
	}
	// Without synchronisation updates get lost, but how many depends on
	// how the two processes overlap: try a few rounds until some are.
	t.Run("none", func(t *testing.T) {
		const n = 1_000_000
		deadline := time.Now().Add(60 * time.Second)
		for round := 1; ; round++ {
			got := int64(0)
			t.Run(strconv.Itoa(round), func(t *testing.T) { got = raceRound(t, "none", n) })
			if got < 2*n {
				t.Logf("round %d: count %d of %d, %d updates lost", round, got, 2*n, 2*n-got)
				return
			}
			if round == 10 || time.Now().After(deadline) {
				t.Fatalf("no update lost in %d rounds of 2 x %d non-atomic increments", round, n)
			}
		}
	})
}

package runner

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		op      string // pause, resume, or check
		at      int
		warned  bool
		left    int  // seconds, for check
		next    int  // seconds, for check
		running bool // for check
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"runs out in one go", []step{
			{op: "resume", at: 0},
			{op: "check", at: 0, left: 180, next: 150, running: true},
			{op: "check", at: 150, left: 30, next: 0, running: true},
			{op: "check", at: 160, warned: true, left: 20, next: 20, running: true},
			{op: "check", at: 200, warned: true, left: -20, next: 0, running: true},
		}},
		{"a pause stops the clock", []step{
			{op: "resume", at: 0},
			{op: "pause", at: 100},
			{op: "check", at: 1000, left: 80, running: false},
			{op: "resume", at: 1000},
			{op: "check", at: 1010, left: 70, next: 40, running: true},
		}},
		{"pause twice, resume twice", []step{
			{op: "resume", at: 0},
			{op: "pause", at: 10},
			{op: "pause", at: 20},
			{op: "resume", at: 30},
			{op: "resume", at: 40},
			{op: "check", at: 50, left: 150, next: 120, running: true},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := budget{limit: 180 * time.Second, warn: 30 * time.Second}
			for _, st := range c.steps {
				switch st.op {
				case "pause":
					b.pause(at(st.at))
				case "resume":
					b.resume(at(st.at))
				case "check":
					if got := b.left(at(st.at)); got != time.Duration(st.left)*time.Second {
						t.Fatalf("at %d s: left %v, want %d s", st.at, got, st.left)
					}
					d, ok := b.next(at(st.at), st.warned)
					if ok != st.running || (ok && d != time.Duration(st.next)*time.Second) {
						t.Fatalf("at %d s: next %v %v, want %d s %v", st.at, d, ok, st.next, st.running)
					}
				}
			}
		})
	}
}

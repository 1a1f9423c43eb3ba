package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/event"
)

// The compare scenarios: one process measures the same workload over each
// mechanism in turn, each cell in two processes of its own (package
// bench), and reports each cell once it is done, never each message: the
// playground's own events would otherwise be part of what is measured.

// Kinds of the compare scenarios' events.
const (
	// KindMeasure is one cell's figures, in attrs, once it is done; or,
	// with attrs.skipped, a cell the mechanism cannot run, and why.
	KindMeasure = "measure"
	// KindProgress says, when a cell starts and then every
	// progressEvery while it runs, which cell runs and how many are done.
	KindProgress = "progress"
)

// progressEvery is how often a running cell is reported.
const progressEvery = 500 * time.Millisecond

// compareArgs is the measuring process's work.
type compareArgs struct {
	Mechanisms []string `json:"mechanisms"`
	Modes      []string `json:"modes"`
	Sizes      []int    `json:"sizes"`
	Count      int      `json:"count"`
	Reps       int      `json:"reps"`
	Dir        string   `json:"dir"`
	MsgKey     int      `json:"msg_key"`
	SemKey     int      `json:"sem_key"`
}

func init() {
	register(&Scenario{
		Name:      "compare",
		Title:     "What a message costs: every mechanism measured",
		Mechanism: "compare",
		Summary: "The same workload, a number of messages of one size sent one way or there and back, " +
			"runs between two real processes over each mechanism in turn: pipe, FIFO, POSIX and System V " +
			"queues, shared memory with a futex or a System V semaphore, Unix stream and datagram sockets, " +
			"TCP and UDP on loopback, and a signal ping-pong. Each cell reports messages per second, the " +
			"round trip's median and 99th percentile, the kernel's count of context switches and the copies " +
			"each message costs.",
		Watch: "The bars grow as each cell completes. Small messages cost about the same everywhere: the " +
			"system calls and the switch to the other process dominate. At 64 KiB the copies show: shared " +
			"memory, which the kernel does not copy, pulls ahead of the pipe and the sockets, which copy " +
			"every byte in and out.",
		Params: []Param{
			choiceParam("mode", "both", []string{"both", bench.RoundTrip, bench.Stream},
				"rtt: each message goes there and back, timed one by one; stream: one way, as fast as the receiver takes them; both: each in turn."),
			choiceParam("sizes", "all", []string{"all", "64", "4096", "65536"},
				"Message size in bytes; all is 64 B, 4 KiB and 64 KiB."),
			choiceParam("mechanisms", "all", append([]string{"all"}, bench.Names()...),
				"Which mechanisms to measure: all of them, or one alone."),
			intParam("count", 1000, 100, 5000, "messages", "Messages in each timed repetition of a cell."),
			intParam("reps", 3, 1, 5, "", "Timed repetitions of each cell, after one untimed warm-up; the figures are their medians."),
		},
		Plan: func(v Values, env Env) (Plan, error) {
			return comparePlan(compareArgs{Mechanisms: mechanismsOf(v.Str("mechanisms")), Modes: modesOf(v.Str("mode")),
				Sizes: sizesOf(v.Str("sizes")), Count: v.Int("count"), Reps: v.Int("reps")}, env), nil
		},
	})
	register(&Scenario{
		Name:      "copy-cost",
		Title:     "The cost of a copy: a pipe beside shared memory",
		Mechanism: "compare",
		Summary: "The same messages of 64 KiB go one way through a pipe, then through shared memory with a " +
			"futex handshake, each between two processes pinned to one CPU. The pipe copies every byte " +
			"into the kernel and out again; through shared memory the sender copies each message into memory " +
			"both processes map and the receiver copies it out, with no kernel buffer between them.",
		Watch: "Compare the two bars: the pipe moves the same bytes in several times the time, because " +
			"each message is copied twice and the writer sleeps whenever the 64 KiB pipe is full. The " +
			"context switches per message tell the same story.",
		Params: []Param{
			intParam("count", 1000, 100, 5000, "messages", "Messages of 64 KiB in each timed repetition."),
			intParam("reps", 3, 1, 5, "", "Timed repetitions of each, after one untimed warm-up; the figures are their medians."),
		},
		Plan: func(v Values, env Env) (Plan, error) {
			return comparePlan(compareArgs{Mechanisms: []string{"pipe", "shmfutex"}, Modes: []string{bench.Stream},
				Sizes: []int{65536}, Count: v.Int("count"), Reps: v.Int("reps")}, env), nil
		},
	})
	registerRole("compare", compareRole)
}

// comparePlan is one measuring process. The cells that use System V
// objects without a descriptor to keep them (the System V queue, the
// semaphore set) make them with the plan's keys, one cell at a time, so
// that the server removes them should the session be stopped while such a
// cell runs. Every other object of a cell lives only as long as the
// descriptors and mappings of its processes.
func comparePlan(a compareArgs, env Env) Plan {
	a.Dir = env.Path("")
	var objs []Object
	if slices.Contains(a.Mechanisms, "smq") {
		a.MsgKey = env.Key()
		objs = append(objs, Object{Kind: ObjMsgSysV, Label: event.Label(event.ObjKindMsg, fmt.Sprintf("0x%x", a.MsgKey)), Key: a.MsgKey})
	}
	if slices.Contains(a.Mechanisms, "shmsem") {
		a.SemKey = env.Key()
		objs = append(objs, Object{Kind: ObjSemSysV, Label: event.Label(event.ObjKindSem, fmt.Sprintf("0x%x", a.SemKey)), Key: a.SemKey, Size: 2})
	}
	return Plan{Procs: []ProcSpec{{Name: "bench", Role: "compare", Args: a}}, Objects: objs}
}

func mechanismsOf(name string) []string {
	if name == "all" {
		return bench.Names()
	}
	return []string{name}
}

func modesOf(mode string) []string {
	if mode == "both" {
		return []string{bench.RoundTrip, bench.Stream}
	}
	return []string{mode}
}

func sizesOf(sizes string) []int {
	if sizes == "all" {
		return []int{64, 4096, 65536}
	}
	n, _ := strconv.Atoi(sizes)
	return []int{n}
}

// compareRole measures each cell in turn and reports it.
func compareRole(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[compareArgs](raw)
	if err != nil {
		return err
	}
	cells, skipped := bench.Cells(a.Mechanisms, a.Modes, a.Sizes, a.Count)
	for _, s := range skipped {
		text := fmt.Sprintf("%s, %s of %s: not run: %s", titleOf(s.Mechanism), s.Mode, bench.Bytes(s.Size), s.Why)
		p.Emit(event.Event{Kind: KindMeasure, Text: text, Attrs: map[string]any{
			event.AttrMechanism: s.Mechanism, event.AttrTitle: titleOf(s.Mechanism), event.AttrMode: s.Mode, event.AttrSize: s.Size, event.AttrSkipped: s.Why}})
	}
	cpu := bench.FirstCPU()
	// A measuring process's complaints go where the worker's own go: to
	// the server's standard error.
	o := bench.Options{Dir: a.Dir, CPU: cpu, Reps: a.Reps, Timeout: time.Minute, MsgKey: a.MsgKey, SemKey: a.SemKey,
		Stderr: os.Stderr}
	for i, c := range cells {
		if err := p.Gate("measure", ""); err != nil {
			return err
		}
		r, err := measure(p, o, c, i, len(cells))
		if err != nil {
			p.Emit(event.Event{Kind: event.KindError, Call: "measure", Error: err.Error()})
			return err
		}
		p.Emit(measureEvent(r, i+1, len(cells)))
	}
	p.Result(map[string]any{"cells_measured": len(cells), "cells_skipped": len(skipped)})
	return nil
}

// measure runs one cell, reporting it when it starts and every
// progressEvery until it ends.
func measure(p *Proc, o bench.Options, c bench.Cell, done, total int) (bench.Result, error) {
	type answer struct {
		r   bench.Result
		err error
	}
	ch := make(chan answer, 1)
	start := time.Now()
	go func() {
		r, err := bench.Run(context.Background(), o, c)
		ch <- answer{r, err}
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		text := fmt.Sprintf("measuring %s, %s of %s (%d of %d cells done)", titleOf(c.Mechanism), c.Mode, bench.Bytes(c.Size), done, total)
		p.Emit(event.Event{Kind: KindProgress, Text: text, Attrs: map[string]any{event.AttrMechanism: c.Mechanism, event.AttrMode: c.Mode,
			event.AttrSize: c.Size, event.AttrCount: c.Count, event.AttrDone: done, event.AttrTotal: total, event.AttrRunningNS: time.Since(start).Nanoseconds()}})
		select {
		case a := <-ch:
			return a.r, a.err
		case <-tick.C:
		}
	}
}

// measureEvent reports one cell's figures.
func measureEvent(r bench.Result, done, total int) event.Event {
	attrs := map[string]any{
		event.AttrMechanism: r.Mechanism, event.AttrTitle: titleOf(r.Mechanism), event.AttrMode: r.Mode, event.AttrSize: r.Size, event.AttrCount: r.Count,
		event.AttrWarmup: r.Warmup, event.AttrReps: r.Reps, event.AttrCPU: r.CPU,
		event.AttrMsgsPerS: round(r.MsgsPerS), event.AttrMBPerS: round(r.MBPerS),
		event.AttrCtxswPerMsg: round(r.CtxswPerMsg), event.AttrCopies: r.Copies, event.AttrCopiesWhy: r.CopiesWhy,
		event.AttrDone: done, event.AttrTotal: total, event.AttrRepMsgsPerS: roundAll(r.RepRates),
	}
	if r.Mode == bench.RoundTrip {
		attrs[event.AttrRTTP50NS], attrs[event.AttrRTTP99NS] = r.RTTP50NS, r.RTTP99NS
	}
	return event.Event{Kind: KindMeasure, Attrs: attrs,
		Text: fmt.Sprintf("%s, %s of %s: %s messages/s", titleOf(r.Mechanism), r.Mode, bench.Bytes(r.Size), bench.Rate(r.MsgsPerS))}
}

func titleOf(name string) string {
	m, _ := bench.Lookup(name)
	return m.Title
}

func roundAll(vs []float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = round(v)
	}
	return out
}

// round keeps three significant figures or so: the run-to-run spread is
// wider than that.
func round(v float64) float64 {
	if v >= 100 {
		return float64(int64(v + 0.5))
	}
	return float64(int64(v*1000+0.5)) / 1000
}

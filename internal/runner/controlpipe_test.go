package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/wire"
)

func TestApplyOp(t *testing.T) {
	for _, c := range []struct {
		name string
		ops  []control
		want wire.Control
	}{
		{"nothing", nil, wire.Control{Speed: 1}},
		{"go", []control{{Op: "go"}}, wire.Control{Go: true, Speed: 1}},
		{"pause then resume", []control{{Op: "pause"}, {Op: "resume"}}, wire.Control{Speed: 1}},
		{"resume then pause", []control{{Op: "resume"}, {Op: "pause"}}, wire.Control{Paused: true, Speed: 1}},
		{"speed", []control{{Op: "speed", Value: 0.5}}, wire.Control{Speed: 0.5}},
		{"speed zero is refused", []control{{Op: "speed", Value: 2}, {Op: "speed"}}, wire.Control{Speed: 2}},
		{"steps count", []control{{Op: "step"}, {Op: "pause"}, {Op: "step"}, {Op: "step"}}, wire.Control{Paused: true, Speed: 1, Steps: 3}},
		{"unknown action changes nothing", []control{{Op: "jump"}}, wire.Control{Speed: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := wire.Control{Speed: 1}
			for _, op := range c.ops {
				applyOp(&s, op)
			}
			if s != c.want {
				t.Fatalf("got %+v, want %+v", s, c.want)
			}
		})
	}
}

// readLines reads control lines until end of file and sends the last one
// and how many there were.
func readLines(t *testing.T, r io.Reader) <-chan []wire.Control {
	out := make(chan []wire.Control, 1)
	go func() {
		var got []wire.Control
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c, err := wire.DecodeControl(sc.Bytes())
			if err != nil {
				t.Errorf("line %q: %v", sc.Bytes(), err)
			}
			got = append(got, c)
		}
		out <- got
	}()
	return out
}

// settle waits, under the test's deadline, until the pipe has sent its
// latest state.
func settle(t *testing.T, p *controlPipe) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !p.Flush() {
		if time.Now().After(deadline) {
			t.Fatal("the latest state was never sent")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestControlPipeCoalesces: with nobody reading, sets fill the pipe and
// then only the latest state waits; once read, the last line is the last
// state set, and no set waited for the reader.
func TestControlPipeCoalesces(t *testing.T) {
	for _, c := range []struct {
		name     string
		sets     int
		readLate bool
	}{
		{"one set, read at once", 1, false},
		{"a few sets, read at once", 10, false},
		{"a storm, read late", 20000, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p := newControlPipe(w)
			var lines <-chan []wire.Control
			if !c.readLate {
				lines = readLines(t, r)
			}
			for i := range c.sets {
				p.Set(wire.Control{Go: true, Paused: i%2 == 0, Speed: 1, Steps: uint64(i / 3)})
			}
			want := p.State()
			if c.readLate {
				lines = readLines(t, r)
			}
			settle(t, p)
			p.Close()
			got := <-lines
			if len(got) == 0 || got[len(got)-1] != want {
				t.Fatalf("%d lines, the last %+v; want the last %+v", len(got), got[len(got)-1:], want)
			}
			if c.readLate && len(got) >= c.sets {
				t.Fatalf("%d lines for %d sets: nothing was coalesced", len(got), c.sets)
			}
		})
	}
}

// TestControlPipeReaderGone: a process that exited no longer reads; a
// set neither blocks nor fails, and nothing waits.
func TestControlPipeReaderGone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	p := newControlPipe(w)
	defer p.Close()
	for range 3 {
		writeControl(p, control{Op: "pause"})
	}
	if !p.Flush() {
		t.Fatal("a pipe with no reader still has something to send")
	}
}

// controlReaderMain is a child for the tests: it reads nothing until its
// descriptor 4 ends, then reads control lines from descriptor 3 to the end
// and prints the last one.
func controlReaderMain() int {
	gate := os.NewFile(4, "gate")
	_, _ = io.Copy(io.Discard, gate)
	var last wire.Control
	sc := bufio.NewScanner(os.NewFile(3, "control"))
	for sc.Scan() {
		c, err := wire.DecodeControl(sc.Bytes())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		last = c
	}
	b, _ := json.Marshal(last)
	fmt.Println(string(b))
	return 0
}

// TestControlStormAgainstIdleChild: 20,000 pause and resume actions (and
// steps) against a real child that does not read yet all return, and the
// child, once it reads, ends in the last state.
func TestControlStormAgainstIdleChild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	gateR, gateW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "/proc/self/exe", controlReaderArg)
	cmd.ExtraFiles = []*os.File{ctlR, gateR}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	gateR.Close()
	p := newControlPipe(ctlW)
	writeControl(p, control{Op: "go"})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 20000 {
			switch {
			case i%10 == 9:
				writeControl(p, control{Op: "step"})
			case i%2 == 0:
				writeControl(p, control{Op: "pause"})
			default:
				writeControl(p, control{Op: "resume"})
			}
		}
	}()
	select {
	case <-sent:
	case <-ctx.Done():
		t.Fatal("the control actions blocked on a child that does not read")
	}
	want := p.State()
	if want.Steps != 2000 || !want.Go {
		t.Fatalf("state %+v after the storm", want)
	}
	gateW.Close() // the child starts reading
	settle(t, p)
	p.Close()
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	var got wire.Control
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("child said %q: %v", b, err)
	}
	if got != want {
		t.Fatalf("the child ended in %+v, want %+v", got, want)
	}
}

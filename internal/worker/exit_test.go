package worker

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/wire"
)

// proc is a real worker process the test started, with the server's ends
// of its pipes.
type proc struct {
	cmd     *exec.Cmd
	ctl     *os.File // write end of its control pipe
	records chan event.Event
	hold    *os.File // write end of its role's descriptor, never written
}

func startRole(t *testing.T, role string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	roleR, roleW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd, err := wire.Start(ctx, wire.Launch{Exe: exe, Spec: wire.Spec{Session: "s", Proc: "p", Role: role,
		Pace: "realtime", WaitGo: true, NRole: 1}, Events: evW, Control: ctlR, Files: []*os.File{roleR}})
	evW.Close()
	ctlR.Close()
	roleR.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, ctl: ctlW, records: make(chan event.Event, 100), hold: roleW}
	go func() {
		defer evR.Close()
		defer close(p.records)
		sc := bufio.NewScanner(evR)
		for sc.Scan() {
			var e event.Event
			if err := wire.DecodeRecord(sc.Bytes(), &e); err != nil {
				t.Errorf("bad record %q: %v", sc.Bytes(), err)
				continue
			}
			p.records <- e
		}
	}()
	t.Cleanup(func() {
		ctlW.Close()
		roleW.Close()
		_ = cmd.Wait()
	})
	return p
}

func (p *proc) sendGo(t *testing.T) {
	t.Helper()
	if _, err := p.ctl.Write(wire.AppendControl(nil, wire.Control{Go: true, Speed: 1})); err != nil {
		t.Fatal(err)
	}
}

// waitKind reads records until one of kind comes; false if the pipe ends
// first.
func (p *proc) waitKind(kind string) bool {
	for e := range p.records {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Wait()
	code, sig := wire.ExitStatus(p.cmd.ProcessState)
	if sig != "" {
		t.Fatalf("worker killed by %s", sig)
	}
	return code
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		role string
		want int
	}{
		{"ok", wire.ExitOK},
		{"fail", wire.ExitRoleFailed},
		{"abort", wire.ExitRoleFailed},
		{"no-such-role", wire.ExitBadSpec},
	} {
		t.Run(c.role, func(t *testing.T) {
			p := startRole(t, c.role)
			p.sendGo(t)
			if got := p.exitCode(t); got != c.want {
				t.Fatalf("role %s: exit code %d, want %d", c.role, got, c.want)
			}
			if c.want != wire.ExitBadSpec && !p.waitKind(wire.KindDone) {
				t.Fatalf("role %s wrote no done record", c.role)
			}
		})
	}
}

// TestOrphanEndsWhileBlocked: a worker whose role is blocked in read(2)
// ends at once, as orphaned, when its control pipe closes.
func TestOrphanEndsWhileBlocked(t *testing.T) {
	p := startRole(t, "blocked")
	p.sendGo(t)
	if !p.waitKind(event.KindNote) {
		t.Fatal("the role never said it blocks")
	}
	p.ctl.Close()
	if got := p.exitCode(t); got != wire.ExitOrphaned {
		t.Fatalf("exit code %d, want %d (orphaned)", got, wire.ExitOrphaned)
	}
}

// TestOrphanBeforeGo: a worker still waiting for its go ends when the
// server goes away.
func TestOrphanBeforeGo(t *testing.T) {
	p := startRole(t, "ok")
	p.ctl.Close()
	if got := p.exitCode(t); got != wire.ExitOrphaned {
		t.Fatalf("exit code %d, want %d (orphaned)", got, wire.ExitOrphaned)
	}
	if p.waitKind(event.KindNote) {
		t.Fatal("the role ran without the server's go")
	}
}

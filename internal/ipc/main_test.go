package ipc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays the second process of every test: a test starts
// itself again with IPC_TEST_CHILD naming a role from childRoles, and the
// role's exit code becomes the child's. Test files register their roles in
// init functions.
var childRoles = map[string]func(args []string) int{}

func registerChild(name string, fn func(args []string) int) {
	if _, dup := childRoles[name]; dup {
		panic("duplicate child role " + name)
	}
	childRoles[name] = fn
}

func TestMain(m *testing.M) {
	if role := os.Getenv("IPC_TEST_CHILD"); role != "" {
		fn, ok := childRoles[role]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
			os.Exit(100)
		}
		os.Exit(fn(strings.Split(os.Getenv("IPC_TEST_ARGS"), "\x1f")))
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the children inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

// child is a running second process of a test.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild runs role in a new process, passing files as descriptors 3, 4,
// ... and args through the environment. The child is killed (its whole
// process group) when the test ends, whatever happened.
func startChild(t testing.TB, role string, files []*os.File, args ...string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, "/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), "IPC_TEST_CHILD="+role, "IPC_TEST_ARGS="+strings.Join(args, "\x1f"))
	cmd.ExtraFiles = files
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start child %s: %v", role, err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	})
	return c
}

// wait waits for the child to exit and fails the test if it did not exit 0
// within d.
func (c *child) wait(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // let the cleanup's receive go through
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("child still running after %v", d)
	}
}

// kill sends SIGKILL to the child's process group and waits for it to go.
func (c *child) kill(t testing.TB) {
	t.Helper()
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	err := <-c.done
	c.done <- err
}

// waitFor polls cond every few milliseconds until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

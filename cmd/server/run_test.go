package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/runner"
)

// The test binary is also the worker, as the real binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == runner.WorkerArg {
		os.Exit(runner.WorkerMain(os.Getenv, os.Stderr))
	}
	// TestCrashSweep runs a whole server in a process of its own, so that it
	// can kill it without a chance to clean up.
	if os.Getenv(serveEnv) != "" {
		args := append([]string{"ipc-playground"}, strings.Fields(os.Getenv(serveEnv))...)
		if err := run(context.Background(), args, os.Getenv, os.Stdout, os.Stderr); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	// Under -race every process sleeps a second at exit unless told not
	// to; the workers inherit this.
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

// startServer runs the whole server on a free loopback port and returns its
// base URL, and a function that interrupts it (as SIGINT would) and returns
// run's error.
func startServer(t *testing.T, stateDir string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(string) string { return "" }
	go func() {
		done <- run(ctx, []string{"ipc-playground", "-addr", "127.0.0.1:0", "-state-dir", stateDir}, getenv, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	_, url, _ := strings.Cut(strings.TrimSpace(line), "listening on ")
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("run did not return 30 s after the interrupt")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return url, stop
}

func TestShutdownMidSession(t *testing.T) {
	stateDir := t.TempDir()
	url, stop := startServer(t, stateDir)

	// A step-mode session waits for the presenter, so it is surely
	// running, with live processes, when the server is interrupted.
	id := createSession(t, url, `{"scenario": "pipe", "params": {"messages": 5}, "pace": "step"}`)
	pids := waitForPIDs(t, url, id)

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after an interrupt, want nil", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d outlived the server (kill 0: %v)", pid, err)
		}
	}
	left, _ := os.ReadDir(stateDir)
	if len(left) != 0 {
		t.Errorf("state directory not empty after shutdown: %v", left)
	}
}

// waitForPIDs polls the session until it has a running process, and
// returns the pids it lists.
func waitForPIDs(t *testing.T, url, id string) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/api/sessions/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Processes []struct{ PID int }
		}
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		var pids []int
		for _, p := range s.Processes {
			if p.PID > 0 {
				pids = append(pids, p.PID)
			}
		}
		if len(pids) > 0 {
			for _, pid := range pids {
				if err := syscall.Kill(pid, 0); err != nil {
					t.Fatalf("process %d is not running before the shutdown: %v", pid, err)
				}
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatal("the session never listed a process")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBadFlag(t *testing.T) {
	err := run(context.Background(), []string{"ipc-playground", "-nosuchflag"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

func TestAddrFromEnvironment(t *testing.T) {
	getenv := func(k string) string {
		if k == "ADDR" {
			return "256.0.0.1:1"
		}
		return ""
	}
	err := run(context.Background(), []string{"ipc-playground", "-state-dir", t.TempDir()}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("run with ADDR=256.0.0.1:1 returned %v, want a listen error", err)
	}
}

// serveEnv makes the test binary a server with the arguments it holds.
const serveEnv = "IPCPG_TEST_SERVE"

// startServerProcess runs a server in a process of its own and returns its
// URL and the process.
func startServerProcess(t *testing.T, stateDir string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=-addr 127.0.0.1:0 -state-dir "+stateDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("server process did not start: %v", err)
	}
	go io.Copy(io.Discard, out)
	_, url, _ := strings.Cut(strings.TrimSpace(line), "listening on ")
	return url, cmd
}

// TestCrashSweep kills a server with SIGKILL in the middle of a session
// that holds a System V queue: its workers must exit on their own (their
// control pipes hit end of file), and the next server started on the same
// state directory must remove the queue.
func TestCrashSweep(t *testing.T) {
	stateDir := t.TempDir()
	url, srv := startServerProcess(t, stateDir)
	id := createSession(t, url, `{"scenario": "mq-sysv", "params": {"consumers": 1, "messages": 50, "consumer_delay_ms": 1000}}`)
	key := waitForQueue(t, url, id)
	// If the test fails before the sweep, nothing else will remove the
	// queue: this test made a crash on purpose.
	t.Cleanup(func() {
		if id, err := ipc.Msgget(key, 0); err == nil {
			_ = ipc.MsgRemove(id)
		}
	})
	pids := waitForPIDs(t, url, id)

	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for running(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("worker %d outlived its killed server", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if ok, err := ipc.MsgKeyExists(key); err != nil || !ok {
		t.Fatalf("the queue should still exist after the crash (exists %v, %v)", ok, err)
	}

	startServerProcess(t, stateDir)
	if ok, err := ipc.MsgKeyExists(key); err != nil || ok {
		t.Fatalf("the new server did not sweep the queue left by the crashed one (exists %v, %v)", ok, err)
	}
}

// waitForQueue reads the session's first event for its queue's key and
// waits until the queue exists in the kernel.
func waitForQueue(t *testing.T, url, id string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/api/sessions/" + id + "/events.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		var first struct {
			Attrs struct {
				Objects []struct {
					Kind string `json:"kind"`
					Key  int    `json:"key"`
				} `json:"objects"`
			} `json:"attrs"`
		}
		json.NewDecoder(resp.Body).Decode(&first)
		resp.Body.Close()
		for _, o := range first.Attrs.Objects {
			if o.Kind == "msg-sysv" {
				if ok, _ := ipc.MsgKeyExists(o.Key); ok {
					return o.Key
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the session's queue never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether pid is a live process: not gone, and not a
// zombie. A worker that exited after its server was killed is reparented
// to the nearest subreaper, which may be this test process: it is reaped
// here.
func running(pid int) bool {
	_, _, _, _ = ipc.Reap(pid)
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	return len(rest) > 0 && rest[0] != 'Z'
}

// createSession starts a session on the server at url and returns its id.
func createSession(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url+"/api/sessions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s (%v)", resp.Status, err)
	}
	return c.ID
}

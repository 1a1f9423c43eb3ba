package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/bench"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/worker"
)

// The test binary is also the worker, as the real binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Main(os.Getenv, os.Stderr, os.Exit))
	}
	// TestCrashSweep runs a whole server in a process of its own, so that it
	// can kill it without a chance to clean up.
	if os.Getenv(serveEnv) != "" {
		args := append([]string{"ipc-playground"}, strings.Fields(os.Getenv(serveEnv))...)
		os.Exit(exitCode(run(context.Background(), args, os.Getenv, os.Stdout, os.Stderr), os.Stderr))
	}
	// The bench command's children are this binary started again.
	if len(os.Args) > 1 && os.Args[1] == bench.ChildArg {
		os.Exit(bench.ChildMain(os.Args[2:], os.Stderr))
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
	// The recordings stay (they are kept across restarts); nothing else
	// may.
	left, _ := os.ReadDir(stateDir)
	left = slices.DeleteFunc(left, func(e os.DirEntry) bool { return e.Name() == "recordings" })
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

// TestBadFlags refuses every command line the server cannot run with,
// before it makes its state directory or listens, with a usage error (exit
// status 2) that says what is wrong.
func TestBadFlags(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		addr string // the ADDR environment variable
		says string
	}{
		{"unknown flag", []string{"-nosuchflag"}, "", "flag provided but not defined: -nosuchflag"},
		{"no sessions", []string{"-max-sessions", "0"}, "", "-max-sessions must be 1 or more, not 0"},
		{"negative sessions", []string{"-max-sessions", "-3"}, "", "-max-sessions must be 1 or more, not -3"},
		{"sessions not a number", []string{"-max-sessions", "many"}, "", `invalid value "many" for flag -max-sessions`},
		{"sessions too big for an int", []string{"-max-sessions", "99999999999999999999"}, "", "-max-sessions"},
		{"address without a port", []string{"-addr", "localhost"}, "", `-addr: "localhost" is not HOST:PORT`},
		{"empty address", []string{"-addr", ""}, "", `-addr: "" is not HOST:PORT`},
		{"port too big", []string{"-addr", "127.0.0.1:65536"}, "", "must be a number from 0 to 65535"},
		{"negative port", []string{"-addr", "127.0.0.1:-1"}, "", "must be a number from 0 to 65535"},
		{"port by name", []string{"-addr", "127.0.0.1:http"}, "", "must be a number from 0 to 65535"},
		{"not an address", []string{"-addr", "256.0.0.1:8080"}, "", `"256.0.0.1" in "256.0.0.1:8080" is neither an IP address nor a host name`},
		{"bad host name", []string{"-addr", "my host:8080"}, "", "neither an IP address nor a host name"},
		{"bad ADDR", nil, "256.0.0.1:1", "the ADDR environment variable: "},
		{"ADDR without a port", nil, "localhost", `the ADDR environment variable: "localhost" is not HOST:PORT`},
		{"state directory is a file", []string{"-state-dir", file}, "", "is a file, not a directory"},
		{"stray argument", []string{"serve"}, "", `unexpected argument "serve"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stateDir := t.TempDir() + "/state"
			args := append([]string{"ipc-playground", "-state-dir", stateDir}, tc.args...)
			getenv := func(k string) string {
				if k == "ADDR" {
					return tc.addr
				}
				return ""
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, getenv, &stdout, &stderr)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("run returned %v, want a usage error", err)
			}
			if code := exitCode(err, io.Discard); code != 2 {
				t.Fatalf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.says) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tc.says)
			}
			if stdout.Len() != 0 {
				t.Fatalf("the server started: %q", stdout.String())
			}
			if _, err := os.Stat(stateDir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the state directory was made before the flags were checked (%v)", err)
			}
		})
	}
}

// TestGoodFlags accepts the addresses a user may mean.
func TestGoodFlags(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", ":8080", "localhost:8080", "[::1]:8080", "0.0.0.0:65535", "play-ground.example.:80"} {
		if err := checkAddr(addr); err != nil {
			t.Errorf("-addr %s refused: %v", addr, err)
		}
	}
	if code := exitCode(errors.New("listen: address in use"), io.Discard); code != 1 {
		t.Errorf("a plain error exits %d, want 1", code)
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"ipc-playground", "-h"}, func(string) string { return "" }, io.Discard, &stderr); err != nil ||
		!strings.Contains(stderr.String(), "-max-sessions") {
		t.Fatalf("-h: %v, usage %q", err, stderr.String())
	}
}

// TestBadFlagExitStatus runs the server as a process of its own with
// -max-sessions 0: it must exit with status 2 and say why on stderr,
// without ever listening.
func TestBadFlagExitStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Should the server start after all, the deadline kills it.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=-addr 127.0.0.1:0 -max-sessions 0 -state-dir "+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("the server exited with %v, want status 2; stderr %q", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "-max-sessions must be 1 or more, not 0") {
		t.Fatalf("stderr %q does not say what is wrong", stderr.String())
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Fatalf("the server listened: %q", stdout.String())
	}
}

// TestListenError is not a usage error: the address is good, but taken.
func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	args := []string{"ipc-playground", "-addr", ln.Addr().String(), "-state-dir", t.TempDir()}
	err = run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
	var usage *usageError
	if err == nil || errors.As(err, &usage) || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("run on a taken port returned %v, want a listen error", err)
	}
	if code := exitCode(err, io.Discard); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
}

// serveEnv makes the test binary a server with the arguments it holds.
const serveEnv = "IPCPG_TEST_SERVE"

// startServerProcess runs a server in a process of its own and returns its
// URL and the process.
func startServerProcess(t testing.TB, stateDir string, flags ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=-addr 127.0.0.1:0 -state-dir "+stateDir+" -data-dir "+filepath.Join(stateDir, "data")+
		" "+strings.Join(flags, " "))
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

	url, _ = startServerProcess(t, stateDir)
	if ok, err := ipc.MsgKeyExists(key); err != nil || ok {
		t.Fatalf("the new server did not sweep the queue left by the crashed one (exists %v, %v)", ok, err)
	}
	checkCutRecording(t, url, id)
}

// checkCutRecording checks that a session whose server was killed while it
// ran is still served after a restart: its events up to the last whole one,
// numbered without a gap, then a last event that says the server stopped.
func checkCutRecording(t *testing.T, url, id string) {
	t.Helper()
	resp, err := http.Get(url + "/api/sessions/" + id + "/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) < 3 {
		t.Fatalf("recording of the crashed session: %d, %d lines", resp.StatusCode, len(lines))
	}
	var last struct {
		Seq    int               `json:"seq"`
		Kind   string            `json:"kind"`
		State  string            `json:"state"`
		Result map[string]string `json:"result"`
	}
	for i, line := range lines {
		if err := json.Unmarshal([]byte(line), &last); err != nil || last.Seq != i+1 {
			t.Fatalf("line %d of the cut recording: seq %d, %v", i+1, last.Seq, err)
		}
	}
	if last.Kind != "session" || last.State != "stopped" || !strings.Contains(last.Result["stopped"], "server stopped") {
		t.Fatalf("the cut recording ends with %s", lines[len(lines)-1])
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
func createSession(t testing.TB, url, body string) string {
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

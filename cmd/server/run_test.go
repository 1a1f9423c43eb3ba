package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/runner"
)

// The test binary is also the worker, as the real binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == runner.WorkerArg {
		os.Exit(runner.WorkerMain(os.Getenv, os.Stderr))
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
	resp, err := http.Post(url+"/api/sessions", "application/json",
		strings.NewReader(`{"scenario": "pipe", "params": {"messages": 5}, "pace": "step"}`))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s", resp.Status)
	}
	pids := waitForPIDs(t, url, c.ID)

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

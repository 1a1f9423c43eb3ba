package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestControlStorm sends 5,000 controls from 8 clients, over about five
// seconds, to one step-paced pipe session whose child has not started (so
// nothing reads its control pipe), while a ninth client asks /healthz. Every
// control must be answered with 200, 409 or 429, /healthz must answer 200
// throughout, and SIGTERM afterwards must end the server with every worker
// gone. The latencies are logged (go test -v -run TestControlStorm): they
// are figures for the docs, not assertions, since machines are noisy.
func TestControlStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a real server process and 5,000 requests")
	}
	stateDir := t.TempDir()
	url, srv := startServerProcess(t, stateDir)
	resp, err := http.Post(url+"/api/sessions", "application/json",
		strings.NewReader(`{"scenario": "pipe", "params": {"messages": 50}, "pace": "step"}`))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID             string `json:"id"`
		PresenterToken string `json:"presenter_token"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	pids := waitForPIDs(t, url, c.ID)

	const clients, each = 8, 625
	// No steps: a step releases a call, and fifty of them would finish the
	// session. Pause, resume and speed reach every process, the child too.
	actions := []string{`{"action": "pause"}`, `{"action": "resume"}`, `{"action": "speed", "value": 2}`,
		`{"action": "speed", "value": 0.5}`}
	client := &http.Client{Timeout: 30 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	statuses := map[int]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for k := range clients {
		wg.Go(func() {
			for i := range each {
				// Spread the requests over about five seconds.
				if d := time.Until(start.Add(time.Duration(i) * 5 * time.Second / each)); d > 0 {
					time.Sleep(d)
				}
				req, _ := http.NewRequest("POST", url+"/api/sessions/"+c.ID+"/control", strings.NewReader(actions[(i+k)%len(actions)]))
				req.Header.Set("Authorization", "Bearer "+c.PresenterToken)
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				if err != nil {
					t.Errorf("control: %v", err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, d)
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	var health []time.Duration
	stopHealth := make(chan struct{})
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		for {
			select {
			case <-stopHealth:
				return
			case <-time.After(50 * time.Millisecond):
			}
			t0 := time.Now()
			resp, err := client.Get(url + "/healthz")
			if err != nil {
				t.Errorf("healthz: %v", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("healthz answered %d during the storm", resp.StatusCode)
			}
			health = append(health, time.Since(t0))
		}
	}()
	wg.Wait()
	close(stopHealth)
	<-healthDone
	storm := time.Since(start)

	for status, n := range statuses {
		if status != http.StatusOK && status != http.StatusConflict && status != http.StatusTooManyRequests {
			t.Errorf("%d controls answered %d", n, status)
		}
	}
	if got := len(lat); got != clients*each {
		t.Fatalf("%d of %d controls answered", got, clients*each)
	}
	slices.Sort(lat)
	slices.Sort(health)
	t.Logf("%d controls in %v: statuses %v; latency p50 %v, p99 %v, max %v; /healthz p99 %v, max %v over %d asks",
		len(lat), storm.Round(time.Millisecond), statuses, lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1],
		pct(health, 0.99), pct(health, 1), len(health))

	if r, err := client.Get(url + "/api/sessions/" + c.ID); err == nil {
		var snap struct {
			State  string         `json:"state"`
			Events int            `json:"events"`
			Result map[string]any `json:"result"`
		}
		json.NewDecoder(r.Body).Decode(&snap)
		r.Body.Close()
		t.Logf("after the storm the session is %s with %d events, result %v", snap.State, snap.Events, snap.Result)
		if snap.State != "running" && snap.State != "paused" {
			t.Errorf("the storm ended the session: %s %v", snap.State, snap.Result)
		}
	}
	t0 := time.Now()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	select {
	case err := <-exited:
		t.Logf("SIGTERM ended the server in %v (%v)", time.Since(t0).Round(time.Millisecond), err)
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not end within a minute of SIGTERM")
	}
	// A killed process closes its descriptors (the server sees the end of
	// its event pipe) a moment before /proc shows it a zombie: each gets
	// a few seconds to be gone; one that keeps running outlived the server.
	for _, pid := range pids {
		for deadline := time.Now().Add(5 * time.Second); running(pid); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("worker %d outlived the server", pid)
				break
			}
		}
	}
}

func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	return fmt.Sprint(ds[min(len(ds)-1, int(p*float64(len(ds))))])
}

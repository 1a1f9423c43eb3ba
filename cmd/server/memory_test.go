package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// largeSessions are sessions at the largest event counts the catalogue
// allows, one of each kind of event stream: many small messages, queues,
// and the race with a lock taken at every increment.
var largeSessions = []string{
	`{"scenario": "pipe", "params": {"messages": 10000, "size": 64}}`,
	`{"scenario": "mq-posix", "params": {"messages": 10000, "consumer_delay_ms": 0}}`,
	`{"scenario": "mq-sysv", "params": {"messages": 10000, "consumer_delay_ms": 0}}`,
	`{"scenario": "race", "params": {"workers": 2, "increments": 200000, "sync": "semaphore"}}`,
	`{"scenario": "socket-unix", "params": {"messages": 10000, "size": 64}}`,
}

// BenchmarkServerMemory runs 20 large sessions back to back on a real
// server process and reports how much its resident memory grew over the
// idle server's, and the most it held while a session ran:
//
//	go test -run '^$' -bench ServerMemory -benchtime 1x ./cmd/server
//
// Events are on disk: a running session keeps a bounded window of them in
// memory and an ended one none, so the growth stays flat however many
// sessions ran.
func BenchmarkServerMemory(b *testing.B) {
	for b.Loop() {
		// One client starts them all: no per-client limit on starts.
		url, srv := startServerProcess(b, b.TempDir(), "-starts-per-minute", "0")
		pid := srv.Process.Pid
		idle := rss(b, pid)
		peak := idle
		for i := range 20 {
			body := largeSessions[i%len(largeSessions)]
			id := createSession(b, url, body)
			for {
				peak = max(peak, rss(b, pid))
				if state := sessionState(b, url, id); state != "running" && state != "starting" && state != "paused" {
					if state != "finished" {
						b.Fatalf("%s ended %s", body, state)
					}
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		after := rss(b, pid)
		b.ReportMetric(float64(idle)/(1<<20), "idle-MiB")
		b.ReportMetric(float64(after-idle)/(1<<20), "growth-MiB")
		b.ReportMetric(float64(peak-idle)/(1<<20), "peak-growth-MiB")
	}
}

// rss reads a process's resident memory, in bytes.
func rss(b testing.TB, pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// sessionState asks the server for a session's state.
func sessionState(b testing.TB, url, id string) string {
	resp, err := http.Get(url + "/api/sessions/" + id)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ State string }
	json.NewDecoder(resp.Body).Decode(&s)
	return s.State
}

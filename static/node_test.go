package static

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPageLogic runs the page's own unit tests (the playback clock, the
// tape of snapshots, the model) with node's test runner, so that they are
// part of go test. Without node they are skipped, except in CI.
func TestPageLogic(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is needed for the page's unit tests: ", err)
		}
		t.Skip("node is not installed: the page's unit tests did not run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The files are named one by one: node versions differ in what they
	// make of a directory.
	files, err := filepath.Glob("js/test/*.test.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no unit tests under js/test: %v", err)
	}
	out, err := exec.CommandContext(ctx, node, append([]string{"--test"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %v: %v\n%s", files, err, out)
	}
	t.Logf("%s", tail(out, 400))
}

// tail is the end of b, where node sums its tests up.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

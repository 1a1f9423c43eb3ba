package archtest

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzTargets are the project's fuzz targets: the decoders that take bytes
// from outside (a request's body, a worker's record) and the encoder every
// event goes through. Each one's seed corpus runs with its own package's
// tests; TestShortFuzz fuzzes each for a few seconds besides: runs is a
// count of inputs, about five seconds' worth on one core.
var fuzzTargets = []struct {
	pkg, name string
	runs      int
}{
	{"./web", "FuzzDecodeBody", 8_000},
	{"./internal/wire", "FuzzDecodeRecord", 120_000},
	{"./internal/event", "FuzzAppendJSON", 80_000},
}

// TestShortFuzz runs each fuzz target under the fuzzing engine (go test
// -fuzz) for a few seconds, with one worker so that it does not crowd the
// tests running beside it. The budget is a count of inputs, not a time: a
// -fuzztime of seconds can end in a spurious "context deadline exceeded"
// from the fuzzing coordinator (go.dev/issue/75804) on a busy machine. A failing input is written under the target
// package's testdata/fuzz/, where it becomes a seed, and fails this test.
// Longer runs: go test -run='^$' -fuzz=^FuzzDecodeRecord$ ./internal/wire.
func TestShortFuzz(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing is left out of -short")
	}
	for _, f := range fuzzTargets {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "test",
				"-run=^$", "-fuzz=^"+f.name+"$", "-fuzztime="+strconv.Itoa(f.runs)+"x", "-parallel=1", f.pkg)
			cmd.Dir = root(t)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("go test -fuzz=%s %s: %v\n%s", f.name, f.pkg, err, out.Bytes())
			}
		})
	}
}

// TestEveryFuzzTargetListed keeps fuzzTargets whole: every fuzz target in
// the project's tests is in it, and nothing else.
func TestEveryFuzzTargetListed(t *testing.T) {
	dir := root(t)
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	var found, listed []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(path))
		for _, m := range decl.FindAllSubmatch(b, -1) {
			found = append(found, "./"+filepath.ToSlash(rel)+" "+string(m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fuzzTargets {
		listed = append(listed, f.pkg+" "+f.name)
	}
	slices.Sort(found)
	slices.Sort(listed)
	if !slices.Equal(found, listed) {
		t.Fatalf("fuzz targets in the tests:\n  %s\nlisted in fuzzTargets:\n  %s", strings.Join(found, "\n  "), strings.Join(listed, "\n  "))
	}
}

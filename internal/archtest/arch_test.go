package archtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const module = "github.com/ipc-playground/ipc-playground"

// root is the module's top directory.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s", dir)
	}
	return dir
}

// goTool runs the go command in the module's root.
func goTool(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// allowed lists, for each package of the project, the project packages it
// may import. Imports point one way: cmd/server → web → runner → scenario →
// ipc, with event, eventlog, templates and static below web; the
// children's runtime (worker) sits beside the runner, and neither imports
// the other: they share only the contract in wire.
var allowed = map[string][]string{
	"cmd/server":        {"web", "internal/runner", "internal/scenario", "internal/eventlog", "internal/worker", "internal/bench"},
	"web":               {"internal/runner", "internal/scenario", "internal/event", "internal/eventlog", "internal/ipc", "internal/trace", "internal/worker", "internal/bench", "templates", "static"},
	"internal/worker":   {"internal/scenario", "internal/ipc", "internal/event", "internal/wire"},
	"internal/runner":   {"internal/scenario", "internal/ipc", "internal/event", "internal/eventlog", "internal/moment", "internal/pipefill", "internal/wire"},
	"internal/eventlog": {"internal/event"},
	// runnertest runs real sessions for other packages' tests.
	"internal/runner/runnertest": {"internal/runner", "internal/scenario", "internal/event"},
	"internal/pipefill":          {},
	"internal/moment":            {"internal/event", "internal/pipefill"},
	"internal/trace":             {"internal/event"},
	"internal/scenario":          {"internal/ipc", "internal/event", "internal/wire", "internal/bench"},
	"internal/bench":             {"internal/ipc"},
	"internal/wire":              {"internal/event"},
	"internal/ipc":               {},
	"internal/event":             {},
	"templates":                  {},
	"static":                     {},
	"internal/archtest":          {},
}

// only lists outside packages that only some project packages may import.
var only = map[string][]string{
	"github.com/go-chi/chi/v5":                       {"web"},
	"github.com/coder/websocket":                     {"web"},
	"github.com/a-h/templ":                           {"templates", "web"},
	"github.com/chromedp/chromedp":                   {"web"},
	"golang.org/x/time/rate":                         {"web"},
	"github.com/prometheus/client_golang/prometheus": {"web"},
	"unsafe": {"internal/ipc"},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestImportDirection(t *testing.T) {
	out := goTool(t, "list", "-json", "./...")
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		may, known := allowed[name]
		if !known {
			t.Errorf("package %s is not in the import map: add it with the packages it may import", name)
			continue
		}
		imports := p.Imports
		if name == "web" {
			imports = append(imports, p.TestImports...) // the browser tests use chromedp
		}
		for _, imp := range imports {
			if dep, ok := strings.CutPrefix(imp, module+"/"); ok && !slices.Contains(may, dep) {
				t.Errorf("%s imports %s, against the direction of imports", name, dep)
			}
			for lib, users := range only {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !slices.Contains(users, name) {
					t.Errorf("%s imports %s, which only %v may", name, imp, users)
				}
			}
		}
	}
	if seen < 8 {
		t.Fatalf("go list saw only %d packages", seen)
	}
}

// TestRawSyscallsOnlyInIPC keeps raw system calls in internal/ipc, where
// each has its wrapper.
func TestRawSyscallsOnlyInIPC(t *testing.T) {
	dir := root(t)
	raw := []string{"unix.Syscall(", "unix.Syscall6(", "unix.RawSyscall", "syscall.Syscall(", "syscall.Syscall6(", "syscall.RawSyscall"}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.Contains(path, filepath.Join("internal", "ipc")+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, r := range raw {
			if bytes.Contains(b, []byte(r)) && !strings.HasSuffix(path, "arch_test.go") {
				rel, _ := filepath.Rel(dir, path)
				t.Errorf("%s calls %s: raw system calls belong in internal/ipc", rel, strings.TrimSuffix(r, "("))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGofmt(t *testing.T) {
	dir := root(t)
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "gofmt"), "-l", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gofmt: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Fatalf("gofmt would change these files; run gofmt -w:\n%s", s)
	}
}

func TestVet(t *testing.T) {
	goTool(t, "vet", "./...")
}

// TestTemplGenerated checks that every committed *_templ.go is what templ
// generates from its .templ file today: it generates a copy of the sources
// in a scratch directory and compares.
func TestTemplGenerated(t *testing.T) {
	dir := root(t)
	sources, err := filepath.Glob(filepath.Join(dir, "templates", "*.templ"))
	if err != nil || len(sources) == 0 {
		t.Fatalf("no templ sources (%v)", err)
	}
	// Generate from a copy laid out as in the repository, so that the
	// file names templ writes into its output are the same.
	scratch := t.TempDir()
	if err := os.Mkdir(filepath.Join(scratch, "templates"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scratch, "templates", filepath.Base(src)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	templ := strings.TrimSpace(string(goTool(t, "tool", "-n", "templ")))
	cmd := exec.Command(templ, "generate", "-path", ".")
	cmd.Dir = scratch
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, src := range sources {
		name := strings.TrimSuffix(filepath.Base(src), ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(scratch, "templates", name))
		if err != nil {
			t.Fatalf("templ generated no %s: %v", name, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "templates", name))
		if err != nil {
			t.Errorf("%s is missing: run go tool templ generate", name)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go tool templ generate and commit the result", name)
		}
	}
}

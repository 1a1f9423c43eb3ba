package wire

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startFake starts the test binary as a worker through Start and returns
// its pid; the process ends when the test does.
func startFake(t *testing.T, lim Limits) int {
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd, err := Start(ctx, Launch{Exe: exe, Spec: Spec{Session: "s1", Proc: "p", Role: "r"},
		Events: evW, Control: ctlR, Pgid: 0, Limits: lim})
	evW.Close()
	ctlR.Close()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctlW.Close() // the worker sees end of file and exits
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker: %v", err)
		}
		cancel()
		evR.Close()
	})
	return cmd.Process.Pid
}

func procFile(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// limitOf reads one line of /proc/PID/limits: the soft and hard values.
func limitOf(t *testing.T, limits, name string) (string, string) {
	t.Helper()
	for _, line := range strings.Split(limits, "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0], f[1]
			}
		}
	}
	t.Fatalf("no %q in limits:\n%s", name, limits)
	return "", ""
}

func TestStartLimits(t *testing.T) {
	lim := Limits{OpenFiles: 77, CPUSeconds: 321, FileBytes: 5 << 20}
	pid := startFake(t, lim)
	limits := procFile(t, pid, "limits")
	for _, c := range []struct{ name, want string }{
		{"Max open files", "77"},
		{"Max cpu time", "321"},
		{"Max file size", strconv.Itoa(5 << 20)},
		{"Max core file size", "0"},
	} {
		soft, hard := limitOf(t, limits, c.name)
		if soft != c.want || hard != c.want {
			t.Errorf("%s: soft %s hard %s, want %s", c.name, soft, hard, c.want)
		}
	}
}

func TestStartDefaultLimits(t *testing.T) {
	pid := startFake(t, Limits{})
	soft, _ := limitOf(t, procFile(t, pid, "limits"), "Max open files")
	if soft != strconv.FormatUint(DefaultLimits.OpenFiles, 10) {
		t.Errorf("open files %s, want the default %d", soft, DefaultLimits.OpenFiles)
	}
}

func TestStartEnvironment(t *testing.T) {
	t.Setenv("IPCPG_TEST_SECRET", "do-not-pass")
	t.Setenv("GORACE", "halt_on_error=1")
	pid := startFake(t, Limits{})
	env := strings.Split(strings.TrimRight(procFile(t, pid, "environ"), "\x00"), "\x00")
	var keys []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"GORACE", EnvSpec, "PATH"}
	if os.Getenv("GOCOVERDIR") != "" {
		want = append(want, "GOCOVERDIR")
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("worker environment has %v, want only %v", keys, want)
	}
	if !slices.Contains(env, "GORACE=halt_on_error=1") {
		t.Errorf("GORACE not passed on: %v", env)
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, EnvSpec+"="); ok && !strings.Contains(v, `"proc":"p"`) {
			t.Errorf("spec %s", v)
		}
	}
}

func TestStartOOMScore(t *testing.T) {
	pid := startFake(t, Limits{})
	own, err := strconv.Atoi(strings.TrimSpace(procFile(t, os.Getpid(), "oom_score_adj")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := strconv.Atoi(strings.TrimSpace(procFile(t, pid, "oom_score_adj")))
	if err != nil {
		t.Fatal(err)
	}
	if want := min(own+OOMBoost, 1000); got != want {
		t.Fatalf("worker oom_score_adj %d, want %d (the starter's is %d)", got, want, own)
	}
}

func TestEnvDefaults(t *testing.T) {
	env := Env(func(string) string { return "" }, []byte(`{}`))
	want := []string{"PATH=/usr/local/bin:/usr/bin:/bin", EnvSpec + "={}"}
	if !slices.Equal(env, want) {
		t.Fatalf("Env with nothing set: %v, want %v", env, want)
	}
}

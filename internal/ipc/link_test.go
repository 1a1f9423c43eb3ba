package ipc

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the pipe, FIFO, message queue and signal tests.

// childLink is the parent's side of two pipes to a child started with
// startLinked: the child reports on its descriptor 3 and reads commands
// from its descriptor 4.
type childLink struct {
	rep *os.File
	br  *bufio.Reader
	ctl *os.File
}

// startLinked starts role with a childLink; extra files become the child's
// descriptors 5, 6, ... The parent's copies of the link's child ends are
// closed, so each side sees end of file when the other goes.
func startLinked(t *testing.T, role string, extra []*os.File, args ...string) (*child, *childLink) {
	t.Helper()
	repR, repW := osPipe(t)
	ctlR, ctlW := osPipe(t)
	c := startChild(t, role, append([]*os.File{repW, ctlR}, extra...), args...)
	repW.Close()
	ctlR.Close()
	return c, &childLink{rep: repR, br: bufio.NewReader(repR), ctl: ctlW}
}

// osPipe returns an os.Pipe closed when the test ends.
func osPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// say sends the child one command line.
func (l *childLink) say(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(l.ctl, line); err != nil {
		t.Fatalf("tell child %q: %v", line, err)
	}
}

// next returns the child's next report line, failing after d.
func (l *childLink) next(t *testing.T, d time.Duration) string {
	t.Helper()
	_ = l.rep.SetReadDeadline(time.Now().Add(d))
	line, err := l.br.ReadString('\n')
	if err != nil {
		t.Fatalf("read child report: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// expect fails unless the child's next report line is want.
func (l *childLink) expect(t *testing.T, want string) {
	t.Helper()
	if got := l.next(t, 20*time.Second); got != want {
		t.Fatalf("child reported %q, want %q", got, want)
	}
}

// roleLink is the child's side of a childLink.
type roleLink struct {
	rep *os.File
	ctl *bufio.Reader
}

func childLinkEnds() roleLink {
	return roleLink{rep: os.NewFile(3, "report"), ctl: bufio.NewReader(os.NewFile(4, "control"))}
}

// report sends the parent one line.
func (l roleLink) report(format string, args ...any) {
	fmt.Fprintf(l.rep, format+"\n", args...)
}

// await returns the parent's next command, or "" when the parent is gone.
func (l roleLink) await() string {
	line, _ := l.ctl.ReadString('\n')
	return strings.TrimSuffix(line, "\n")
}

// roleFail reports a child's failure on stderr and returns its exit code.
func roleFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
	return 1
}

// testObjName is a name unique to this process and test, usable as a POSIX
// queue name after a slash: "ipct-PID-TestName".
func testObjName(t *testing.T) string {
	name := fmt.Sprintf("ipct-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "."))
	return name[:min(len(name), 200)]
}

// testKey is a System V key unique to this process and test.
func testKey(t *testing.T) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", os.Getpid(), t.Name())
	return int(h.Sum32()&0x7fffffff) | 1
}

// waitBlockedIn waits until a thread of process pid is asleep in system
// call nr (with first argument arg0, if given), as the kernel shows it in
// /proc/PID/task/TID/syscall. That file names the call a blocked thread is
// in, so a test can tell a call that sleeps from one that is merely slow.
func waitBlockedIn(t *testing.T, pid, nr int, arg0 ...uint64) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("pid %d to block in syscall %d %v", pid, nr, arg0), func() bool {
		files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		for _, f := range files {
			if inSyscall(f, nr, arg0) {
				return true
			}
		}
		return false
	})
}

// inSyscall reports whether the syscall file f shows call nr with the
// given first argument.
func inSyscall(f string, nr int, arg0 []uint64) bool {
	data, err := os.ReadFile(f)
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 || fields[0] != strconv.Itoa(nr) {
		return false
	}
	if len(arg0) == 0 {
		return true
	}
	a, err := strconv.ParseUint(strings.TrimPrefix(fields[1], "0x"), 16, 64)
	return err == nil && a == arg0[0]
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// The container, without a container engine: what the Docker image does,
// made from the kernel's own pieces. The static binary runs as uid 65532
// (the image's nonroot user), as PID 1 of a PID namespace of its own, in
// an IPC namespace and a mount namespace of its own, chrooted into a
// directory that holds only the binary, /proc, /dev/null, a /dev/shm
// tmpfs of 64 MiB (Docker's default), /tmp (the image's state directory is
// there) and /data (the image's volume for recordings). The IPC and mount
// namespaces are held by a process of their own, so a server that is
// killed can be followed by a new one in the same namespaces, as a
// container restarted with its IPC namespace kept.

// containerShmSize is the /dev/shm of a Docker container by default.
const containerShmSize = 64 << 20

// nonroot is the uid and gid of the image's user (distroless's nonroot).
const nonroot = 65532

type container struct {
	t      *testing.T
	root   string // the chroot, on the host
	holder *exec.Cmd
}

func TestContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the whole catalogue; not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes namespaces, mounts a tmpfs and changes user (CI runs as root)")
	}
	for _, tool := range []string{"unshare", "nsenter", "chroot", "mount", "sh", "sleep", "cat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (util-linux, coreutils): %v", tool, err)
		}
	}
	c := newContainer(t)

	url, srv := c.start()
	t.Run("catalogue", func(t *testing.T) { c.runCatalogue(t, url) })
	t.Run("no zombies", func(t *testing.T) { c.stopAndReap(t, url, srv) })
	t.Run("full shm", func(t *testing.T) { c.fullShm(t, url) })
	t.Run("no ids", func(t *testing.T) { c.noIDs(t, url) })
	t.Run("crash sweep", func(t *testing.T) { c.crashSweep(t, url, srv) })
}

// newContainer builds the binary into a fresh root and starts the holder of
// the IPC and mount namespaces, which mounts /dev/shm and /dev/null there.
func newContainer(t *testing.T) *container {
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proc", "dev/shm", "tmp", "data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(root, "data"), nonroot, nonroot); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dev/null"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(root, "ipc-playground"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the static binary: %v\n%s", err, out)
	}

	script := fmt.Sprintf("mount -t tmpfs -o size=%d,mode=1777 shm %s/dev/shm && mount --bind /dev/null %s/dev/null && echo ready && exec sleep 3600",
		containerShmSize, root, root)
	holder := exec.Command("unshare", "--ipc", "--mount", "--propagation", "private", "sh", "-c", script)
	holder.Stderr = os.Stderr
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	// Killing the holder frees the namespaces, and with them every kernel
	// object a failed test left in them.
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("the namespaces' holder did not start: %q, %v", line, err)
	}
	return &container{t: t, root: root, holder: holder}
}

// inside is a path of the container as the host reaches it, through the
// holder's view of the file system.
func (c *container) inside(path string) string {
	return fmt.Sprintf("/proc/%d/root%s%s", c.holder.Process.Pid, c.root, path)
}

// server is one run of the server in the container.
type server struct {
	cmd *exec.Cmd // unshare, the server's parent outside its PID namespace
	pid int       // the server, PID 1 inside, as the host numbers it
}

// start runs the server as PID 1 in a new PID namespace, in the holder's
// IPC and mount namespaces, as the image does: no flags, ADDR from the
// environment, the state directory left to its default under /tmp.
func (c *container) start() (string, *server) {
	t := c.t
	cmd := exec.Command("nsenter", "--target", strconv.Itoa(c.holder.Process.Pid), "--ipc", "--mount", "--",
		"unshare", "--pid", "--fork", "--mount-proc="+c.root+"/proc",
		"chroot", fmt.Sprintf("--userspec=%d:%d", nonroot, nonroot), c.root, "/ipc-playground")
	// The image's environment: ADDR, DATA_DIR, and a PATH (nsenter finds
	// unshare and chroot by it before the server starts).
	cmd.Env = []string{"ADDR=127.0.0.1:0", "DATA_DIR=/data", "PATH=" + os.Getenv("PATH")}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	// The server is killed by its own pid: as PID 1 its death ends every
	// process of its namespace. unshare's --kill-child would not do: the
	// parent-death signal it sets is cleared when chroot changes user.
	t.Cleanup(func() {
		if s.pid > 0 {
			_ = syscall.Kill(s.pid, syscall.SIGKILL)
		}
		// unshare collects the server and exits; should it not, it goes.
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the server did not start in the container: %v", err)
	}
	go io.Copy(io.Discard, out)
	_, url, _ := strings.Cut(strings.TrimSpace(line), "listening on ")
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if s.pid, err = strconv.Atoi(strings.TrimSpace(string(kids))); err != nil {
		t.Fatalf("the server's pid: %q: %v", kids, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("\nUid:\t%d\t", nonroot), "\nNSpid:\t" + strconv.Itoa(s.pid) + "\t1\n"} {
		if !strings.Contains(string(status), want) {
			t.Fatalf("the server is not the container's PID 1 as uid %d: no %q in\n%s", nonroot, want, status)
		}
	}
	return url, s
}

// session is what the test keeps of a session it started.
type session struct {
	id, token string
}

func post(t *testing.T, url, body string) session {
	t.Helper()
	resp, err := http.Post(url+"/api/sessions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ID    string `json:"id"`
		Token string `json:"presenter_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %s (%v)", body, resp.Status, err)
	}
	return session{c.ID, c.Token}
}

type endState struct {
	State  string         `json:"state"`
	Result map[string]any `json:"result"`
}

// waitEnd waits for a session to end and returns its last state.
func waitEnd(t *testing.T, url, id string, d time.Duration) endState {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var st endState
		resp, err := http.Get(url + "/api/sessions/" + id)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch st.State {
		case "finished", "failed", "stopped":
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s still %s after %v", id, st.State, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runCatalogue runs every scenario with its defaults, six at a time: each
// must finish.
func (c *container) runCatalogue(t *testing.T, url string) {
	all := scenario.All()
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for _, sc := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s := post(t, url, fmt.Sprintf(`{"scenario": %q}`, sc.Name))
			if st := waitEnd(t, url, s.id, 3*time.Minute); st.State != "finished" {
				t.Errorf("%s ended %s: %v", sc.Name, st.State, st.Result)
			}
		}()
	}
	wg.Wait()
}

// zombies lists the server's children that have exited and wait to be
// collected.
func zombies(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			kid, _ := strconv.Atoi(f)
			if st, err := ipc.ReadProcStat(kid); err == nil && st.Zombie() {
				out = append(out, kid)
			}
		}
	}
	return out
}

// stopAndReap stops sessions mid-way, as a class does with DELETE: as PID
// 1 the server inherits every orphan, and none may stay a zombie.
func (c *container) stopAndReap(t *testing.T, url string, srv *server) {
	var live []session
	for range 6 {
		live = append(live, post(t, url, `{"scenario": "pipe", "params": {"reader_delay_ms": 200}}`))
	}
	time.Sleep(300 * time.Millisecond) // mid-way: the parent has started its child
	for _, s := range live {
		req, _ := http.NewRequest(http.MethodDelete, url+"/api/sessions/"+s.id, nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE: %s", resp.Status)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for z := zombies(srv.pid); len(z) > 0; z = zombies(srv.pid) {
		if time.Now().After(deadline) {
			t.Fatalf("zombies left under the server: %v", z)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fullShm fills /dev/shm, as a 64 MiB one is filled by anyone's files: a
// session that needs shared memory fails in words, the server stays up and
// says it is not ready, and it is ready again once there is room.
func (c *container) fullShm(t *testing.T, url string) {
	filler := c.inside("/dev/shm/filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 1
	}
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: full
		}
	}
	f.Close()
	defer os.Remove(filler)

	for _, sc := range []string{"shm-posix", "race", "semaphore"} {
		c.mustFail(t, url, sc, "/dev/shm is full")
	}
	c.upButNotReady(t, url)
	os.Remove(filler)
	s := post(t, url, `{"scenario": "shm-posix"}`)
	if st := waitEnd(t, url, s.id, time.Minute); st.State != "finished" {
		t.Errorf("shm-posix after /dev/shm was emptied ended %s: %v", st.State, st.Result)
	}
}

// mustFail runs a scenario with its defaults: it must fail, with an error
// event that says why in the words given.
func (c *container) mustFail(t *testing.T, url, name, words string) {
	t.Helper()
	s := post(t, url, fmt.Sprintf(`{"scenario": %q}`, name))
	if st := waitEnd(t, url, s.id, time.Minute); st.State != "failed" {
		t.Errorf("%s ended %s, want failed", name, st.State)
	}
	if why := c.errorEvent(t, url, s.id); !strings.Contains(why, words) {
		t.Errorf("%s: the error event says %q, want it to say %q", name, why, words)
	}
}

// upButNotReady checks that the server answers /healthz and says on
// /readyz that it cannot start sessions.
func (c *container) upButNotReady(t *testing.T, url string) {
	t.Helper()
	if code := status(t, url+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d: the server should be up", code)
	}
	switch code := status(t, url+"/readyz"); code {
	case http.StatusNotFound:
		t.Log("no /readyz on this server yet: /healthz and the error events were checked")
	case http.StatusServiceUnavailable:
	default:
		t.Errorf("/readyz %d, want 503", code)
	}
}

// noIDs sets the container's IPC namespace's limits on queues and System
// V ids to nothing, as if every one were taken (the limits are the
// namespace's own): each session that needs one fails in words naming the
// limit, and the server stays up.
func (c *container) noIDs(t *testing.T, url string) {
	limits := []string{"/proc/sys/fs/mqueue/queues_max", "/proc/sys/kernel/msgmni", "/proc/sys/kernel/shmmni",
		"/proc/sys/kernel/sem"}
	saved := map[string]string{}
	for _, l := range limits {
		saved[l] = c.ipcSysctl(t, l, "")
	}
	defer func() {
		for l, v := range saved {
			c.ipcSysctl(t, l, v)
		}
	}()
	sem := strings.Fields(saved["/proc/sys/kernel/sem"])
	c.ipcSysctl(t, "/proc/sys/fs/mqueue/queues_max", "0")
	c.ipcSysctl(t, "/proc/sys/kernel/msgmni", "0")
	c.ipcSysctl(t, "/proc/sys/kernel/shmmni", "0")
	c.ipcSysctl(t, "/proc/sys/kernel/sem", strings.Join(append(sem[:3:3], "0"), " "))

	c.mustFail(t, url, "mq-posix", "fs.mqueue.queues_max")
	c.mustFail(t, url, "mq-sysv", "kernel.msgmni")
	c.mustFail(t, url, "shm-sysv", "kernel.shmmni")
	c.upButNotReady(t, url)
}

// ipcSysctl writes value to an IPC namespace limit of the container, or
// with value "" reads it.
func (c *container) ipcSysctl(t *testing.T, path, value string) string {
	t.Helper()
	script := "cat " + path
	if value != "" {
		script = fmt.Sprintf("echo %s > %s", value, path)
	}
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(c.holder.Process.Pid), "--ipc", "--",
		"sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
	return strings.TrimSpace(string(out))
}

// errorEvent returns the text of the session's first error event.
func (c *container) errorEvent(t *testing.T, url, id string) string {
	t.Helper()
	resp, err := http.Get(url + "/api/sessions/" + id + "/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct{ Kind, Error string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Kind == "error" {
			return e.Error
		}
	}
	return ""
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// sysvQueues lists the System V queue keys of the container's IPC
// namespace, as ipcs -q inside it would.
func (c *container) sysvQueues(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(c.holder.Process.Pid), "--ipc", "--",
		"cat", "/proc/sysvipc/msg").Output()
	if err != nil {
		t.Fatal(err)
	}
	_, rows, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(rows)
}

// shmFiles lists the server's POSIX objects in the container's /dev/shm.
func (c *container) shmFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(c.inside("/dev/shm/ipcpg.*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// crashSweep kills the server with SIGKILL while sessions hold a System V
// queue and a POSIX segment, and starts another in the same namespaces: it
// is PID 1 again, as the dead one was, and must still take the dead one's
// objects for leftovers and remove them.
func (c *container) crashSweep(t *testing.T, url string, srv *server) {
	post(t, url, `{"scenario": "mq-sysv", "params": {"consumers": 1, "messages": 50, "consumer_delay_ms": 1000}}`)
	post(t, url, `{"scenario": "shm-posix", "params": {"reader_delay_ms": 1000}}`)
	deadline := time.Now().Add(30 * time.Second)
	for c.sysvQueues(t) == "" || len(c.shmFiles(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the sessions' objects never appeared: queues %q, segments %v", c.sysvQueues(t), c.shmFiles(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(srv.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	if c.sysvQueues(t) == "" || len(c.shmFiles(t)) == 0 {
		t.Fatalf("the killed server's objects should still be there: queues %q, segments %v",
			c.sysvQueues(t), c.shmFiles(t))
	}

	url, _ = c.start()
	if q := c.sysvQueues(t); q != "" {
		t.Errorf("the new server did not sweep the dead one's System V queue:\n%s", q)
	}
	if f := c.shmFiles(t); len(f) != 0 {
		t.Errorf("the new server did not sweep the dead one's segments: %v", f)
	}
	if code := status(t, url+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz of the new server: %d", code)
	}
}

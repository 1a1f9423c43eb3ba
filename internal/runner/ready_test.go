package runner

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

func TestReadiness(t *testing.T) {
	room := kernelRoom{shmFree: 64 << 20, shmInodes: 1000}
	with := func(f func(*kernelRoom)) kernelRoom { k := room; f(&k); return k }
	mqErr := func(e unix.Errno) error { return os.NewSyscallError("mq_open", e) }
	for _, c := range []struct {
		name    string
		closed  bool
		running int
		room    kernelRoom
		want    []string // phrases of the reason; none: ready
	}{
		{"room for all", false, 3, room, nil},
		{"shutting down", true, 0, room, []string{"shutting down"}},
		{"shutting down says nothing else", true, 8, with(func(k *kernelRoom) { k.shmFree = 0 }), []string{"shutting down"}},
		{"every slot taken", false, 8, room, []string{"all 8 session slots are taken"}},
		{"/dev/shm nearly full", false, 0, with(func(k *kernelRoom) { k.shmFree = 12 << 10 }),
			[]string{"/dev/shm has 12 KiB free", "1.0 MiB"}},
		{"/dev/shm just big enough", false, 0, with(func(k *kernelRoom) { k.shmFree = shmNeed }), nil},
		{"/dev/shm without inodes", false, 0, with(func(k *kernelRoom) { k.shmInodes = 0 }), []string{"no inodes"}},
		{"/dev/shm unreadable is not a refusal", false, 0,
			with(func(k *kernelRoom) { k.shmFree, k.shmErr = 0, errors.New("statfs: no such file") }), nil},
		{"queue memory spent", false, 0, with(func(k *kernelRoom) { k.mqErr = mqErr(unix.EMFILE) }),
			[]string{"RLIMIT_MSGQUEUE"}},
		{"no more queues", false, 0, with(func(k *kernelRoom) { k.mqErr = mqErr(unix.ENOSPC) }),
			[]string{"fs.mqueue.queues_max"}},
		{"queues not offered is not a refusal", false, 0, with(func(k *kernelRoom) { k.mqErr = mqErr(unix.ENOSYS) }), nil},
		{"System V ids gone", false, 0, with(func(k *kernelRoom) { k.sysvFull = "all 32000 System V message queue ids are taken" }),
			[]string{"System V message queue ids"}},
		{"every reason at once", false, 8, with(func(k *kernelRoom) {
			k.shmFree, k.mqErr, k.sysvFull = 0, mqErr(unix.EMFILE), "no semaphore ids"
		}), []string{"slots", "/dev/shm has 0 KiB", "RLIMIT_MSGQUEUE", "no semaphore ids"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, why := readiness(c.closed, c.running, 8, c.room)
			if ok != (len(c.want) == 0) {
				t.Fatalf("ready = %v (%q), want %v", ok, why, len(c.want) == 0)
			}
			if ok && why != "" {
				t.Fatalf("ready with a reason: %q", why)
			}
			for _, w := range c.want {
				if !strings.Contains(why, w) {
					t.Errorf("reason %q does not say %q", why, w)
				}
			}
		})
	}
}

// The kernel is asked at most once per readyEvery, and again as soon as
// that has passed, or if the clock went back.
func TestRoomCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	probes := 0
	c := roomCache{now: func() time.Time { return now }, probe: func() kernelRoom {
		probes++
		return kernelRoom{shmFree: uint64(probes)}
	}}
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{
		{0, 1}, {0, 1}, {readyEvery / 2, 1}, {readyEvery / 2, 2}, {readyEvery - 1, 2}, {1, 3}, {-time.Hour, 4},
	} {
		now = now.Add(step.advance)
		if got := c.get(); probes != step.want || got.shmFree != uint64(step.want) {
			t.Fatalf("after %v: %d probes, reading %d; want %d", step.advance, probes, got.shmFree, step.want)
		}
	}
}

// Ready on a real runner: ready when idle, not ready once shut down.
func TestReadyAndShutdown(t *testing.T) {
	r, err := New(Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := r.Ready(); !ok {
		// Only a machine whose /dev/shm or IPC tables are full says so.
		t.Logf("not ready on this machine: %s", why)
		if !strings.Contains(why, "/dev/shm") && !strings.Contains(why, "System V") && !strings.Contains(why, "queue") {
			t.Fatalf("an idle runner is not ready: %s", why)
		}
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ok, why := r.Ready(); ok || why != "the server is shutting down" {
		t.Fatalf("after shutdown Ready = %v, %q", ok, why)
	}
	if ok, _ := ipc.MqExists(probeQueueName(r.instance)); ok {
		t.Fatal("the readiness probe left its queue")
	}
}

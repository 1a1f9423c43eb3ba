package ipc

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMqProbeLeavesNothing(t *testing.T) {
	name := fmt.Sprintf("/ipcpg-test.probe.%d", os.Getpid())
	// One left by an earlier probe does not make it fail.
	fd, err := MqOpen(name, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: 1, Msgsize: 1})
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if err := MqProbe(name); err != nil {
		t.Fatalf("MqProbe: %v", err)
	}
	if ok, err := MqExists(name); ok || err != nil {
		t.Fatalf("the probe's queue is still there (%v)", err)
	}
}

func TestReadSysvUseCountsANewQueue(t *testing.T) {
	before, err := ReadSysvUse()
	if err != nil {
		t.Fatal(err)
	}
	if before.MsgMax <= 0 || before.SemMax <= 0 || before.ShmMax <= 0 {
		t.Fatalf("limits not read: %+v", before)
	}
	id, err := Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer MsgRemove(id)
	after, err := ReadSysvUse()
	if err != nil {
		t.Fatal(err)
	}
	// Other tests may make and remove queues meanwhile; this one is there.
	if after.Msg < 1 {
		t.Fatalf("a queue exists, yet %d are counted", after.Msg)
	}
}

func TestSysvUseFull(t *testing.T) {
	for _, c := range []struct {
		u    SysvUse
		want string
	}{
		{SysvUse{Msg: 3, MsgMax: 10, Sem: 2, SemMax: 10, Shm: 0, ShmMax: 10}, ""},
		{SysvUse{Msg: 10, MsgMax: 10, SemMax: 10, ShmMax: 10}, "kernel.msgmni"},
		{SysvUse{MsgMax: 10, Sem: 11, SemMax: 10, ShmMax: 10}, "kernel.sem"},
		{SysvUse{MsgMax: 10, SemMax: 10, Shm: 10, ShmMax: 10}, "kernel.shmmni"},
		{SysvUse{MsgMax: 0, SemMax: 10, ShmMax: 10}, "kernel.msgmni"}, // a limit of 0: none may be made
	} {
		got := c.u.Full()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v.Full() = %q, want one naming %q", c.u, got, c.want)
		}
	}
}

func TestShmRoom(t *testing.T) {
	b, n, err := ShmRoom("/dev/shm")
	if err != nil || b == 0 || n == 0 {
		t.Fatalf("ShmRoom = %d bytes, %d inodes, %v", b, n, err)
	}
}

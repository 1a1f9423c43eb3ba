package ipc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("msg-wait-type", roleMsgWaitType)
	registerChild("msg-sender", roleMsgSender)
	registerChild("msg-send-types", roleMsgSendTypes)
}

// testMsgQueue creates a private System V queue, removed when the test
// ends; the test fails if it is still listed in /proc/sysvipc/msg then.
func testMsgQueue(t *testing.T) int {
	t.Helper()
	id, err := Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := MsgRemove(id); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
			t.Errorf("remove queue %d: %v", id, err)
		}
		if listed, err := MsgIDListed(id); listed || err != nil {
			t.Errorf("queue %d still listed after cleanup (%v)", id, err)
		}
	})
	return id
}

func msgStat(t *testing.T, id int) MsgState {
	t.Helper()
	st, err := MsgStat(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// roleMsgWaitType receives one message of type args[1] from queue args[0]:
// a try first, which must find none, then the blocking call. It reports
// "waiting", then "got TYPE TEXT" or "error ERRNO".
func roleMsgWaitType(args []string) int {
	l := childLinkEnds()
	id, _ := strconv.Atoi(args[0])
	mtype, _ := strconv.Atoi(args[1])
	buf := make([]byte, 64)
	if _, _, err := Msgrcv(id, buf, mtype, unix.IPC_NOWAIT); !errors.Is(err, unix.ENOMSG) {
		return roleFail("try receive: %v, want ENOMSG", err)
	}
	l.report("waiting")
	n, got, err := Msgrcv(id, buf, mtype, 0)
	if err != nil {
		_, errno := Explain(err)
		l.report("error %s", errno)
		return 0
	}
	l.report("got %d %s", got, buf[:n])
	return 0
}

func TestMsgReceiverWaitsForItsType(t *testing.T) {
	id := testMsgQueue(t)
	c, link := startLinked(t, "msg-wait-type", nil, strconv.Itoa(id), "7")
	link.expect(t, "waiting")
	pid := c.cmd.Process.Pid
	waitBlockedIn(t, pid, unix.SYS_MSGRCV, uint64(id))
	for range 2 {
		if err := Msgsnd(id, 3, []byte("other"), unix.IPC_NOWAIT); err != nil {
			t.Fatal(err)
		}
	}
	// Messages of another type do not wake the receiver.
	waitBlockedIn(t, pid, unix.SYS_MSGRCV, uint64(id))
	if st := msgStat(t, id); st.Qnum != 2 || st.Cbytes != 10 || st.Lspid != os.Getpid() {
		t.Fatalf("state with two type-3 messages: %+v", st)
	}
	waiter := blockedThread(pid, unix.SYS_MSGRCV, uint64(id))
	if err := Msgsnd(id, 7, []byte("wanted"), 0); err != nil {
		t.Fatal(err)
	}
	link.expect(t, "got 7 wanted")
	c.wait(t, 20*time.Second)
	// A message handed straight to a receiver already asleep in msgrcv
	// records that thread's id as msg_lrpid, not its process's (Linux's
	// pipelined send), and a Go process may sleep on any of its threads.
	if st := msgStat(t, id); st.Qnum != 2 || st.Lrpid != pid && st.Lrpid != waiter || st.Rtime.IsZero() {
		t.Fatalf("state after the receive: %+v (receiver pid %d, waiting thread %d)", st, pid, waiter)
	}
}

// blockedThread returns the id of the thread of pid that is in syscall nr
// with first argument arg0, or 0.
func blockedThread(pid, nr int, arg0 uint64) int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
	for _, f := range files {
		if inSyscall(f, nr, []uint64{arg0}) {
			tid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			return tid
		}
	}
	return 0
}

func TestMsgRemovedUnderWaiter(t *testing.T) {
	id := testMsgQueue(t)
	c, link := startLinked(t, "msg-wait-type", nil, strconv.Itoa(id), "1")
	link.expect(t, "waiting")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_MSGRCV, uint64(id))
	if err := MsgRemove(id); err != nil {
		t.Fatal(err)
	}
	link.expect(t, "error EIDRM")
	c.wait(t, 20*time.Second)
}

// roleMsgSender sends args[1] messages of args[2] bytes, type 1, to queue
// args[0]: a try first, and when the queue is full it reports "blocked N"
// and makes the blocking call. It reports "sent N" at the end.
func roleMsgSender(args []string) int {
	l := childLinkEnds()
	id, _ := strconv.Atoi(args[0])
	count, _ := strconv.Atoi(args[1])
	size, _ := strconv.Atoi(args[2])
	for i := range count {
		msg := make([]byte, size)
		copy(msg, fmt.Sprintf("m%d", i))
		err := Msgsnd(id, 1, msg, unix.IPC_NOWAIT)
		if WouldBlock(err) {
			l.report("blocked %d", i)
			err = Msgsnd(id, 1, msg, 0)
		}
		if err != nil {
			return roleFail("send %d: %v", i, err)
		}
	}
	l.report("sent %d", count)
	return 0
}

func msgReceive(t *testing.T, id, mtype int) (string, int) {
	t.Helper()
	buf := make([]byte, 8192)
	n, got, err := Msgrcv(id, buf, mtype, unix.IPC_NOWAIT)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return strings.TrimRight(string(buf[:n]), "\x00"), got
}

func TestMsgFullQueueBlocksSender(t *testing.T) {
	id := testMsgQueue(t)
	if err := MsgSetQbytes(id, 1024); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "msg-sender", nil, strconv.Itoa(id), "6", "256")
	link.expect(t, "blocked 4")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_MSGSND, uint64(id))
	if st := msgStat(t, id); st.Qnum != 4 || st.Cbytes != 1024 || st.Qbytes != 1024 {
		t.Fatalf("state of a full queue: %+v", st)
	}
	if m, _ := msgReceive(t, id, 0); m != "m0" {
		t.Fatalf("first message %q", m)
	}
	link.expect(t, "blocked 5")
	if m, _ := msgReceive(t, id, 0); m != "m1" {
		t.Fatalf("second message %q", m)
	}
	link.expect(t, "sent 6")
	c.wait(t, 20*time.Second)
	for i := 2; i < 6; i++ {
		if m, _ := msgReceive(t, id, 0); m != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
}

func TestMsgQueueOutlivesKilledSender(t *testing.T) {
	id := testMsgQueue(t)
	if err := MsgSetQbytes(id, 100); err != nil {
		t.Fatal(err)
	}
	c, link := startLinked(t, "msg-sender", nil, strconv.Itoa(id), "100", "50")
	link.expect(t, "blocked 2")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_MSGSND, uint64(id))
	c.kill(t)
	if st := msgStat(t, id); st.Qnum != 2 {
		t.Fatalf("after the sender was killed: %+v; want 2 messages still queued", st)
	}
	if listed, _ := MsgIDListed(id); !listed {
		t.Fatal("queue not listed while it exists")
	}
	if err := MsgRemove(id); err != nil {
		t.Fatal(err)
	}
	if listed, err := MsgIDListed(id); listed || err != nil {
		t.Fatalf("MsgIDListed after removal = %v, %v", listed, err)
	}
	if _, err := MsgStat(id); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("MsgStat after removal: %v, want EINVAL", err)
	}
}

// roleMsgSendTypes sends each argument after the first, "TYPE:TEXT", to
// queue args[0].
func roleMsgSendTypes(args []string) int {
	id, _ := strconv.Atoi(args[0])
	for _, a := range args[1:] {
		ty, text, _ := strings.Cut(a, ":")
		mtype, _ := strconv.Atoi(ty)
		if err := Msgsnd(id, mtype, []byte(text), unix.IPC_NOWAIT); err != nil {
			return roleFail("send %s: %v", a, err)
		}
	}
	return 0
}

func TestMsgTypesAsAddressesAndPriorities(t *testing.T) {
	id := testMsgQueue(t)
	c := startChild(t, "msg-send-types", nil, strconv.Itoa(id), "5:e", "2:b", "9:i", "2:b2", "4:d")
	c.wait(t, 20*time.Second)
	if m, ty := msgReceive(t, id, 9); m != "i" || ty != 9 {
		t.Fatalf("receive type 9: %q type %d", m, ty)
	}
	if m, ty := msgReceive(t, id, -10); m != "b" || ty != 2 {
		t.Fatalf("receive lowest type: %q type %d", m, ty)
	}
	if m, ty := msgReceive(t, id, -10); m != "b2" || ty != 2 {
		t.Fatalf("receive lowest type again: %q type %d", m, ty)
	}
	buf := make([]byte, 8)
	if _, ty, err := Msgrcv(id, buf, 5, MsgExcept|unix.IPC_NOWAIT); err != nil || ty != 4 {
		t.Fatalf("receive any type but 5: type %d, %v", ty, err)
	}
	if _, _, err := Msgrcv(id, buf, 9, unix.IPC_NOWAIT); !errors.Is(err, unix.ENOMSG) || !WouldBlock(err) {
		t.Fatalf("receive a type nobody sent: %v, want ENOMSG", err)
	}
	if err := Msgsnd(id, 0, []byte("x"), unix.IPC_NOWAIT); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("send with type 0: %v, want EINVAL", err)
	}
	if err := Msgsnd(id, 1, []byte("too long"), unix.IPC_NOWAIT); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Msgrcv(id, make([]byte, 3), 1, unix.IPC_NOWAIT); !errors.Is(err, unix.E2BIG) {
		t.Fatalf("receive into a small buffer: %v, want E2BIG", err)
	}
	small := make([]byte, 3)
	if n, _, err := Msgrcv(id, small, 1, MsgNoError|unix.IPC_NOWAIT); err != nil || string(small[:n]) != "too" {
		t.Fatalf("receive with MsgNoError: %q, %v", small[:n], err)
	}
}

func TestMsgKeyExists(t *testing.T) {
	key := testKey(t)
	id, err := Msgget(key, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = MsgRemove(id) })
	if ok, err := MsgKeyExists(key); !ok || err != nil {
		t.Fatalf("MsgKeyExists = %v, %v", ok, err)
	}
	if _, err := Msgget(key, unix.IPC_CREAT|unix.IPC_EXCL|0o600); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second exclusive create: %v, want EEXIST", err)
	}
	if st := msgStat(t, id); st.Key != key || st.Mode != 0o600 {
		t.Fatalf("state %+v, want key %d", st, key)
	}
	if err := MsgRemove(id); err != nil {
		t.Fatal(err)
	}
	if ok, err := MsgKeyExists(key); ok || err != nil {
		t.Fatalf("MsgKeyExists after removal = %v, %v", ok, err)
	}
}

func TestMsgLimits(t *testing.T) {
	l, err := ReadMsgLimits()
	if err != nil {
		t.Fatal(err)
	}
	if l.Msgmax < 1 || l.Msgmnb < 1 || l.Msgmni < 1 {
		t.Fatalf("implausible limits %+v", l)
	}
	if err := l.Check(l.Msgmax); err != nil && l.Msgmax <= l.Msgmnb {
		t.Fatalf("Check(msgmax): %v", err)
	}
	err = l.Check(l.Msgmax + 1)
	if want := fmt.Sprintf("a message may be at most %d bytes (kernel.msgmax)", l.Msgmax); err == nil || err.Error() != want {
		t.Fatalf("Check(msgmax+1) = %v, want %q", err, want)
	}
	id := testMsgQueue(t)
	if err := Msgsnd(id, 1, make([]byte, l.Msgmax+1), unix.IPC_NOWAIT); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("kernel on a message over msgmax: %v, want EINVAL", err)
	}
	wide := MsgLimits{Msgmax: 65536, Msgmnb: 16384}
	if err := wide.Check(20000); err == nil || err.Error() != "the queue holds at most 16384 bytes (kernel.msgmnb)" {
		t.Fatalf("Check over msgmnb: %v", err)
	}
	if st := msgStat(t, id); st.Qbytes != l.Msgmnb {
		t.Fatalf("a new queue holds %d bytes, want kernel.msgmnb = %d", st.Qbytes, l.Msgmnb)
	}
}

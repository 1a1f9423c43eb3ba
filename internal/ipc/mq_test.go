package ipc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerChild("mq-sender", roleMqSender)
	registerChild("mq-prio-sender", roleMqPrioSender)
	registerChild("mq-cost", roleMqCost)
}

// testMq creates a POSIX queue with a name unique to the test and returns
// the name and a read-write descriptor. When the test ends the queue is
// closed and unlinked, and the test fails if it still exists.
func testMq(t *testing.T, maxmsg, msgsize int) (string, int) {
	t.Helper()
	name := "/" + testObjName(t)
	fd, err := MqOpen(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o600, &MqAttr{Maxmsg: maxmsg, Msgsize: msgsize})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	t.Cleanup(func() {
		unix.Close(fd)
		if err := MqUnlink(name); err != nil && !errors.Is(err, unix.ENOENT) {
			t.Errorf("unlink %s: %v", name, err)
		}
		if ok, err := MqExists(name); ok || err != nil {
			t.Errorf("queue %s exists after cleanup (%v)", name, err)
		}
	})
	return name, fd
}

// roleMqSender opens queue args[0] for writing and sends args[1] messages
// "m0", "m1", ...: a try first, and when the queue is full it reports
// "blocked N" and makes the blocking call.
func roleMqSender(args []string) int {
	l := childLinkEnds()
	fd, err := MqOpen(args[0], unix.O_WRONLY, 0, nil)
	if err != nil {
		return roleFail("open: %v", err)
	}
	count, _ := strconv.Atoi(args[1])
	for i := range count {
		msg := fmt.Appendf(nil, "m%d", i)
		err := MqTrySend(fd, msg, 0)
		if WouldBlock(err) {
			l.report("blocked %d", i)
			err = MqTimedSend(fd, msg, 0, time.Time{})
		}
		if err != nil {
			return roleFail("send %d: %v", i, err)
		}
	}
	l.report("sent %d", count)
	return 0
}

// mqReceive receives one message, failing the test after 10 seconds.
func mqReceive(t *testing.T, fd int) (string, uint) {
	t.Helper()
	buf := make([]byte, 8192)
	n, prio, err := MqTimedReceive(fd, buf, time.Now().Add(10*time.Second))
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return string(buf[:n]), prio
}

func mqDepth(t *testing.T, fd int) int {
	t.Helper()
	a, err := MqGetattr(fd)
	if err != nil {
		t.Fatal(err)
	}
	return a.Curmsgs
}

func TestMqFullQueueBlocksSender(t *testing.T) {
	name, fd := testMq(t, 4, 64)
	c, link := startLinked(t, "mq-sender", nil, name, "6")
	link.expect(t, "blocked 4")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_MQ_TIMEDSEND)
	if a, _ := MqStat(name); a.Curmsgs != 4 || a.Maxmsg != 4 || a.Msgsize != 64 {
		t.Fatalf("MqStat of a full queue = %+v", a)
	}
	if m, _ := mqReceive(t, fd); m != "m0" {
		t.Fatalf("first message %q", m)
	}
	link.expect(t, "blocked 5") // m4 went in as soon as m0 left
	if m, _ := mqReceive(t, fd); m != "m1" {
		t.Fatalf("second message %q", m)
	}
	link.expect(t, "sent 6")
	c.wait(t, 20*time.Second)
	if d := mqDepth(t, fd); d != 4 {
		t.Fatalf("depth %d after the sender finished, want 4", d)
	}
	for i := 2; i < 6; i++ {
		if m, _ := mqReceive(t, fd); m != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
	buf := make([]byte, 64)
	if _, _, err := MqTryReceive(fd, buf); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("MqTryReceive on an empty queue: %v, want EAGAIN", err)
	}
	if _, _, err := MqTimedReceive(fd, buf, time.Now().Add(20*time.Millisecond)); !errors.Is(err, unix.ETIMEDOUT) {
		t.Fatalf("MqTimedReceive past its deadline: %v, want ETIMEDOUT", err)
	}
	if _, _, err := MqTryReceive(fd, make([]byte, 63)); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("receive into a buffer smaller than msgsize: %v, want EMSGSIZE", err)
	}
}

// roleMqPrioSender sends each argument after the first, "PRIO:TEXT", to
// queue args[0].
func roleMqPrioSender(args []string) int {
	fd, err := MqOpen(args[0], unix.O_WRONLY, 0, nil)
	if err != nil {
		return roleFail("open: %v", err)
	}
	for _, a := range args[1:] {
		p, text, _ := strings.Cut(a, ":")
		prio, _ := strconv.Atoi(p)
		if err := MqTrySend(fd, []byte(text), uint(prio)); err != nil {
			return roleFail("send %s: %v", a, err)
		}
	}
	return 0
}

func TestMqHigherPriorityFirst(t *testing.T) {
	name, fd := testMq(t, 8, 16)
	c := startChild(t, "mq-prio-sender", nil, name, "1:low", "10:high", "5:mid", "10:high2", "0:zero")
	c.wait(t, 20*time.Second)
	var got []string
	for range 5 {
		m, prio := mqReceive(t, fd)
		got = append(got, fmt.Sprintf("%d:%s", prio, m))
	}
	if want := "10:high 10:high2 5:mid 1:low 0:zero"; strings.Join(got, " ") != want {
		t.Fatalf("received %v, want %s", got, want)
	}
	if err := MqTrySend(fd, []byte("x"), MqPrioMax); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("send with priority MqPrioMax: %v, want EINVAL", err)
	}
	if err := MqTrySend(fd, make([]byte, 17), 0); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("send of 17 bytes to a 16-byte queue: %v, want EMSGSIZE", err)
	}
}

func TestMqOutlivesKilledSender(t *testing.T) {
	name, fd := testMq(t, 2, 16)
	c, link := startLinked(t, "mq-sender", nil, name, "100")
	link.expect(t, "blocked 2")
	waitBlockedIn(t, c.cmd.Process.Pid, unix.SYS_MQ_TIMEDSEND)
	c.kill(t)
	if a, err := MqStat(name); err != nil || a.Curmsgs != 2 {
		t.Fatalf("after the sender was killed: %+v, %v; want 2 messages still queued", a, err)
	}
	if err := MqUnlink(name); err != nil {
		t.Fatal(err)
	}
	if ok, err := MqExists(name); ok || err != nil {
		t.Fatalf("MqExists after unlink = %v, %v", ok, err)
	}
	if _, err := MqOpen(name, unix.O_RDONLY, 0, nil); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("open after unlink: %v, want ENOENT", err)
	}
	// The name is gone, but the queue lives on while a descriptor is open.
	if m, _ := mqReceive(t, fd); m != "m0" {
		t.Fatalf("message after unlink %q", m)
	}
}

func TestMqNames(t *testing.T) {
	for _, name := range []string{"", "/", "noslash", "/a/b"} {
		if _, err := MqOpen(name, unix.O_RDONLY, 0, nil); !errors.Is(err, unix.EINVAL) {
			t.Errorf("MqOpen(%q): %v, want EINVAL", name, err)
		}
		if err := MqUnlink(name); !errors.Is(err, unix.EINVAL) {
			t.Errorf("MqUnlink(%q): %v, want EINVAL", name, err)
		}
	}
	if ok, err := MqExists("/" + testObjName(t)); ok || err != nil {
		t.Fatalf("MqExists of a queue never made = %v, %v", ok, err)
	}
	name, fd := testMq(t, 1, 1)
	if _, err := MqOpen(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o600, nil); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("exclusive create of an existing queue: %v, want EEXIST", err)
	}
	if a, err := MqGetattr(fd); err != nil || a.Maxmsg != 1 || a.Msgsize != 1 || a.Curmsgs != 0 {
		t.Fatalf("MqGetattr = %+v, %v", a, err)
	}
}

func TestMqLimits(t *testing.T) {
	l, err := ReadMqLimits()
	if err != nil {
		t.Fatal(err)
	}
	if l.MsgMax < 1 || l.MsgsizeMax < 128 || l.QueuesMax < 1 || l.UserBytes == 0 {
		t.Fatalf("implausible limits %+v", l)
	}
	if err := l.Check(min(l.MsgDefault, l.MsgMax), min(l.MsgsizeDefault, l.MsgsizeMax)); err != nil {
		t.Fatalf("a default queue fails Check: %v", err)
	}
	small := MqLimits{MsgMax: 10, MsgsizeMax: 8192, UserBytes: 819200}
	for _, tc := range []struct {
		maxmsg, msgsize int
		limit, text     string
	}{
		{11, 64, "fs.mqueue.msg_max", "the queue holds at most 10 messages (fs.mqueue.msg_max)"},
		{10, 8193, "fs.mqueue.msgsize_max", "a message may be at most 8192 bytes (fs.mqueue.msgsize_max)"},
		{0, 64, "mq_maxmsg", "a queue must hold at least 1 message"},
		{1, 0, "mq_msgsize", "a message must be allowed at least 1 byte"},
	} {
		var le *LimitError
		err := small.Check(tc.maxmsg, tc.msgsize)
		if !errors.As(err, &le) || le.Limit != tc.limit || err.Error() != tc.text {
			t.Errorf("Check(%d, %d) = %v, want %q", tc.maxmsg, tc.msgsize, err, tc.text)
		}
	}
	small.UserBytes = 50000
	if err := small.Check(10, 8192); err == nil || !strings.Contains(err.Error(), "82880 bytes") ||
		!strings.HasSuffix(err.Error(), "(RLIMIT_MSGQUEUE)") {
		t.Fatalf("Check over the user's allowance: %v", err)
	}
	if c := MqCost(10, 8192); c != 82880 || 819200/c != 9 {
		t.Fatalf("MqCost(10, 8192) = %d", c)
	}
}

// roleMqCost runs as a fresh user with nothing queued yet, so its
// RLIMIT_MSGQUEUE is its whole allowance, and checks that a queue of each
// size is refused (EMFILE) with an allowance of MqCost-1 bytes and created
// with MqCost bytes: the estimate is exact.
func roleMqCost(args []string) int {
	name := args[0]
	uid, _ := strconv.Atoi(args[1])
	if err := syscall.Setuid(uid); err != nil {
		return roleFail("setuid: %v", err)
	}
	l, err := ReadMqLimits()
	if err != nil {
		return roleFail("%v", err)
	}
	for _, size := range [][2]int{{1, 1}, {3, 100}, {l.MsgMax, l.MsgsizeMax}} {
		cost := MqCost(size[0], size[1])
		for _, allowance := range []int{cost - 1, cost} {
			rl := unix.Rlimit{Cur: uint64(allowance), Max: l.UserBytes}
			if err := unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &rl); err != nil {
				return roleFail("setrlimit: %v", err)
			}
			fd, err := MqOpen(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o600, &MqAttr{Maxmsg: size[0], Msgsize: size[1]})
			if allowance < cost {
				if !errors.Is(err, unix.EMFILE) {
					return roleFail("queue %v with %d bytes allowed: %v, want EMFILE", size, allowance, err)
				}
				continue
			}
			if err != nil {
				return roleFail("queue %v with %d bytes allowed: %v", size, allowance, err)
			}
			unix.Close(fd)
			if err := MqUnlink(name); err != nil {
				return roleFail("unlink: %v", err)
			}
		}
	}
	return 0
}

func TestMqCostMatchesKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to measure as a user with no queues")
	}
	l, err := ReadMqLimits()
	if err != nil {
		t.Fatal(err)
	}
	if MqCost(l.MsgMax, l.MsgsizeMax) > int(l.UserBytes) {
		t.Skipf("a largest queue does not fit the allowance: %+v", l)
	}
	name := "/" + testObjName(t)
	t.Cleanup(func() { _ = MqUnlink(name) })
	uid := 200000 + os.Getpid()%100000
	c := startChild(t, "mq-cost", nil, name, strconv.Itoa(uid))
	c.wait(t, 30*time.Second)
	if ok, _ := MqExists(name); ok {
		t.Fatal("queue left behind")
	}
}

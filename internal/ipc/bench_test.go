package ipc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Benchmarks of the wrappers between two real processes: the Go half of the
// side-by-side comparison that scripts/bench.sh draws with a small C program
// making the same system calls. Each one copies that program's structure so
// that the two do the same work:
//
//   - pp: the parent sends size bytes and the child sends them back, b.N
//     times after min(b.N/10, 1000) untimed warm-up round trips; every round
//     trip is timed and the median is reported as p50-us/op;
//   - stream: the parent sends b.N messages one way after the same warm-up,
//     and the clock stops when the child, having read the last one, writes
//     one byte on a separate pipe; reported as msg/s.
//
// BenchmarkIPC takes the playground's own path: every send and receive is
// first made with the mechanism's try form, which never sleeps, and only
// when the kernel answers that it would block is the blocking form called,
// exactly as the scenarios do it (they announce the block in between).
// BenchmarkIPCBlocking calls the blocking forms only, as the C program does.
//
// Run them with -bench; pin both processes to one core (taskset -c 0) when
// comparing, since where the two processes run moves the figures more than
// the mechanism does. -benchtime=Nx fixes the message count, as the C
// program's count argument does.
//
// Both processes make their timed calls on a thread with a descriptor table
// of its own (see ownFdTable), as the C program's single thread has; set
// IPC_BENCH_SHARED_FDS=1 to measure them on the process's shared table
// instead. The timed loops of both give way to the Go scheduler every 2 ms
// (see yielder); IPC_BENCH_NO_YIELD=1 stops that.

func init() {
	registerChild("bench-echo", roleBenchEcho)
	registerChild("bench-sig-driver", roleBenchSigDriver)
}

// benchEnd is one process's end of a two-way channel: send and recv move
// exactly len(b) bytes, or fail. tryFirst returns the same end made to try
// each call without waiting before making the blocking one.
type benchEnd interface {
	send(b []byte) error
	recv(b []byte) error
	tryFirst() (benchEnd, error)
}

// Names of the two ways of calling, as passed to the child.
const (
	styleTry   = "try"
	styleBlock = "block"
)

// styled returns e as style asks.
func styled(e benchEnd, style string) (benchEnd, error) {
	if style == styleTry {
		return e.tryFirst()
	}
	return e, nil
}

// benchPair is what a mechanism's setup gives the parent: its own end, and
// the descriptors and arguments the child opens its end from. The child
// gets files as descriptors 4, 5, ... (3 is the ack pipe).
type benchPair struct {
	end   benchEnd
	files []*os.File
	args  []string
}

// benchMech describes one mechanism: the sizes it carries, whether it has
// a stream mode, how the parent sets it up and how the child opens it.
type benchMech struct {
	name    string
	maxSize int
	stream  bool
	setup   func(b *testing.B, size int) benchPair
	open    func(size int, args []string) (benchEnd, error)
}

// benchMechs lists the mechanisms in the order of the comparison table.
// The exclusions are the C program's: no 64 KiB where the kernel's limits
// forbid it (UDP datagrams, POSIX and System V messages of at most 8 KiB
// here); no stream for shmsem and signal, which hold one message at a
// time, nor for UDP, which drops what the receiver has no room for instead
// of making the sender wait.
var benchMechs = []benchMech{
	{name: "pipe", maxSize: 65536, stream: true, setup: setupPipe, open: openFdEnd},
	{name: "fifo", maxSize: 65536, stream: true, setup: setupFifo, open: openFdEnd},
	{name: "unix", maxSize: 65536, stream: true, setup: setupUnix, open: openSockEnd},
	{name: "tcp", maxSize: 65536, stream: true, setup: setupTCP, open: openSockEnd},
	{name: "udp", maxSize: 4096, setup: setupUDP, open: openDgramEnd},
	{name: "pmq", maxSize: 4096, stream: true, setup: setupPmq, open: openPmqEnd},
	{name: "smq", maxSize: 4096, stream: true, setup: setupSmq, open: openSmqEnd},
	{name: "shmfutex", maxSize: 65536, stream: true, setup: setupShmFutex, open: openShmFutexEnd},
	{name: "shmsem", maxSize: 65536, setup: setupShmSem, open: openShmSemEnd},
	{name: "signal", maxSize: 64, open: openSigEnd},
}

var benchSizes = []int{64, 4096, 65536}

func benchMechNamed(name string) (benchMech, bool) {
	i := slices.IndexFunc(benchMechs, func(m benchMech) bool { return m.name == name })
	if i < 0 {
		return benchMech{}, false
	}
	return benchMechs[i], true
}

// BenchmarkIPC measures the playground's path: try first, block only when
// the kernel says the call would.
func BenchmarkIPC(b *testing.B) { benchAll(b, styleTry) }

// BenchmarkIPCBlocking measures the blocking calls alone.
func BenchmarkIPCBlocking(b *testing.B) { benchAll(b, styleBlock) }

func benchAll(b *testing.B, style string) {
	for _, m := range benchMechs {
		b.Run(m.name, func(b *testing.B) {
			for _, mode := range []string{"pp", "stream"} {
				if mode == "stream" && !m.stream {
					continue
				}
				b.Run(mode, func(b *testing.B) { benchSizesOf(b, m, mode, style) })
			}
		})
	}
}

func benchSizesOf(b *testing.B, m benchMech, mode, style string) {
	for _, size := range benchSizes {
		if size > m.maxSize {
			continue
		}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			if m.name == "signal" {
				benchSignal(b, style)
				return
			}
			benchOne(b, m, mode, style, size)
		})
	}
}

// benchWarm is the C program's warm-up count for count timed messages.
func benchWarm(count int) int { return min(count/10, 1000) }

// benchOne runs one cell with this process as the parent.
func benchOne(b *testing.B, m benchMech, mode, style string, size int) {
	b.StopTimer()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	count, warm := b.N, benchWarm(b.N)
	pair := m.setup(b, size)
	ackR, ackW := benchPipe(b)
	c := startChild(b, "bench-echo", append([]*os.File{ackW}, pair.files...),
		append([]string{m.name, mode, strconv.Itoa(size), strconv.Itoa(warm + count), style}, pair.args...)...)
	ackW.Close()
	closeAll(pair.files)
	done := watchChild(c)
	defer close(done)
	if err := awaitByte(int(ackR.Fd()), 'r'); err != nil {
		b.Fatalf("child not ready: %v", err)
	}
	buf := make([]byte, size)
	end, err := styled(pair.end, style)
	if err != nil {
		b.Fatal(err)
	}
	err = onOwnFdTable(func() error {
		if mode == "stream" {
			return benchStream(b, end, int(ackR.Fd()), buf, warm, count)
		}
		return benchPingPong(b, end, buf, warm, count)
	})
	if err != nil {
		b.Fatal(err)
	}
	c.wait(b, 20*time.Second)
}

// onOwnFdTable runs f on a new thread that has a descriptor table of its
// own, and returns f's error once that thread has ended. Unless
// IPC_BENCH_SHARED_FDS is set: then f runs on the caller's thread, on the
// process's table.
//
// The thread ends with f, and its table with it, so every descriptor is
// left as f found it in the process's table, which the benchmark then
// closes as usual. f must not close or open anything the rest of the
// process uses: its closes and opens are its own.
func onOwnFdTable(f func() error) error {
	if sharedFds() {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		// Never unlocked: when this goroutine returns, the runtime ends
		// the thread instead of giving it, and its table, to another.
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread never ends, so a table of its own
			// would stay in the process after f. Hold the main
			// thread while another does the work, and give it back
			// as it was.
			defer runtime.UnlockOSThread()
			done <- onOwnFdTable(f)
			return
		}
		if err := ownFdTable(); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}

func sharedFds() bool { return os.Getenv("IPC_BENCH_SHARED_FDS") != "" }

// ownFdTable gives the calling thread, which must be locked to its
// goroutine for good, a private copy of the process's descriptor table.
//
// The copy is what makes the comparison with C fair. For each read or
// write, Linux finds the file behind the descriptor; when the table is
// shared by several threads, as every Go process's is, it must also take a
// reference on the file for the length of the call and drop it after, since
// another thread could close the descriptor meanwhile. A single-threaded C
// process skips both, and so does a thread whose table has no other user.
// On a 64-byte pipe stream that is a seventh of C's time here.
//
// The copy holds references of its own to every open file, so a descriptor
// closed on this thread stays open for the rest of the process (and the
// other side of a pipe sees no end of file) until the thread ends.
//
//	int unshare(int flags);
func ownFdTable() error {
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		return os.NewSyscallError("unshare", err)
	}
	return nil
}

// benchPingPong times count round trips and reports their median and 99th
// percentile.
func benchPingPong(b *testing.B, e benchEnd, buf []byte, warm, count int) error {
	lat := make([]time.Duration, count)
	if err := roundTrips(e, buf, make([]time.Duration, warm)); err != nil {
		return err
	}
	b.StartTimer()
	err := roundTrips(e, buf, lat)
	b.StopTimer()
	if err != nil {
		return err
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(p50, "p50-us/op")
	b.ReportMetric(p99, "p99-us/op")
	return nil
}

// roundTrips makes len(lat) round trips, recording the time each took: the
// time between the ends of consecutive round trips, as the C program does.
func roundTrips(e benchEnd, buf []byte, lat []time.Duration) error {
	t0 := time.Now()
	prev := time.Duration(0)
	var y yielder
	for i := range lat {
		if err := e.send(buf); err != nil {
			return err
		}
		if err := e.recv(buf); err != nil {
			return err
		}
		t := time.Since(t0)
		lat[i] = t - prev
		prev = t
		y.tick()
	}
	return nil
}

// yieldEvery is how often a timed loop gives way to the Go scheduler.
const yieldEvery = 2 * time.Millisecond

// yielder makes a timed loop call runtime.Gosched about every yieldEvery,
// unless IPC_BENCH_NO_YIELD is set; tick is called once per message or
// round trip and looks at the clock every 64th time.
//
// A goroutine that goes from one system call to the next never passes
// through the scheduler, and once it has gone 10 ms without, the runtime's
// system monitor treats it as one that will not give up its P: it takes
// the P away whenever it finds the goroutine in a system call, at each of
// its ticks (every 20 µs while it keeps finding work), and wakes a thread
// to hand the P to, which finds nothing to do and sleeps again. A yield
// starts the count again. Pinned to one CPU, each of those wake-ups comes
// between the two processes' calls, which the C program does not pay: in
// a POSIX queue stream of 4 KiB (110,000 messages) the monitor slept and
// woke about 8,000 times without the yields and about 470 times with them.
// A yield of a goroutine locked to its thread costs a few context switches
// itself, counted in the figures.
type yielder struct {
	n    int
	last time.Time
}

var noYield = os.Getenv("IPC_BENCH_NO_YIELD") != ""

func (y *yielder) tick() {
	if y.n++; y.n%64 == 0 && !noYield {
		y.maybe()
	}
}

// maybe yields if yieldEvery has passed since the last yield; kept apart
// from tick so that tick is inlined into the timed loops.
func (y *yielder) maybe() {
	if now := time.Now(); now.Sub(y.last) >= yieldEvery {
		runtime.Gosched()
		y.last = now
	}
}

// percentiles returns the median and 99th percentile of lat in
// microseconds, picked as the C program picks them.
func percentiles(lat []time.Duration) (p50, p99 float64) {
	s := slices.Clone(lat)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return us(s[len(s)/2]), us(s[int(float64(len(s))*0.99)])
}

// benchStream sends warm untimed messages, then times count more up to the
// child's ack, which it writes after reading the last.
func benchStream(b *testing.B, e benchEnd, ack int, buf []byte, warm, count int) error {
	b.SetBytes(int64(len(buf)))
	if err := sendN(e, buf, warm); err != nil {
		return err
	}
	b.StartTimer()
	t0 := time.Now()
	err := sendN(e, buf, count)
	if err == nil {
		err = awaitByte(ack, 'k')
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	if err != nil {
		return err
	}
	b.ReportMetric(float64(count)/elapsed.Seconds(), "msg/s")
	return nil
}

func sendN(e benchEnd, buf []byte, n int) error {
	var y yielder
	for range n {
		if err := e.send(buf); err != nil {
			return err
		}
		y.tick()
	}
	return nil
}

// roleBenchEcho is the child of every cell: args are the mechanism, the
// mode, the size, the number of messages (warm-up included), the way of
// calling (styleTry or styleBlock) and the mechanism's own arguments. It says 'r' on the ack pipe once its end is
// open, then echoes each message (pp) or reads them all and says 'k'.
func roleBenchEcho(args []string) int {
	runtime.LockOSThread()
	m, ok := benchMechNamed(args[0])
	size, _ := strconv.Atoi(args[2])
	total, _ := strconv.Atoi(args[3])
	if !ok {
		return roleFail("no mechanism %q", args[0])
	}
	e, err := m.open(size, args[5:])
	if err != nil {
		return roleFail("open %s: %v", m.name, err)
	}
	if e, err = styled(e, args[4]); err != nil {
		return roleFail("%s: %v", args[4], err)
	}
	if !sharedFds() {
		// The process ends with this thread, so nothing needs the
		// process's own table after this.
		if err := ownFdTable(); err != nil {
			return roleFail("%v", err)
		}
	}
	const ack = 3
	if err := WriteFull(ack, []byte{'r'}); err != nil {
		return roleFail("ready: %v", err)
	}
	if err := echo(e, args[1] == "stream", make([]byte, size), total); err != nil {
		return roleFail("%s %s: %v", m.name, args[1], err)
	}
	if args[1] == "stream" {
		if err := WriteFull(ack, []byte{'k'}); err != nil {
			return roleFail("ack: %v", err)
		}
	}
	return 0
}

// echo receives total messages, sending each back unless only reading.
func echo(e benchEnd, readOnly bool, buf []byte, total int) error {
	var y yielder
	for range total {
		if err := e.recv(buf); err != nil {
			return err
		}
		if !readOnly {
			if err := e.send(buf); err != nil {
				return err
			}
		}
		y.tick()
	}
	return nil
}

// benchPipe returns a pipe for the ack byte; the parent reads it with the
// package's own Read, so both ends stay blocking descriptors.
func benchPipe(b *testing.B) (r, w *os.File) {
	rfd, wfd, err := Pipe2(0)
	if err != nil {
		b.Fatal(err)
	}
	r, w = os.NewFile(uintptr(rfd), "ack-r"), os.NewFile(uintptr(wfd), "ack-w")
	b.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// awaitByte reads one byte from fd and checks it is want.
func awaitByte(fd int, want byte) error {
	var one [1]byte
	if _, err := ReadFull(fd, one[:]); err != nil {
		return err
	}
	if one[0] != want {
		return fmt.Errorf("got %q from the child, want %q", one[0], want)
	}
	return nil
}

// watchChild ends this process if the child fails before the returned
// channel is closed. The parent may be asleep in a call that nothing else
// would wake (a futex, a message queue), and a benchmark has no deadline.
func watchChild(c *child) chan struct{} {
	done := make(chan struct{})
	go func() {
		select {
		case err := <-c.done:
			c.done <- err
			if err != nil {
				fmt.Fprintf(os.Stderr, "benchmark child failed: %v\n", err)
				_ = c.cmd.Process.Kill()
				os.Exit(2)
			}
		case <-done:
		}
	}()
	return done
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// errShort is returned when a message arrives with the wrong length.
var errShort = errors.New("message of the wrong length")

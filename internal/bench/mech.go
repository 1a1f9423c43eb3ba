// Package bench measures what a message costs over each IPC mechanism: the
// same workload (a number of messages of one size, one way or there and
// back) run between two real processes, timed by one of them, with the
// kernel's own count of context switches.
//
// A cell runs in two children of the caller: a driver, which creates the
// kernel objects, starts the echo and times the loop, and the echo, which
// reads each message and, for a round trip, sends it back. Both are this
// binary started again with ChildArg, so the caller's main must hand that
// argument to ChildMain before anything else. Each child pins itself to one
// CPU when asked, makes its timed calls on a thread with a descriptor table
// of its own, and gives way to the Go scheduler every 2 ms, as the
// benchmarks of package ipc do (see docs/BENCHMARKS.md for why each).
package bench

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Modes of a cell.
const (
	// Stream sends the messages one way; the clock stops when the echo,
	// having read the last, says so on a pipe of its own.
	Stream = "stream"
	// RoundTrip sends each message and waits for it to come back.
	RoundTrip = "rtt"
)

// Mechanism describes one way of moving messages between two processes.
type Mechanism struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// MaxSize is the largest message it carries here (the kernel's
	// defaults: 8 KiB queue messages, 65,507-byte UDP datagrams).
	MaxSize int `json:"max_size"`
	// NoStream, when set, says why it has no one-way stream.
	NoStream string `json:"no_stream,omitempty"`
	// Copies is how many times the kernel copies a message's bytes on
	// their way; CopiesWhy says where, in one line.
	Copies    int    `json:"copies"`
	CopiesWhy string `json:"copies_why"`
	// SignalsBlocked says both processes read SIGUSR1 and SIGUSR2 from a
	// signalfd, so they must have them blocked from their start.
	SignalsBlocked bool `json:"-"`
}

// mechs lists the mechanisms in the order of the tables.
var mechs = []Mechanism{
	{Name: "pipe", Title: "pipe", MaxSize: 1 << 20, Copies: 2,
		CopiesWhy: "write copies into the pipe's kernel pages, read copies out again"},
	{Name: "fifo", Title: "FIFO", MaxSize: 1 << 20, Copies: 2,
		CopiesWhy: "a pipe with a name: into the kernel's pages and out again"},
	{Name: "pmq", Title: "POSIX queue", MaxSize: 8192, Copies: 2,
		CopiesWhy: "mq_send copies into a kernel message, mq_receive copies it out"},
	{Name: "smq", Title: "System V queue", MaxSize: 8192, Copies: 2,
		CopiesWhy: "msgsnd copies into a kernel message, msgrcv copies it out"},
	{Name: "shmfutex", Title: "shared memory + futex", MaxSize: 1 << 20, Copies: 0,
		CopiesWhy: "the sender copies into memory both processes map and the receiver copies out of it; the kernel copies nothing, it only puts a waiter to sleep and wakes it"},
	{Name: "shmsem", Title: "shared memory + System V semaphore", MaxSize: 1 << 20, Copies: 0,
		NoStream:  "one buffer per direction: a message must be taken before the next is written",
		CopiesWhy: "the bytes go through memory both processes map, copied in and out by the processes; semop only counts and wakes"},
	{Name: "unix", Title: "Unix stream socket", MaxSize: 1 << 20, Copies: 2,
		CopiesWhy: "send copies into a socket buffer queued on the peer, recv copies out"},
	{Name: "unixdgram", Title: "Unix datagram socket", MaxSize: 65536, Copies: 2,
		CopiesWhy: "each datagram is copied into a kernel buffer on the peer's queue and out again"},
	{Name: "tcp", Title: "TCP loopback", MaxSize: 1 << 20, Copies: 2,
		CopiesWhy: "send copies into socket buffers; loopback hands them to the peer, recv copies out"},
	{Name: "udp", Title: "UDP loopback", MaxSize: 65507, Copies: 2,
		NoStream:  "UDP drops what the receiver has no room for instead of making the sender wait",
		CopiesWhy: "sendto copies into a datagram buffer; loopback hands it over, recv copies out"},
	{Name: "signal", Title: "signal (sigqueue)", MaxSize: 1 << 20, Copies: 2, SignalsBlocked: true,
		NoStream:  "a ping-pong: each signal is answered before the next is sent",
		CopiesWhy: "no payload: sigqueue copies a siginfo (a 4-byte value) into the kernel's queue and the signalfd read copies it out"},
}

// Mechanisms returns every mechanism, in the order of the tables.
func Mechanisms() []Mechanism { return slices.Clone(mechs) }

// Lookup returns the mechanism called name.
func Lookup(name string) (Mechanism, bool) {
	i := slices.IndexFunc(mechs, func(m Mechanism) bool { return m.Name == name })
	if i < 0 {
		return Mechanism{}, false
	}
	return mechs[i], true
}

// Names returns the mechanisms' names, in order.
func Names() []string {
	out := make([]string, len(mechs))
	for i, m := range mechs {
		out[i] = m.Name
	}
	return out
}

// Skip says why m cannot run in mode with messages of size bytes, or ""
// when it can.
func (m Mechanism) Skip(mode string, size int) string {
	switch {
	case mode == Stream && m.NoStream != "":
		return m.NoStream
	case m.SignalsBlocked && size > 64:
		return "a signal carries a 4-byte value, not a message: it is measured at 64 B and below"
	case size > m.MaxSize:
		return fmt.Sprintf("messages of at most %d bytes here", m.MaxSize)
	}
	return ""
}

// payload is how many bytes of a size-byte message m really moves: a
// signal carries only its value.
func (m Mechanism) payload(size int) int {
	if m.SignalsBlocked {
		return 4
	}
	return size
}

// ParseList splits a comma-separated list of mechanism names; "all" or ""
// is every one.
func ParseList(s string) ([]string, error) {
	if s == "" || s == "all" {
		return Names(), nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if _, ok := Lookup(n); !ok {
			return nil, fmt.Errorf("no mechanism %q: the mechanisms are %s", n, strings.Join(Names(), ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// FirstCPU is the lowest-numbered CPU this process may run on, where a
// cell's two processes are pinned by default; -1 if it cannot tell.
func FirstCPU() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		for i := range 1024 {
			if set.IsSet(i) {
				return i
			}
		}
	}
	return -1
}

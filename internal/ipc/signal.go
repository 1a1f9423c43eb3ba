package ipc

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signals that carry a value between Go processes.
//
// Sending is sigqueue(3): the signal goes with an int the receiver can read.
// Real-time signals (32 to 64) queue: each one sent is delivered once, with
// its own value, lowest number first and in order within one number.
// SIGUSR1 and SIGUSR2 do not queue: a second one sent while the first is
// still pending is dropped (the send still succeeds), keeping the first
// value.
//
// Receiving in Go is the hard part. The runtime installs a handler for every
// signal on every thread; a signal no one asked for with os/signal is caught
// and dropped, and os/signal, when asked, passes the signal number on but
// never the value, and merges repeats. So the receiver keeps the signal
// blocked on every thread of the process and reads it from a signalfd,
// which yields each queued signal with the sender's pid and the value.
// Blocking it on one thread is not enough: a signal sent to the process goes
// to any thread that does not block it, and the runtime's threads do not.
// Each new runtime thread starts from the signal mask the process had when
// it was executed, so the signal must be blocked before the runtime starts:
// ReexecWithSignalsBlocked does that.
//
// Which numbers a Go program can take for itself: 32 and 33 belong to
// glibc's threads and 34 to musl's, and Go's runtime keeps all three (and
// SIGURG, which it uses to preempt goroutines) unblocked on every thread.
// That leaves SIGUSR1, SIGUSR2 and 35 (SigRTFree) to 64 (SigRTMax). In C
// terms 35 is SIGRTMIN+1 under glibc, where SIGRTMIN is 34.

// Real-time signal numbers as the kernel counts them.
const (
	SigRTMin  = unix.Signal(32) // the kernel's first real-time signal
	SigRTFree = unix.Signal(35) // the first a Go program can block and read
	SigRTMax  = unix.Signal(64) // the last real-time signal
)

// siQueue is SI_QUEUE, the si_code of a signal sent by sigqueue.
const siQueue = -1

// SignalUsable says in words why a Go program cannot use sig to carry
// values, or returns nil if it can.
func SignalUsable(sig unix.Signal) error {
	switch {
	case sig == unix.SIGUSR1, sig == unix.SIGUSR2, sig >= SigRTFree && sig <= SigRTMax:
		return nil
	case sig >= SigRTMin && sig < SigRTFree:
		return fmt.Errorf("signal %d is reserved for the C library's threads; use %d to %d", sig, SigRTFree, SigRTMax)
	case sig > SigRTMax || sig < 1:
		return fmt.Errorf("there is no signal %d; real-time signals run from %d to %d", sig, SigRTMin, SigRTMax)
	}
	return fmt.Errorf("signal %d (%v) is not free for a program's own use; use SIGUSR1, SIGUSR2 or %d to %d",
		sig, sig, SigRTFree, SigRTMax)
}

// Sigqueue sends sig to process pid with value, which the receiver reads as
// SignalInfo.Value. It fails with EAGAIN when the receiving user already has
// RLIMIT_SIGPENDING signals queued, ESRCH when pid is gone, and EPERM when
// this user may not signal it. For SIGUSR1 and SIGUSR2 already pending at
// pid it succeeds but the signal is dropped.
//
//	int rt_sigqueueinfo(pid_t tgid, int sig, siginfo_t *info);
//
// That is the system call behind sigqueue(3), which fills info as here:
// code SI_QUEUE, the sender's pid and uid, and the value. sigqueue(3) asks
// the kernel for the pid and uid on every call (getpid, getuid); here they
// are asked once per process, since a Go process keeps its pid, and the
// playground never changes its credentials: one system call per signal,
// as kill(2) makes.
func Sigqueue(pid int, sig unix.Signal, value int32) error {
	me := sender()
	info := siginfoQueue{Signo: int32(sig), Code: siQueue, Pid: me.pid, Uid: me.uid, Value: value}
	return syscallErr("rt_sigqueueinfo", rtSigqueueinfo(pid, sig, &info))
}

// sender is this process's pid and real uid, as a signal it sends names
// them.
var sender = sync.OnceValue(func() senderID {
	return senderID{pid: int32(os.Getpid()), uid: uint32(os.Getuid())}
})

type senderID struct {
	pid int32
	uid uint32
}

// ReexecWithSignalsBlocked makes sure sigs are blocked on every thread of
// this process, so that they wait, queued, for a signalfd to read them. If
// the process was started with them blocked it returns nil at once.
// Otherwise it blocks them on its own thread and executes the program again
// (execve of /proc/self/exe, same arguments and environment), because exec
// keeps the caller's signal mask and every thread of the new runtime starts
// from it. The process keeps its pid, its parent and every descriptor not
// marked close-on-exec; it starts over from main. On success this call does
// not return, so call it first thing, before the process has done anything
// it would have to undo. Processes this one starts later inherit the mask.
// Do not also pass these signals to os/signal.Notify: the runtime would
// unblock them on a thread of its own and take them there, values lost.
func ReexecWithSignalsBlocked(sigs ...unix.Signal) error {
	var want unix.Sigset_t
	for _, s := range sigs {
		if err := SignalUsable(s); err != nil {
			return err
		}
		sigsetAdd(&want, s)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cur unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur); err != nil {
		return syscallErr("rt_sigprocmask", err)
	}
	if sigsetHasAll(cur, want) {
		return nil
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &want, nil); err != nil {
		return syscallErr("rt_sigprocmask", err)
	}
	err := syscall.Exec("/proc/self/exe", os.Args, os.Environ())
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &cur, nil) // exec failed: leave the thread as it was
	return syscallErr("execve", err)
}

// sigsetAdd adds sig to set, as sigaddset(3).
func sigsetAdd(set *unix.Sigset_t, sig unix.Signal) {
	set.Val[(sig-1)/64] |= 1 << ((sig - 1) % 64)
}

// sigsetHasAll reports whether every signal in want is in set.
func sigsetHasAll(set, want unix.Sigset_t) bool {
	for i := range want.Val {
		if set.Val[i]&want.Val[i] != want.Val[i] {
			return false
		}
	}
	return true
}

// Signalfd returns a descriptor from which the process reads sigs (and
// their values) instead of having them delivered. The signals must be
// blocked on every thread (ReexecWithSignalsBlocked), or some will be
// delivered to a thread of the runtime and lost. Reads block until a signal
// is pending. The caller owns the descriptor; it is close-on-exec.
//
//	int signalfd(int fd, const sigset_t *mask, int flags);
func Signalfd(sigs ...unix.Signal) (int, error) {
	return signalfd(sigs, unix.SFD_CLOEXEC)
}

func signalfd(sigs []unix.Signal, flags int) (int, error) {
	var set unix.Sigset_t
	for _, s := range sigs {
		if s < 1 || s > SigRTMax {
			return -1, syscallErr("signalfd", unix.EINVAL)
		}
		sigsetAdd(&set, s)
	}
	fd, err := unix.Signalfd(-1, &set, flags)
	if err != nil {
		return -1, syscallErr("signalfd", err)
	}
	return fd, nil
}

// SignalInfo is one signal as the receiver sees it.
type SignalInfo struct {
	Signo unix.Signal
	Pid   int   // the sender's pid
	Uid   int   // the sender's user
	Value int32 // the value given to Sigqueue (0 for a plain kill)
	Queue bool  // sent with sigqueue (SI_QUEUE), so Value is meaningful
}

func signalInfo(si *unix.SignalfdSiginfo) SignalInfo {
	return SignalInfo{
		Signo: unix.Signal(si.Signo), Pid: int(si.Pid), Uid: int(si.Uid),
		Value: si.Int, Queue: si.Code == siQueue,
	}
}

// ReadSignal takes the next pending signal from a signalfd, sleeping until
// one is pending. Of several pending, the lowest number comes first, and
// signals of one number come in the order they were sent.
//
//	ssize_t read(int fd, struct signalfd_siginfo *buf, sizeof *buf);
func ReadSignal(fd int) (SignalInfo, error) {
	si, err := readSignalfd(fd)
	if err != nil {
		return SignalInfo{}, syscallErr("read signalfd", err)
	}
	return signalInfo(&si), nil
}

// SignalReader reads signals from two signalfds for the same signals: one
// that sleeps until a signal is pending, for Read, and one opened with
// SFD_NONBLOCK, for TryRead. Every signalfd of a process takes from the
// same set of signals pending for it, so each signal is read once, by
// whichever call comes first. A signalfd has no per-call flag that would
// make one read return at once, hence the second descriptor (a pipe's try
// opens a second description for the same reason, see PipeEnd).
type SignalReader struct {
	fd, tryFd int
}

// NewSignalReader opens the two signalfds for sigs, under the same rules as
// Signalfd. The reader owns them; Close closes both.
func NewSignalReader(sigs ...unix.Signal) (*SignalReader, error) {
	fd, err := signalfd(sigs, unix.SFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	tryFd, err := signalfd(sigs, unix.SFD_CLOEXEC|unix.SFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &SignalReader{fd: fd, tryFd: tryFd}, nil
}

// Read is ReadSignal on the descriptor that sleeps.
func (r *SignalReader) Read() (SignalInfo, error) { return ReadSignal(r.fd) }

// TryRead is Read that never waits: with no signal pending it fails with
// EAGAIN. It is one read on the non-blocking descriptor, a raw system call
// (see readSignalfdNow); an earlier form asked poll first and then read,
// two calls where one does, and a failed poll here cost more than a failed
// read (about 700 ns against 550).
func (r *SignalReader) TryRead() (SignalInfo, error) {
	si, err := readSignalfdNow(r.tryFd)
	if err != nil {
		return SignalInfo{}, syscallErr("read signalfd", err)
	}
	return signalInfo(&si), nil
}

// Close closes both descriptors.
func (r *SignalReader) Close() error {
	err := unix.Close(r.fd)
	if err2 := unix.Close(r.tryFd); err == nil {
		err = err2
	}
	return syscallErr("close", err)
}

// HandleSignals is a receiver's signal loop: it reads signals from a
// signalfd one at a time and runs handle for each, in the receiving
// process, on the calling goroutine, until handle returns false. Unlike a C
// signal handler, handle is ordinary code: it may allocate, lock and make
// any call.
func HandleSignals(fd int, handle func(SignalInfo) bool) error {
	for {
		info, err := ReadSignal(fd)
		if err != nil {
			return err
		}
		if !handle(info) {
			return nil
		}
	}
}

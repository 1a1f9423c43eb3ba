package scenario

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// The signal scenario: a sender queues signals, each with a value, to a
// receiver whose handler reads them one at a time. Real-time signals queue
// and all arrive; SIGUSR1 and SIGUSR2 do not queue, so signals sent while
// one is still pending merge into it and are never handled.
//
// The receiver starts the sender, once it is ready to take signals, and the
// sender learns the receiver's pid as its parent's. After its last signal
// the sender queues an end marker, SIGRTMAX, whose value is how many it
// sent. Of several pending signals the kernel hands out the lowest number
// first, so by the time the receiver gets the marker it has had every
// signal that was going to arrive.

type signalChoice struct {
	name string
	sig  unix.Signal
}

// signalChoices are the signals a student may pick, by their C names, and
// their numbers (SIGRTMIN is 34 under glibc).
var signalChoices = []signalChoice{
	{"SIGUSR1", unix.SIGUSR1},
	{"SIGUSR2", unix.SIGUSR2},
	{"SIGRTMIN+1", ipc.SigRTFree},
	{"SIGRTMIN+2", ipc.SigRTFree + 1},
	{"SIGRTMIN+3", ipc.SigRTFree + 2},
}

// endSignal marks the end of a run. It is real-time, so it never merges,
// and it is the highest number, so it comes after every other pending one.
const (
	endSignal     = ipc.SigRTMax
	endSignalName = "SIGRTMAX"
)

func init() {
	names := make([]string, len(signalChoices))
	for i, c := range signalChoices {
		names[i] = c.name
	}
	register(&Scenario{
		Name:      "signal",
		Title:     "Signals with a value: queued or merged",
		Mechanism: "signal",
		Summary: "A sender process sends signals to a receiver with sigqueue(), each carrying a number. The " +
			"receiver keeps those signals blocked and takes them one at a time from a signalfd, which tells " +
			"it the signal, its value and who sent it; then its handler does its work. Real-time signals " +
			"wait in a queue, one entry per signal sent. SIGUSR1 and SIGUSR2 have room for one pending " +
			"signal only: more sent meanwhile merge into it.",
		Watch: "Pick SIGUSR1 and a slow handler: the sender's signals pile up while the handler works, and " +
			"most of them merge, so fewer are delivered than sent, and values are missing. Pick SIGRTMIN+1: " +
			"every signal is delivered, with its own value, in order.",
		Params: []Param{
			intParam("signals", 20, 1, 1000, "", "How many signals the sender sends."),
			choiceParam("signal", "SIGRTMIN+1", names,
				"Which signal. Real-time signals (SIGRTMIN+n) queue; SIGUSR1 and SIGUSR2 merge while one is pending."),
			intParam("handler_delay_ms", 0, 0, 1000, "ms",
				"How long the receiver's handler works on each signal. Signals sent meanwhile wait as pending."),
		},
		Check: checkSignals,
		Plan:  planSignals,
	})
	registerRole("signal-receiver", signalReceiver)
	registerRole("signal-sender", signalSender)
}

// checkSignals refuses runs that would wait too long or queue more signals
// than the kernel lets one user have pending.
func checkSignals(v Values, _ Limits) *FieldError {
	n := v.Int("signals")
	if ferr := checkDelays("handler_delay_ms", n, v.Int("handler_delay_ms")); ferr != nil {
		return ferr
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &rl); err == nil && uint64(n)+1 > rl.Cur {
		return fieldErr("signals", "the kernel lets one user have at most %d signals pending (RLIMIT_SIGPENDING); send fewer", rl.Cur)
	}
	return nil
}

type signalArgs struct {
	Name           string `json:"name"`
	Signo          int    `json:"signo"`
	Count          int    `json:"count"`
	HandlerDelayMS int    `json:"handler_delay_ms"`
}

func planSignals(v Values, _ Env) (Plan, error) {
	name := v.Str("signal")
	i := slices.IndexFunc(signalChoices, func(c signalChoice) bool { return c.name == name })
	if i < 0 {
		return Plan{}, fmt.Errorf("unknown signal %q", name)
	}
	a := signalArgs{Name: name, Signo: int(signalChoices[i].sig), Count: v.Int("signals"),
		HandlerDelayMS: v.Int("handler_delay_ms")}
	return Plan{Procs: []ProcSpec{
		{Name: "receiver", Role: "signal-receiver", Args: a, Signals: []int{a.Signo, int(endSignal)}},
		{Name: "sender", Role: "signal-sender", Args: a, StartedBy: "receiver"},
	}}, nil
}

// signalAttrs describes a signal in events.
func signalAttrs(signo int, name string, value int32) map[string]any {
	attrs := map[string]any{event.AttrSigno: signo, event.AttrName: name, event.AttrValue: value}
	if signo == int(endSignal) {
		// The end marker is a signal like the others, but not one of
		// the signals counted: the page shows it apart.
		attrs[event.AttrMarker] = true
	}
	return attrs
}

// signalSender queues its signals to its parent, the receiver, then the end
// marker.
func signalSender(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[signalArgs](raw)
	if err != nil {
		return err
	}
	target := os.Getppid()
	sent := 0
	for sent < a.Count {
		if err = queueSignal(p, target, a.Signo, a.Name, int32(sent+1), ""); err != nil {
			break
		}
		sent++
	}
	// The end marker goes even after a failure, if it can, so that the
	// receiver does not wait for signals that will never come.
	endErr := queueSignal(p, target, int(endSignal), endSignalName, int32(sent),
		fmt.Sprintf("the end marker: its value says %d signals were sent", sent))
	if err != nil {
		return err
	}
	return endErr
}

// queueSignal sends one signal with its value. The report goes out before
// the call: the receiver may take the signal at once, and its report must
// not overtake this one.
func queueSignal(p *Proc, pid, signo int, name string, value int32, text string) error {
	if err := p.Gate("sigqueue", ""); err != nil {
		return err
	}
	if os.Getppid() != pid {
		// The receiver is gone and this process was handed to another
		// parent, which must not get these signals.
		return fmt.Errorf("the receiver (pid %d) has ended", pid)
	}
	attrs := signalAttrs(signo, name, value)
	attrs[event.AttrPID] = pid
	p.Emit(event.Event{Kind: event.KindSignal, Peer: "receiver", Call: "sigqueue", Attrs: attrs, Text: text})
	if err := ipc.Sigqueue(pid, unix.Signal(signo), value); err != nil {
		return p.Fail("sigqueue", "", err)
	}
	return nil
}

// receiverState is what the receiver's handler knows.
type receiverState struct {
	a         signalArgs
	sender    Child
	delivered int
	last      int32 // the value of the last signal handled
	sum       int64
}

// signalReceiver takes signals from a signalfd until the end marker, runs
// its handler for each, and says how many merged.
func signalReceiver(p *Proc, raw json.RawMessage) error {
	a, err := decodeArgs[signalArgs](raw)
	if err != nil {
		return err
	}
	if err := p.Gate("signalfd", ""); err != nil {
		return err
	}
	sr, err := ipc.NewSignalReader(unix.Signal(a.Signo), endSignal)
	if err != nil {
		return p.Fail("signalfd", "", err)
	}
	defer sr.Close()
	p.Note("the receiver keeps %s and %s blocked and reads them from a signalfd, each with its value and sender", a.Name, endSignalName)
	r := &receiverState{a: a}
	if r.sender, err = p.Spawn("sender", nil); err != nil {
		return p.Fail("fork/exec", "", err)
	}
	sent, err := r.loop(p, sr)
	code, sig, werr := p.WaitFor("sender", r.sender)
	p.Emit(exitEvent("sender", r.sender.PID(), code, sig))
	if err != nil {
		return err
	}
	merged := sent - r.delivered
	p.Result(map[string]any{"sent": sent, "delivered": r.delivered, "merged": merged})
	r.summary(p, sent, merged)
	switch {
	case werr != nil:
		return fmt.Errorf("wait for the sender: %w", werr)
	case sig != "":
		return fmt.Errorf("the sender was killed by %s", sig)
	case code != 0:
		return fmt.Errorf("the sender exited with code %d", code)
	}
	return nil
}

// loop handles signals until the end marker and returns the count it
// carries.
func (r *receiverState) loop(p *Proc, sr *ipc.SignalReader) (int, error) {
	for {
		if err := p.Gate("read", ""); err != nil {
			return 0, err
		}
		var info ipc.SignalInfo
		try := func() (bool, error) {
			var err error
			info, err = sr.TryRead()
			if ipc.WouldBlock(err) {
				return true, nil
			}
			return false, err
		}
		wait := func() error {
			var err error
			info, err = sr.Read()
			return err
		}
		if err := p.Blocking("read", "", try, wait); err != nil {
			return 0, p.Fail("read", "", err)
		}
		if info.Signo == endSignal {
			r.deliver(p, info, endSignalName)
			r.noteMissing(p, info.Value+1)
			return int(info.Value), nil
		}
		r.handle(p, info)
	}
}

// handle is the receiver's handler: it reports the signal, notices values
// that never came, and does its work.
func (r *receiverState) handle(p *Proc, info ipc.SignalInfo) {
	r.delivered++
	r.sum += int64(info.Value)
	r.deliver(p, info, r.a.Name)
	r.noteMissing(p, info.Value)
	r.last = info.Value
	if r.a.HandlerDelayMS > 0 {
		p.Sleep(time.Duration(r.a.HandlerDelayMS)*time.Millisecond, "a slow handler (handler_delay_ms)")
	}
}

// noteMissing says which values before value never came, if any did not.
func (r *receiverState) noteMissing(p *Proc, value int32) {
	if value-r.last < 2 {
		return
	}
	p.Note("values %d to %d never came: each was sent while a %s was already pending, and the kernel keeps only one",
		r.last+1, value-1, r.a.Name)
}

// deliver reports that the handler runs for the signal info.
func (r *receiverState) deliver(p *Proc, info ipc.SignalInfo, name string) {
	from := fmt.Sprint(info.Pid)
	if r.sender != nil && info.Pid == r.sender.PID() {
		from = "sender"
	}
	attrs := signalAttrs(int(info.Signo), name, info.Value)
	attrs[event.AttrFrom], attrs[event.AttrFromPID], attrs[event.AttrSum] = from, info.Pid, r.sum
	p.Emit(event.Event{Kind: event.KindDeliver, Peer: from, Call: "read", Attrs: attrs})
}

// summary tells the student what happened, in one sentence.
func (r *receiverState) summary(p *Proc, sent, merged int) {
	if merged == 0 {
		p.Note("all %d signals were delivered, each with its own value, in the order sent", sent)
		return
	}
	p.Note("%d signals were sent and %d delivered: %d merged into a %s that was already pending, and their values are gone",
		sent, r.delivered, merged, r.a.Name)
}

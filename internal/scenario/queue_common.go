package scenario

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// Helpers shared by the scenarios whose processes meet at a named object
// (queues, FIFOs, shared memory): delays, how messages are shared out, the
// owner that starts the other processes and waits for them, and the record
// of calls that lets the owner add up the session's result.

// maxSessionSeconds bounds how long the delays a student asks for may make
// a realtime session last. The runner ends longer sessions anyway; refusing
// them up front says why in plain words.
const maxSessionSeconds = 120

// checkDelayBudget refuses a session whose delays alone would make it run
// past maxSessionSeconds: count calls of delayMS each, spread over parallel
// processes.
func checkDelayBudget(param string, count, delayMS, parallel int) *FieldError {
	total := int64(count) * int64(delayMS) / int64(max(parallel, 1))
	if total > maxSessionSeconds*1000 {
		return fieldErr(param, "%d messages with a delay of %d ms would take about %d seconds; a session may last at most %d seconds: send fewer messages or shorten the delay",
			count, delayMS, total/1000, maxSessionSeconds)
	}
	return nil
}

func consumerDelayParam(def int64) Param {
	return intParam("consumer_delay_ms", def, 0, 5000, "ms",
		"Each consumer waits this long before each receive. Slow consumers let the queue fill up, so the producers block.")
}

// dealShare is how many of n items the k-th of parts (1-based) takes when they
// are dealt out as evenly as possible, the first ones taking one more.
func dealShare(n, parts, k int) int {
	q := n / parts
	if k <= n%parts {
		q++
	}
	return q
}

// producerIDs lists the message ids producer k of parts sends: k, k+parts,
// k+2*parts, ... up to n. So ids are unique in the session and never 0.
func producerIDs(n, parts, k int) []int64 {
	var ids []int64
	for id := k; id <= n; id += parts {
		ids = append(ids, int64(id))
	}
	return ids
}

// callRecord is one call a process made, for the owner's count at the
// end: what it was, which message, and when it started and returned on the
// clock every process of the session shares.
type callRecord struct {
	Proc    string `json:"proc"`
	Kind    string `json:"kind"` // event.KindSend or event.KindRecv
	Msg     int64  `json:"msg"`
	Prio    int    `json:"prio,omitempty"`
	Type    int    `json:"type,omitempty"`
	Blocked bool   `json:"blocked,omitempty"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
}

// recordSink sends a started process's records to its owner. They
// travel on an anonymous pipe that is no part of the lesson: it only lets
// the owner add up the result of processes whose counts depend on each
// other (which consumer got which message).
type recordSink struct {
	f    *os.File
	recs []callRecord
}

// newRecordSink uses the first role descriptor, which the owner passes to
// every process it starts. A process started without one keeps its
// records to itself.
func newRecordSink(p *Proc) *recordSink {
	t := &recordSink{}
	if len(p.Files) > 0 {
		t.f = p.Files[0]
	}
	return t
}

func (t *recordSink) add(r callRecord) { t.recs = append(t.recs, r) }

// flush writes every record, one line each. Each line is far shorter than
// PIPE_BUF, so lines from several processes never mix.
func (t *recordSink) flush() error {
	if t.f == nil {
		return nil
	}
	defer t.f.Close()
	for _, r := range t.recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode call record: %w", err)
		}
		if err := ipc.WriteFull(int(t.f.Fd()), append(b, '\n')); err != nil {
			return fmt.Errorf("send call records to the owner: %w", err)
		}
	}
	return nil
}

// crew is the processes an owner started: it made the shared object, then
// started the others, which find the object by its name or key. Because it
// waits for all of them, the owner is the one that can remove the object
// knowing nobody will look for it again.
type crew struct {
	p       *Proc
	wg      sync.WaitGroup
	records chan []callRecord
}

// startCrew starts the named processes, each with the write end of the
// record pipe as its first descriptor, and reports each one's end as it
// happens.
func startCrew(p *Proc, names []string) (*crew, error) {
	r, w, err := ipc.Pipe2(0)
	if err != nil {
		return nil, fmt.Errorf("make record pipe: %w", err)
	}
	rf, wf := os.NewFile(uintptr(r), "records-read"), os.NewFile(uintptr(w), "records-write")
	c := &crew{p: p, records: make(chan []callRecord, 1)}
	go c.readRecords(rf)
	defer wf.Close()
	for _, name := range names {
		child, err := p.Spawn(name, []*os.File{wf})
		if err != nil {
			return c, fmt.Errorf("start %s: %w", name, err)
		}
		c.wg.Add(1)
		go c.await(name, child)
	}
	return c, nil
}

// await reaps one child and reports how it ended. If it failed, the owner
// gives up at once: the others may be waiting for what the failed one
// would have done, and would wait forever. Its exit ends the session, and
// the server removes what is left.
func (c *crew) await(name string, child Child) {
	defer c.wg.Done()
	code, sig, err := child.Wait()
	c.p.Emit(exitEvent(name, child.PID(), code, sig))
	why := ""
	switch {
	case err != nil:
		why = fmt.Sprintf("%s: %v", name, err)
	case sig != "":
		why = fmt.Sprintf("%s was killed by %s", name, sig)
	case code != 0:
		why = fmt.Sprintf("%s exited with code %d", name, code)
	}
	if why != "" {
		c.p.Note("%s; %s gives up too, so that nobody waits forever for it.", why, c.p.Name)
		c.p.Abort(errors.New(why))
	}
}

// readRecords collects record lines until every writer has closed.
func (c *crew) readRecords(f *os.File) {
	defer f.Close()
	var recs []callRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r callRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			recs = append(recs, r)
		}
	}
	c.records <- recs
}

// wait waits for every started process to end well and returns their
// records.
func (c *crew) wait() []callRecord {
	c.wg.Wait()
	return <-c.records
}

// recordCounts are the sends and receives of a session, how many of each
// blocked, and the receives of each process.
type recordCounts struct {
	sent, received, sendBlocks, recvBlocks int
	perProc                                map[string]int
}

func countRecords(recs []callRecord) recordCounts {
	c := recordCounts{perProc: map[string]int{}}
	for _, r := range recs {
		switch r.Kind {
		case event.KindSend:
			c.sent++
			if r.Blocked {
				c.sendBlocks++
			}
		case event.KindRecv:
			c.received++
			c.perProc[r.Proc]++
			if r.Blocked {
				c.recvBlocks++
			}
		}
	}
	return c
}

package runner

import (
	"github.com/ipc-playground/ipc-playground/internal/event"
)

// orderer keeps the log causal. Processes report on their own, so a
// receive can reach the server before the send it took: the receive waits
// until its send is logged, and every later event of the same process waits
// behind it, so each process's events stay in the order it made them. The
// end of a wait in open() on a FIFO waits likewise for the other side's
// open, which is what ended it. A signal's delivery waits for the send of
// that signal with that value by the process it names: a signal event is
// logged before its sigqueue call, but the sender's report can still reach
// the server after the receiver's. A read or store of shared memory marked
// attrs.follows_store waits for the store that put there the value it found
// (the read's value) or replaced (the store's attrs.overwrote): every store
// is an event then, so a value is never shown before the store that put
// it there. It
// holds no clock and starts nothing: it only says what may be logged now.
type orderer struct {
	sent   msgSet              // message ids whose send was logged
	opened map[string]bool     // process and object, NUL between, whose open() was logged
	queued map[signalKey]bool  // signals whose send was logged
	stored map[storeKey]string // values stored in shared memory: the process of the last logged store, or "*" when several did
	held   map[string][]heldEv // per process: events waiting behind a cause not logged yet
	order  []string            // processes with held events, in the order they first waited

	// A deadlock's break: once the server has killed victim, the events of
	// the processes in behind are held until victim's exit is logged, so
	// nothing a survivor does because the kill freed it comes before the
	// kill's own mark.
	victim string
	behind map[string]bool

	// Where this batch's output logged each cause, by its index there, so
	// that an event that did not have to wait, its cause being logged
	// already in the same batch, is still never put before it (after).
	// newBatch forgets them: a cause from an earlier batch is in the log.
	at batchCauses
}

// batchCauses are the causes logged in the current batch, by their index
// in its output.
type batchCauses struct {
	sent   map[int64]int
	opened map[string]int
	queued map[signalKey]int
	stored map[storeKey]int
	exit   int             // the deadlock victim's exit, -1 if not in this batch
	freed  map[string]bool // the processes that were held behind it
}

// newBatch starts a new output: what was logged before is in the log.
func (o *orderer) newBatch() {
	c := &o.at
	if c.sent == nil {
		c.sent, c.opened, c.queued, c.stored = map[int64]int{}, map[string]int{}, map[signalKey]int{}, map[storeKey]int{}
	}
	clear(c.sent)
	clear(c.opened)
	clear(c.queued)
	clear(c.stored)
	c.exit, c.freed = -1, nil
}

// causeAt is the index in this batch's output of the logged event e
// follows from, by the rules of waits, or -1 when there is none in it.
func (o *orderer) causeAt(e *event.Event) int {
	c := &o.at
	if c.sent == nil {
		return -1
	}
	at := -1
	if c.exit >= 0 && c.freed[e.Proc] {
		at = c.exit
	}
	look := func(i int, ok bool) {
		if ok && i > at {
			at = i
		}
	}
	switch {
	case e.Kind == event.KindUnblock && e.Call == "open" && e.Peer != "" && e.Obj != "":
		i, ok := c.opened[e.Peer+"\x00"+e.Obj]
		look(i, ok)
	case e.Kind == event.KindDeliver:
		if k, ok := signalOf(e, e.Peer); ok {
			i, ok := c.queued[k]
			look(i, ok)
		}
	case isReceive(e.Kind) && e.Msg != 0:
		i, ok := c.sent[e.Msg]
		look(i, ok)
	}
	if k, _, ok := followsStore(e); ok {
		i, ok := c.stored[k]
		look(i, ok)
	}
	return at
}

// heldEv is an event on its way to the log, with the order it came in.
type heldEv struct {
	e       event.Event
	arrival uint64
	// after is, for an event that waited, the index in the orderer's
	// output of the event whose logging let it go (its cause); -1 for one
	// that never waited. The output may be put in time order (inTimeOrder),
	// but never with an event before its cause.
	after int
}

func newOrderer() *orderer {
	return &orderer{opened: map[string]bool{}, queued: map[signalKey]bool{}, stored: map[storeKey]string{}, held: map[string][]heldEv{}}
}

// signalKey names one sent signal: who sent it, its number and its value.
type signalKey struct {
	from         string
	signo, value int
}

// signalOf returns the key of a signal event (from its sender) or of a
// delivery (from the process it names as the sender). A delivery from a
// process outside the session (named by a pid, or by nobody) has none, and
// never waits: its send is never logged.
func signalOf(e *event.Event, from string) (signalKey, bool) {
	signo, ok1 := attrInt(e.Attrs[event.AttrSigno])
	value, ok2 := attrInt(e.Attrs[event.AttrValue])
	if !ok1 || !ok2 || from == "" || isNumber(from) {
		return signalKey{}, false
	}
	return signalKey{from, signo, value}, true
}

// storeKey names a value stored at an offset of an object.
type storeKey struct {
	obj           string
	offset, value int64
}

// followsStore returns the store e waits for, when it says it follows one:
// a read names the value it found, a store the value it replaced. A store
// waits for another process's store: what it replaced was put there between
// its own load and store, so not by itself.
func followsStore(e *event.Event) (k storeKey, other bool, ok bool) {
	if f, _ := e.Attrs[event.AttrFollowsStore].(bool); !f || e.Obj == "" || e.Offset == nil {
		return storeKey{}, false, false
	}
	switch {
	case e.Kind == event.KindRead && e.Value != nil:
		return storeKey{e.Obj, *e.Offset, *e.Value}, false, true
	case e.Kind == event.KindWrite:
		v, ok := attrInt(e.Attrs[event.AttrOverwrote])
		return storeKey{e.Obj, *e.Offset, int64(v)}, true, ok
	}
	return storeKey{}, false, false
}

// storeLogged reports whether a store k is logged, by a process other than
// proc when other is set.
func (o *orderer) storeLogged(k storeKey, other bool, proc string) bool {
	by, ok := o.stored[k]
	return ok && (!other || by != proc)
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isSend(kind string) bool    { return kind == event.KindWrite || kind == event.KindSend }
func isReceive(kind string) bool { return kind == event.KindRead || kind == event.KindRecv }

// afterExitOf holds the events of procs until victim's exit is logged.
func (o *orderer) afterExitOf(victim string, procs []string) {
	o.victim = victim
	o.behind = map[string]bool{}
	for _, p := range procs {
		if p != victim {
			o.behind[p] = true
		}
	}
}

// waits reports whether e must wait for another process's event that
// caused it and is not logged yet.
func (o *orderer) waits(e *event.Event) bool {
	if o.victim != "" && o.behind[e.Proc] {
		return true
	}
	if e.Kind == event.KindUnblock && e.Call == "open" && e.Peer != "" && e.Obj != "" {
		return !o.opened[e.Peer+"\x00"+e.Obj]
	}
	if e.Kind == event.KindDeliver {
		k, ok := signalOf(e, e.Peer)
		return ok && !o.queued[k]
	}
	if k, other, ok := followsStore(e); ok {
		return !o.storeLogged(k, other, e.Proc)
	}
	return isReceive(e.Kind) && e.Msg != 0 && !o.sent.has(e.Msg)
}

// admit takes one event, which came in arrival-th, and appends to out every
// event that may be logged now, in the order to log them: e itself, unless
// it waits, and whatever waited for it. It copies e; the caller keeps it.
func (o *orderer) admit(e *event.Event, arrival uint64, out []heldEv) []heldEv {
	p := e.Proc
	if p != "" && ((len(o.order) > 0 && len(o.held[p]) > 0) || o.waits(e)) {
		if len(o.held[p]) == 0 {
			o.order = append(o.order, p)
		}
		o.held[p] = append(o.held[p], heldEv{*e, arrival, -1})
		return out
	}
	out = append(out, heldEv{*e, arrival, o.causeAt(e)})
	return o.loggedLast(out)
}

// logged appends h to out and lets go what waited for it.
func (o *orderer) logged(h heldEv, out []heldEv) []heldEv {
	return o.loggedLast(append(out, h))
}

// loggedLast notes the event at the end of out as logged, and appends to
// out what waited for it.
func (o *orderer) loggedLast(out []heldEv) []heldEv {
	i := len(out) - 1
	e := &out[i].e
	c := &o.at
	batch := c.sent != nil
	switch {
	case isSend(e.Kind) && e.Msg != 0:
		o.sent.add(e.Msg)
		if batch {
			c.sent[e.Msg] = i
		}
	case e.Kind == event.KindOpen && e.Call == "open" && e.Obj != "":
		o.opened[e.Proc+"\x00"+e.Obj] = true
		if batch {
			c.opened[e.Proc+"\x00"+e.Obj] = i
		}
	case e.Kind == event.KindSignal:
		k, ok := signalOf(e, e.Proc)
		if !ok {
			return out
		}
		o.queued[k] = true
		if batch {
			c.queued[k] = i
		}
	case e.Kind == event.KindExit && e.Proc != "" && e.Proc == o.victim:
		if batch {
			c.exit, c.freed = i, o.behind
		}
		o.victim, o.behind = "", nil
	case e.Kind == event.KindWrite && e.Value != nil && e.Obj != "" && e.Offset != nil:
		k := storeKey{e.Obj, *e.Offset, *e.Value}
		if by, ok := o.stored[k]; ok && by != e.Proc {
			o.stored[k] = "*"
		} else {
			o.stored[k] = e.Proc
		}
		if batch {
			c.stored[k] = i
		}
	default:
		return out
	}
	return o.release(out)
}

// release logs, for each process, the waiting events from the front of its
// queue up to the next one whose cause is still missing. What it lets go
// waited for the event last in out: nothing else changed since the last
// release.
func (o *orderer) release(out []heldEv) []heldEv {
	if len(o.order) == 0 {
		return out // nothing waits
	}
	cause := len(out) - 1
	for i := 0; i < len(o.order); i++ {
		p := o.order[i]
		for q := o.held[p]; len(q) > 0 && !o.waits(&q[0].e); q = o.held[p] {
			o.held[p] = q[1:]
			h := q[0]
			h.after = cause
			out = o.logged(h, out) // may come back here, and change order
		}
	}
	o.prune()
	return out
}

// prune forgets processes with nothing left waiting.
func (o *orderer) prune() {
	kept := o.order[:0]
	for _, p := range o.order {
		if len(o.held[p]) > 0 {
			kept = append(kept, p)
		} else {
			delete(o.held, p)
		}
	}
	o.order = kept
}

// flush appends every waiting event to out, in each process's order: their
// causes will never come (a sender died between its call and its report).
func (o *orderer) flush(out []heldEv) []heldEv {
	o.victim, o.behind = "", nil
	for _, p := range o.order {
		out = append(out, o.held[p]...)
		delete(o.held, p)
	}
	o.order = o.order[:0]
	return out
}

// waiting reports how many events wait.
func (o *orderer) waiting() int {
	n := 0
	for _, q := range o.held {
		n += len(q)
	}
	return n
}

// msgSet is a set of message ids. The ids the scenarios give are small and
// dense (1, 2, 3 ... per session), so they are bits of a slice; any other
// goes in a map.
type msgSet struct {
	bits  []uint64
	other map[int64]bool
}

// msgSetDense is the largest id kept as a bit: 512 KiB of bits at most.
const msgSetDense = 1 << 22

func (m *msgSet) add(id int64) {
	if id > 0 && id < msgSetDense {
		w := int(id >> 6)
		if w >= len(m.bits) {
			m.bits = append(m.bits, make([]uint64, w+1-len(m.bits))...)
		}
		m.bits[w] |= 1 << (id & 63)
		return
	}
	if m.other == nil {
		m.other = map[int64]bool{}
	}
	m.other[id] = true
}

func (m *msgSet) has(id int64) bool {
	if id > 0 && id < msgSetDense {
		w := int(id >> 6)
		return w < len(m.bits) && m.bits[w]&(1<<(id&63)) != 0
	}
	return m.other[id]
}

// inTimeOrder returns the order in which to log evs, the orderer's output
// for one batch of records: by the time each process gave its event (the
// session's clock, which every process reads), as the calls happened,
// except that each process's events keep their own order and no event
// comes before the one that let it go (after). The orderer alone logs a
// receive right after the send it waited for, which, when the sender's
// records come late, shows a writer that ran far ahead as one taking turns
// with its reader. idx is reused for the result.
func inTimeOrder(evs []heldEv, idx []int) []int {
	var m timeMerge
	return m.order(evs, idx)
}

// timeMerge is inTimeOrder with its working space kept for the next batch.
type timeMerge struct {
	qs    []procQueue
	done  []bool
	heads []int
}

// procQueue is one process's events of a batch, as indexes, in its order.
type procQueue struct {
	proc string
	at   []int
}

func (m *timeMerge) order(evs []heldEv, idx []int) []int {
	idx = idx[:0]
	if len(evs) < 2 {
		for i := range evs {
			idx = append(idx, i)
		}
		return idx
	}
	for k := range m.qs {
		m.qs[k].at = m.qs[k].at[:0]
	}
	qs := m.qs[:0]
	for i := range evs {
		p := evs[i].e.Proc
		k := 0
		for k < len(qs) && qs[k].proc != p {
			k++
		}
		if k == len(qs) {
			if k < cap(qs) {
				qs = qs[:k+1]
				qs[k].proc = p
			} else {
				qs = append(qs, procQueue{proc: p})
			}
		}
		qs[k].at = append(qs[k].at, i)
	}
	m.qs = qs
	if cap(m.done) < len(evs) {
		m.done = make([]bool, len(evs))
	}
	done := m.done[:len(evs)]
	clear(done)
	if cap(m.heads) < len(qs) {
		m.heads = make([]int, len(qs))
	}
	heads := m.heads[:len(qs)] // how far each queue is taken
	clear(heads)
	for len(idx) < len(evs) {
		best, bestI := -1, 0
		for k := range qs {
			if heads[k] == len(qs[k].at) {
				continue
			}
			i := qs[k].at[heads[k]]
			if a := evs[i].after; a >= 0 && a < len(evs) && !done[a] {
				continue // its cause is not logged yet
			}
			if best < 0 || evs[i].e.T < evs[bestI].e.T || (evs[i].e.T == evs[bestI].e.T && i < bestI) {
				best, bestI = k, i
			}
		}
		// The orderer's own order is always one to follow, so some head
		// is free: the earliest event not yet placed heads its queue.
		heads[best]++
		done[bestI] = true
		idx = append(idx, bestI)
	}
	return idx
}

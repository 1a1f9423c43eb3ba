package web

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// End-to-end tests of the shm-posix and shm-sysv scenarios.

// shmSemLabels are the labels of the "empty" and "full" semaphores of each
// scenario, given the session's objects.
func shmSemLabels(t *testing.T, name string, evs []event.Event) (empty, full string) {
	t.Helper()
	if name == "shm-posix" {
		return "futex:empty", "futex:full"
	}
	for _, o := range qObjects(t, evs) {
		if o["kind"] == "sem-sysv" {
			l := o["label"].(string)
			return l + "#0", l + "#1"
		}
	}
	t.Fatal("shm-sysv listed no semaphore set")
	return "", ""
}

func TestShmScenariosListed(t *testing.T) {
	ts := newTestServer(t)
	params := []string{"messages", "size", "slots", "reader_delay_ms"}
	qListed(t, ts, map[string][]string{"shm-posix": params, "shm-sysv": params})
}

func TestShmSessions(t *testing.T) {
	ts := newTestServer(t)
	for _, name := range []string{"shm-posix", "shm-sysv"} {
		t.Run(name, func(t *testing.T) {
			evs := qRun(t, ts, name, `{"messages": 12, "size": 100, "slots": 3, "reader_delay_ms": 5}`)
			writes, reads := qOf(evs, event.KindWrite, "writer"), qOf(evs, event.KindRead, "reader")
			if len(writes) != 12 || len(reads) != 12 {
				t.Fatalf("%d writes and %d reads, want 12 each", len(writes), len(reads))
			}
			written := map[int64]event.Event{}
			for _, w := range writes {
				written[w.Msg] = w
			}
			for i, r := range reads {
				w, ok := written[r.Msg]
				if !ok || r.Msg != int64(i+1) {
					t.Fatalf("read %d is message %d", i+1, r.Msg)
				}
				// The bytes the reader saw are the bytes the writer stored,
				// in the same slot.
				if r.Data == "" || r.Data != w.Data || r.Offset == nil || w.Offset == nil || *r.Offset != *w.Offset {
					t.Fatalf("message %d: wrote %s at %v, read %s at %v", r.Msg, w.Data, w.Offset, r.Data, r.Offset)
				}
				if want := int64((i % 3) * 100); *r.Offset != want || r.Cap != 3 || r.Fill == nil {
					t.Fatalf("message %d at offset %d of %d slots, want offset %d", r.Msg, *r.Offset, r.Cap, want)
				}
				b, err := hex.DecodeString(r.Data)
				if err != nil || len(b) != 64 || int64(binary.LittleEndian.Uint64(b)) != r.Msg {
					t.Fatalf("message %d: data %q does not start with its number", r.Msg, r.Data)
				}
			}
			empty, full := shmSemLabels(t, name, evs)
			// Each write comes after the writer took a free slot, each read
			// after the reader took a full one; each is announced by a post.
			for _, c := range []struct {
				proc, take, give, kind string
			}{{"writer", empty, full, event.KindWrite}, {"reader", full, empty, event.KindRead}} {
				var seq []string
				for _, e := range evs {
					if e.Proc != c.proc {
						continue
					}
					switch {
					case e.Kind == event.KindWait && e.Obj == c.take && e.Value != nil && e.Waiters != nil:
						seq = append(seq, "take")
					case e.Kind == c.kind && e.Bytes > 0:
						seq = append(seq, "data")
					case e.Kind == event.KindPost && e.Obj == c.give && e.Value != nil:
						seq = append(seq, "give")
					}
				}
				if want := strings.Repeat("take data give ", 12); strings.Join(seq, " ")+" " != want {
					qDump(t, evs)
					t.Fatalf("%s did %v, want take, data, give for each message", c.proc, seq)
				}
			}
			res := qResult(t, evs)
			if qNum(t, res, "messages_sent") != 12 || qNum(t, res, "messages_received") != 12 || qNum(t, res, "corrupt") != 0 {
				t.Fatalf("result %v", res)
			}
			if spawn := qOf(evs, event.KindSpawn, "reader"); len(spawn) != 1 || spawn[0].Peer != "writer" {
				t.Fatalf("reader spawn %+v", spawn)
			}
		})
	}
}

func TestShmBackpressure(t *testing.T) {
	ts := newTestServer(t)
	for _, name := range []string{"shm-posix", "shm-sysv"} {
		t.Run(name, func(t *testing.T) {
			evs := qRun(t, ts, name, `{"messages": 6, "slots": 1, "reader_delay_ms": 30}`)
			empty, _ := shmSemLabels(t, name, evs)
			call := map[string]string{"shm-posix": "sem_wait", "shm-sysv": "semop"}[name]
			if !qBlocked(t, evs, "writer", call) {
				qDump(t, evs)
				t.Fatal("the writer never blocked with one slot and a slow reader")
			}
			for _, b := range qOf(evs, event.KindBlock, "writer") {
				if b.Obj != empty || b.Attrs["woken_by"] != "reader" {
					t.Fatalf("the writer blocked on %s (woken by %v), want %s (woken by the reader)", b.Obj, b.Attrs["woken_by"], empty)
				}
			}
			if res := qResult(t, evs); qNum(t, res, "writer_blocked") < 1 {
				t.Fatalf("result %v", res)
			}
		})
	}
}

func TestShmBadParams(t *testing.T) {
	ts := newTestServer(t)
	var cases [][3]string
	for _, name := range []string{"shm-posix", "shm-sysv"} {
		cases = append(cases,
			[3]string{name, `{"slots": 0}`, "params.slots"},
			[3]string{name, `{"slots": 65}`, "params.slots"},
			[3]string{name, `{"slots": 64, "size": 65536}`, "params.slots"},
			[3]string{name, `{"size": 7}`, "params.size"},
			[3]string{name, `{"messages": 0}`, "params.messages"},
			[3]string{name, `{"messages": 10000, "size": 65536, "slots": 1, "reader_delay_ms": 0}`, "params.messages"},
			[3]string{name, `{"messages": 100, "reader_delay_ms": 5000}`, "params.reader_delay_ms"},
			[3]string{name, `{"slots": "four"}`, "params.slots"},
			[3]string{name, `{"key": 1234}`, "params.key"},
		)
	}
	qBadParams(t, ts, cases)
}

func TestShmStopMidSession(t *testing.T) {
	ts := newTestServer(t)
	t.Run("shm-posix", func(t *testing.T) {
		qStopMidway(t, ts, `{"scenario": "shm-posix", "params": {"messages": 6}, "pace": "step"}`,
			func(e event.Event) bool { return e.Kind == event.KindOpen && e.Proc == "reader" },
			func(o map[string]any) bool { ok, _ := ipc.ShmExists(o["name"].(string)); return ok })
	})
	t.Run("shm-sysv", func(t *testing.T) {
		// Until the reader found the semaphore set too: both objects and
		// both processes exist.
		qStopMidway(t, ts, `{"scenario": "shm-sysv", "params": {"messages": 6}, "pace": "step"}`,
			func(e event.Event) bool {
				return e.Kind == event.KindOpen && e.Proc == "reader" && strings.HasPrefix(e.Obj, "sem:")
			},
			func(o map[string]any) bool { ok, _ := ipc.ShmKeyExists(int(o["key"].(float64))); return ok })
	})
}

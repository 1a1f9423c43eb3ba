package eventlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

func openStore(t *testing.T, dir string, window int) *Store {
	t.Helper()
	st, err := Open(dir, nil, window)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var created = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// fill appends n events with seq from the log's count on, committing every
// `every` events.
func fill(t *testing.T, l *Log, n, every int) {
	t.Helper()
	for i := range n {
		seq := l.Appended() + 1
		e := event.Event{Seq: seq, T: int64(seq) * 1000, Kind: event.KindWrite, Proc: "p", Bytes: i % 300,
			Text: string(bytes.Repeat([]byte("x"), int(seq%50)))}
		l.Append(event.AppendJSON(nil, &e))
		if (i+1)%every == 0 {
			if err := l.Commit(false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Commit(false); err != nil {
		t.Fatal(err)
	}
}

// seqs decodes a batch's events and returns their seqs.
func seqs(t *testing.T, lines []byte) []uint64 {
	t.Helper()
	var out []uint64
	for _, line := range bytes.Split(bytes.TrimSuffix(lines, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e event.Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		out = append(out, e.Seq)
	}
	return out
}

func TestReadFromAnywhere(t *testing.T) {
	// A window small enough that most events are on disk only.
	for _, window := range []int{256, 4096, 1 << 20} {
		t.Run(fmt.Sprint("window", window), func(t *testing.T) {
			st := openStore(t, t.TempDir(), window)
			l, err := st.Create(Meta{ID: "0123456789ab", Scenario: "pipe", Created: created})
			if err != nil {
				t.Fatal(err)
			}
			fill(t, l, 1000, 7)
			cases := []struct {
				from      uint64
				max       int
				maxBytes  int
				wantFirst uint64
				wantCount int
			}{
				{1, 10, 1 << 20, 1, 10},
				{0, 1, 1 << 20, 1, 1},
				{64, 3, 1 << 20, 64, 3},
				{65, 3, 1 << 20, 65, 3},
				{129, 200, 1 << 20, 129, 200},
				{995, 100, 1 << 20, 995, 6},
				{1000, 5, 1 << 20, 1000, 1},
				{500, 100, 1, 500, 1}, // at least one, however small the budget
			}
			for _, c := range cases {
				b, err := l.Read(c.from, c.max, c.maxBytes)
				if err != nil {
					t.Fatal(err)
				}
				got := seqs(t, b.Lines)
				if len(got) != c.wantCount || b.Count != c.wantCount || got[0] != c.wantFirst {
					t.Fatalf("Read(%d, %d): seqs %v count %d, want %d from %d", c.from, c.max, got, b.Count, c.wantCount, c.wantFirst)
				}
				for i := range got {
					if got[i] != c.wantFirst+uint64(i) {
						t.Fatalf("Read(%d): seqs %v", c.from, got)
					}
				}
				if b.Next != c.wantFirst+uint64(c.wantCount) || b.Done {
					t.Fatalf("Read(%d): next %d done %v", c.from, b.Next, b.Done)
				}
			}
			// Reading on from where a batch stopped gives the same as a
			// fresh read, window or file.
			at := From(1)
			for seq := uint64(1); seq <= 1000; {
				b, err := l.ReadAt(at, 37, 700)
				if err != nil || b.Count == 0 {
					t.Fatalf("ReadAt %d: %d events, %v", seq, b.Count, err)
				}
				got := seqs(t, b.Lines)
				if got[0] != seq || got[len(got)-1] != seq+uint64(b.Count)-1 {
					t.Fatalf("ReadAt %d gave %v", seq, got)
				}
				seq += uint64(b.Count)
				at = b.At
			}
			// AppendAt gives the same, after what the buffer held.
			var buf []byte
			for at = From(1); at.Seq <= 1000; {
				want, _ := l.ReadAt(at, 37, 700)
				b, err := l.AppendAt(append(buf[:0], '['), at, 37, 700)
				if err != nil || b.Lines[0] != '[' || !bytes.Equal(b.Lines[1:], want.Lines) || b.At != want.At {
					t.Fatalf("AppendAt %d: %q at %+v, want %q after [ at %+v (%v)", at.Seq, b.Lines, b.At, want.Lines, want.At, err)
				}
				buf, at = b.Lines, b.At
			}
			b, _ := l.Read(1001, 10, 1<<20)
			if b.Count != 0 || b.Done {
				t.Fatalf("past the end: %+v", b)
			}
			select {
			case <-b.Notify:
				t.Fatal("notify closed before anything new")
			default:
			}
			fill(t, l, 1, 1)
			select {
			case <-b.Notify:
			default:
				t.Fatal("notify not closed by a commit")
			}
		})
	}
}

func TestWindowStaysBounded(t *testing.T) {
	st := openStore(t, t.TempDir(), 4096)
	l, _ := st.Create(Meta{ID: "0123456789ab", Created: created})
	fill(t, l, 20000, 10)
	l.mu.Lock()
	w := len(l.win)
	l.mu.Unlock()
	if w > 2*4096+200 {
		t.Fatalf("window holds %d bytes, more than twice its size", w)
	}
}

func TestFinishedLogReadAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := st.Create(Meta{ID: "aaaaaaaaaaaa", Scenario: "pipe", Created: created})
	fill(t, l, 300, 13)
	last := event.Event{Seq: 301, T: 301000, Kind: event.KindSession, State: event.StateFinished}
	l.Append(event.AppendJSON(nil, &last))
	if err := l.Finish(Meta{ID: "aaaaaaaaaaaa", Scenario: "pipe", Created: created, State: event.StateFinished}); err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	l.WriteTo(&before)
	if _, err := Open(dir, nil, 0); err == nil {
		t.Fatal("a second store opened a directory in use")
	}
	st.Close()

	st2 := openStore(t, dir, 1024)
	l2, m, ok := st2.Get("aaaaaaaaaaaa")
	if !ok || m.State != event.StateFinished || m.Events != 301 {
		t.Fatalf("after restart: ok %v meta %+v", ok, m)
	}
	var after bytes.Buffer
	l2.WriteTo(&after)
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("the recording changed across the restart")
	}
	b, err := l2.Read(250, 100, 1<<20)
	if err != nil || b.Count != 52 || !b.Done {
		t.Fatalf("read after restart: %d events, done %v, err %v", b.Count, b.Done, err)
	}
}

func TestCutRecordingEndsAtLastWholeEvent(t *testing.T) {
	dir := t.TempDir()
	st, _ := Open(dir, nil, 1024)
	l, _ := st.Create(Meta{ID: "bbbbbbbbbbbb", Scenario: "race", Created: created})
	fill(t, l, 100, 100)
	// The server dies in the middle of writing event 101.
	f, _ := os.OpenFile(filepath.Join(dir, "bbbbbbbbbbbb", eventsFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":101,"t":5,"kind":"wri`)
	f.Close()
	st.Close()

	st2 := openStore(t, dir, 1024)
	l2, m, ok := st2.Get("bbbbbbbbbbbb")
	if !ok {
		t.Fatal("cut recording not listed")
	}
	if m.State != event.StateStopped || m.Events != 101 {
		t.Fatalf("meta %+v", m)
	}
	b, _ := l2.Read(99, 10, 1<<20)
	got := seqs(t, b.Lines)
	if len(got) != 3 || got[2] != 101 || !b.Done {
		t.Fatalf("tail seqs %v done %v", got, b.Done)
	}
	lines := bytes.Split(bytes.TrimSpace(b.Lines), []byte("\n"))
	var term event.Event
	json.Unmarshal(lines[2], &term)
	if !term.Terminal() || term.T != 100000 || !bytes.Contains(term.Result, []byte("server stopped")) {
		t.Fatalf("last event %s", lines[2])
	}
}

func TestListAndPrune(t *testing.T) {
	st := openStore(t, t.TempDir(), 0)
	now := created.Add(10 * 24 * time.Hour)
	for i := range 6 {
		id := fmt.Sprintf("%012x", i+1)
		l, _ := st.Create(Meta{ID: id, Scenario: "pipe", Created: created.Add(time.Duration(i) * 24 * time.Hour)})
		fill(t, l, 10, 10)
		if i == 0 {
			continue // the oldest still runs
		}
		m := Meta{ID: id, Scenario: "pipe", Created: created.Add(time.Duration(i) * 24 * time.Hour), State: event.StateFinished}
		l.Finish(m)
		st.Ended(l.Meta())
	}
	list, total := st.List(0, 4)
	if total != 6 || len(list) != 4 || list[0].ID != "000000000006" || list[3].ID != "000000000003" {
		t.Fatalf("list %v total %d", list, total)
	}
	if list[0].Events != 10 {
		t.Fatalf("listed events %d", list[0].Events)
	}
	if page, _ := st.List(4, 4); len(page) != 2 || page[1].ID != "000000000001" {
		t.Fatalf("second page %v", page)
	}
	cases := []struct {
		lim  Limits
		want []string
	}{
		{Limits{MaxCount: 5}, []string{"000000000002"}},
		{Limits{MaxAge: 7*24*time.Hour + time.Hour}, []string{"000000000003"}},
		{Limits{MaxBytes: 1}, []string{"000000000004", "000000000005", "000000000006"}},
	}
	for _, c := range cases {
		got := st.Prune(now, c.lim)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("Prune(%+v) removed %v, want %v", c.lim, got, c.want)
		}
	}
	if _, total := st.List(0, 10); total != 1 {
		t.Fatalf("after pruning %d left; the running one must stay", total)
	}
	if _, _, ok := st.Get("000000000002"); ok {
		t.Fatal("a pruned recording is still readable")
	}
}

func BenchmarkAppendCommit(b *testing.B) {
	st, _ := Open(b.TempDir(), nil, 0)
	defer st.Close()
	l, _ := st.Create(Meta{ID: "cccccccccccc", Created: created})
	e := event.Event{T: 1, Kind: event.KindWrite, Proc: "producer-1", PID: 4242, Obj: "pipe:1", Bytes: 64, Fill: event.Int64(64), Cap: 65536}
	buf := make([]byte, 0, 256)
	i := 0
	for b.Loop() {
		e.Seq++
		buf = event.AppendJSON(buf[:0], &e)
		l.Append(buf)
		if i++; i%64 == 0 {
			l.Commit(false)
		}
	}
}

package event

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sameAsStdlib checks that AppendJSON says what encoding/json says of e:
// the same fields with the same values, once decoded.
func sameAsStdlib(t *testing.T, e *Event) {
	t.Helper()
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got := AppendJSON(nil, e)
	if !json.Valid(got) {
		t.Fatalf("not JSON: %s", got)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("AppendJSON gave\n%s\nencoding/json gave\n%s", got, want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	code := 0
	cases := map[string]*Event{
		"empty":    {},
		"zero t":   {Kind: KindSpawn, Proc: "parent", PID: 42},
		"data":     {Seq: 9, T: 123456, Kind: KindWrite, Proc: "child", PID: 7, Obj: "pipe:1", Bytes: 64, Msg: 3, Fill: Int64(0), Cap: 65536},
		"negative": {Seq: 1, T: -5, Kind: KindSample, Value: Int64(-1), Waiters: Int64(0), Offset: Int64(8), Type: -3, Prio: -1},
		"exit":     {Kind: KindExit, Code: &code, Sig: "", Text: "done"},
		"escapes":  {Kind: KindNote, Text: "a \"quote\", a \\ slash\n\ttab \x01 ctl <b>&amp;</b> \u2028 é ✓ 🙂"},
		"bad utf8": {Kind: KindNote, Text: "bad \xff\xfe bytes \xc3"},
		"result":   {Kind: KindSession, State: StateFinished, Result: json.RawMessage(`{"expected":4,"actual":3}`)},
		"cycle": {Kind: KindDeadlock, Cycle: []WaitEdge{{Proc: "a", Obj: "sem:1", Holder: "b"},
			{Proc: "b", Obj: "sem:2", Holder: "a"}}},
		"attrs":  {Kind: KindSample, Attrs: map[string]any{"source": "holder", "n": 3, "ok": true, "list": []int{1, 2}}},
		"moment": {Kind: KindMoment, Name: "first_block", Text: "the writer waits"},
		"all": {Seq: 1 << 40, T: 1 << 50, Kind: KindError, Proc: "p", PID: 1, Obj: "o", Bytes: 1, Msg: 1,
			Call: "write", Peer: "q", Prio: 2, Type: 3, Fill: Int64(1), Cap: 2, Value: Int64(3), Waiters: Int64(4),
			Offset: Int64(5), Data: "00ff", Code: &code, Sig: "SIGKILL", Error: "e", Errno: "EAGAIN", State: "s"},
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) { sameAsStdlib(t, e) })
	}
}

func TestAppendJSONInvalidResultIsNull(t *testing.T) {
	got := AppendJSON(nil, &Event{Kind: KindSession, Result: json.RawMessage(`{"a":`)})
	if !json.Valid(got) {
		t.Fatalf("not JSON: %s", got)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("note", "text \n\"x\"", int64(3), uint64(1))
	f.Add("write", "\xff\u2029", int64(-1), uint64(0))
	f.Fuzz(func(t *testing.T, kind, text string, n int64, seq uint64) {
		sameAsStdlib(t, &Event{Seq: seq, T: n, Kind: kind, Text: text, Proc: text, Fill: &n})
	})
}

func BenchmarkEncode(b *testing.B) {
	e := &Event{Seq: 1234, T: 987654321, Kind: KindWrite, Proc: "producer-1", PID: 4242, Obj: "pipe:1",
		Bytes: 64, Msg: 77, Fill: Int64(128), Cap: 65536}
	b.Run("AppendJSON", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = AppendJSON(buf[:0], e)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(e)
		}
	})
}

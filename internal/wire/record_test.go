package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// sampleEvents are records of the kinds workers write most, and one with
// every field.
func sampleEvents() []event.Event {
	return []event.Event{
		{T: 123456789, Kind: event.KindWrite, Proc: "parent", PID: 4242, Obj: "pipe", Bytes: 64, Msg: 17,
			Fill: event.Int64(128), Cap: 65536},
		{T: 123456999, Kind: event.KindRead, Proc: "child", PID: 4243, Obj: "pipe", Bytes: 64, Msg: 17,
			Fill: event.Int64(0), Cap: 65536},
		{T: 5, Kind: event.KindBlock, Proc: "consumer-1", PID: 7, Obj: "queue", Call: "mq_receive", Peer: "producer-1"},
		{T: 9, Kind: event.KindSample, Proc: "child", PID: 4243, Obj: "pipe", Fill: event.Int64(12), Cap: 4096,
			Attrs: map[string]any{"source": "holder"}},
		{T: 10, Kind: KindDone, Proc: "child", PID: 4243},
		{T: 11, Kind: KindEnded, Proc: "child", PID: 4243, Code: event.Int(0)},
		{T: 12, Kind: KindResult, Result: json.RawMessage(`{"messages":50,"bytes":3200}`)},
		{Seq: 99, T: -3, Kind: event.KindDeadlock, Proc: "p\tq", PID: 1, Obj: "o\nbj", Bytes: -1, Msg: 1 << 40,
			Call: "semop", Peer: "x", Prio: 31, Type: -5, Fill: event.Int64(-1), Cap: 1,
			Value: event.Int64(0), Waiters: event.Int64(2), Offset: event.Int64(4096), Data: "de\x1bad",
			Code: event.Int(-1), Sig: "SIGKILL", Error: "it\tbroke\n", Errno: "EDEADLK", Text: "a \x1b0 sentence",
			State: event.StateFailed, Result: json.RawMessage(`{"a": [1, 2]}`),
			Cycle: []event.WaitEdge{{Proc: "a", Obj: "s1", Holder: "b"}},
			Attrs: map[string]any{"n": 1.5, "s": "tab\there", "l": []any{"x"}}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, e := range sampleEvents() {
		t.Run(e.Kind, func(t *testing.T) {
			b, err := AppendRecord([]byte("keep"), &e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("keep")) {
				t.Fatalf("AppendRecord lost what came before: %q", b)
			}
			rec := b[4:]
			if bytes.IndexByte(rec, '\n') != len(rec)-1 {
				t.Fatalf("record %q is not one line", rec)
			}
			var got event.Event
			if err := DecodeRecord(rec, &got); err != nil {
				t.Fatalf("decode %q: %v", rec, err)
			}
			want := e
			if len(want.Result) > 0 { // the record keeps compact JSON
				var buf bytes.Buffer
				_ = json.Compact(&buf, want.Result)
				want.Result = buf.Bytes()
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip of %q:\n got %+v\nwant %+v", rec, got, want)
			}
		})
	}
}

func TestRecordTooLarge(t *testing.T) {
	e := event.Event{Kind: event.KindNote, Text: strings.Repeat("x", MaxRecord)}
	b, err := AppendRecord([]byte("keep"), &e)
	if !errors.Is(err, ErrTooLarge) || string(b) != "keep" {
		t.Fatalf("got %q, %v; want the buffer as it was and ErrTooLarge", b, err)
	}
	e.Text = strings.Repeat("x", MaxRecord-20)
	b, err = AppendRecord(nil, &e)
	if err != nil || len(b) > MaxRecord {
		t.Fatalf("a record of %d bytes: %v", len(b), err)
	}
}

func TestDecodeRecordRefuses(t *testing.T) {
	for _, c := range []struct{ name, rec string }{
		{"empty", ""},
		{"JSON", `{"kind":"write"}`},
		{"another version", "2kwrite\t"},
		{"no kind", "1t5\t"},
		{"field without end", "1kwrite\tt5"},
		{"bad number", "1kwrite\tt5x\t"},
		{"number too long", "1kwrite\tt99999999999999999999\t"},
		{"number out of range", "1kwrite\tt9223372036854775808\t"},
		{"negative seq", "1kwrite\ts-1\t"},
		{"unknown field", "1kwrite\tZ1\t"},
		{"bad escape", "1kwrite\tXa\x1bq\t"},
		{"escape at the end", "1kwrite\tXa\x1b\t"},
		{"result not JSON", "1kresult\tR{\t"},
		{"attrs not an object", "1ksample\tA[1]\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e event.Event
			if err := DecodeRecord([]byte(c.rec), &e); err == nil {
				t.Fatalf("decoded %q as %+v", c.rec, e)
			}
		})
	}
}

func TestDecoderRemembersNames(t *testing.T) {
	var d Decoder
	rec, _ := AppendRecord(nil, &event.Event{Kind: event.KindWrite, Proc: "parent", Obj: "pipe"})
	var a, b event.Event
	if err := d.Decode(rec, &a); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(rec, &b); err != nil {
		t.Fatal(err)
	}
	if a.Proc != "parent" || b.Proc != "parent" || len(d.names) != 3 {
		t.Fatalf("decoded %q and %q, remembering %v", a.Proc, b.Proc, d.names)
	}
	for i := range 2 * maxNames {
		rec, _ := AppendRecord(nil, &event.Event{Kind: event.KindWrite, Proc: strings.Repeat("p", i%60) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
		if err := d.Decode(rec, &a); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.names) > maxNames {
		t.Fatalf("a decoder remembers %d names, more than %d", len(d.names), maxNames)
	}
}

// FuzzDecodeRecord: no input makes the decoder panic, and whatever it
// accepts encodes to a record that decodes to the same bytes again.
func FuzzDecodeRecord(f *testing.F) {
	for _, e := range sampleEvents() {
		b, err := AppendRecord(nil, &e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "1", "1k\t", "1kx\tA{}\t", "1kx\tYnull\t", "1kx\tt-9223372036854775808\t",
		"1kx\tX\x1b0\x1bt\x1bn\t", `{"t":1,"kind":"write"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var e event.Event
		if DecodeRecord(rec, &e) != nil {
			return
		}
		b1, err := AppendRecord(nil, &e)
		if errors.Is(err, ErrTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("decoded %q to %+v, which does not encode: %v", rec, e, err)
		}
		var e2 event.Event
		if err := DecodeRecord(b1, &e2); err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", b1, err)
		}
		b2, err := AppendRecord(nil, &e2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("not stable: %q then %q (%v)", b1, b2, err)
		}
	})
}

package wire

import (
	"encoding/json"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// BenchmarkRecord encodes and decodes the events a worker writes most (a
// write, a read, a block, a holder's sample, a done), one event an
// iteration: the JSON records workers wrote before, and the records of
// this package.
func BenchmarkRecord(b *testing.B) {
	evs := sampleEvents()[:5]
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; b.Loop(); i++ {
			e := &evs[i%len(evs)]
			j, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			buf = append(append(buf[:0], j...), '\n')
			var got event.Event
			if err := json.Unmarshal(buf, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		var d Decoder
		for i := 0; b.Loop(); i++ {
			e := &evs[i%len(evs)]
			var err error
			buf, err = AppendRecord(buf[:0], e)
			if err != nil {
				b.Fatal(err)
			}
			var got event.Event
			if err := d.Decode(buf, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package runner

import (
	"context"
	"testing"
	"time"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// TestFifoOpenInCausalOrder runs the FIFO scenario several times and checks
// that the writer's wait in open() always ends, in the log, after the
// reader's open: it is the reader's open that ends it. Both processes report
// at the same moment, and the writer's report often reaches the server
// first; the server holds it until the reader's is logged.
func TestFifoOpenInCausalOrder(t *testing.T) {
	r := newTestRunner(t)
	for i := range 6 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s := startScenario(t, r, "fifo", map[string]any{"messages": 4, "reader_arrives_ms": 100}, "realtime")
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatalf("run %d: the session did not end", i)
		}
		cancel()
		evs, _, _ := s.Events(1)
		readerOpen, writerUnblock := 0, 0
		for _, e := range evs {
			switch {
			case e.Proc == "reader" && e.Kind == event.KindOpen && e.Call == "open":
				readerOpen = int(e.Seq)
			case e.Proc == "writer" && e.Kind == event.KindUnblock && e.Call == "open":
				writerUnblock = int(e.Seq)
			}
		}
		if readerOpen == 0 || writerUnblock == 0 {
			t.Fatalf("run %d: no reader open (%d) or no end of the writer's wait (%d) in %d events", i, readerOpen, writerUnblock, len(evs))
		}
		if writerUnblock < readerOpen {
			t.Errorf("run %d: the writer's open returned (seq %d) before the reader opened the FIFO (seq %d)", i, writerUnblock, readerOpen)
		}
	}
}

package moment

import (
	"fmt"
	"os"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/pipefill"
)

// pageSize is the size of the pages a pipe's slots hold.
var pageSize = os.Getpagesize()

// pipeState replays the writes and reads of each pipe and FIFO on a model
// of the kernel's page slots, so that a writer's first wait can be
// explained as the kernel sees it: often the pipe is far from full in
// bytes, yet every slot holds unread bytes. A model whose replay ever
// disagrees with the events (a write or read it cannot take whole) is
// dropped, and the plain explanation stands.
type pipeState struct {
	models map[string]*pipefill.Pipe
}

func (s *pipeState) observe(e *event.Event) {
	if e.Obj == "" {
		return
	}
	m := s.models[e.Obj]
	switch {
	case e.Kind == event.KindOpen && m == nil && e.Cap > 0 && (e.Call == "pipe2" || e.Call == "open"):
		// A pipe is made by pipe2, a FIFO opened by open: no other
		// object's open has those calls.
		s.models[e.Obj] = pipefill.New(int(e.Cap), pageSize)
	case m == nil || e.Bytes <= 0:
	case e.Kind == event.KindWrite && m.Write(e.Bytes) != e.Bytes,
		e.Kind == event.KindRead && m.Read(e.Bytes) != e.Bytes:
		delete(s.models, e.Obj)
	}
}

// why explains a writer's wait on a modelled pipe, or returns "".
func (s *pipeState) why(e *event.Event) (string, *pipefill.Pipe) {
	m := s.models[e.Obj]
	if m == nil || e.Bytes <= 0 || e.Bytes > pageSize || m.Fits(e.Bytes) {
		return "", nil
	}
	return fmt.Sprintf("%s must wait in write: its %s bytes do not fit in %s. %s", e.Proc, num(int64(e.Bytes)), e.Obj, m.Why(e.Bytes)), m
}

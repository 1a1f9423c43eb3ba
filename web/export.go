package web

import (
	"fmt"
	"io"
	"net/http"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/trace"
)

// maxExport bounds the events a trace or a timeline is made of: both are
// built from the whole session at once. A longer session is still served
// whole as events.jsonl.
const maxExport = 200_000

// handleTrace serves a session as a Chrome trace (trace.json: Perfetto and
// chrome://tracing load it), and handleTimeline as an SVG for handouts.
func (s *Server) handleTrace() http.HandlerFunc {
	return s.export("application/json", "trace.json", trace.Write)
}

func (s *Server) handleTimeline() http.HandlerFunc {
	return s.export("image/svg+xml", "timeline.svg", trace.WriteSVG)
}

func (s *Server) export(contentType, name string, write func(io.Writer, []event.Event) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		if n := sess.Log().Len(); n > maxExport {
			writeError(w, http.StatusRequestEntityTooLarge, "",
				fmt.Sprintf("this session has %d events, more than the %d a %s is made of; events.jsonl has them all", n, maxExport, name))
			return
		}
		evs, _, _ := sess.Events(1)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s-%s"`, sess.Scenario, sess.ID, name))
		if err := write(w, evs); err != nil {
			s.log.Info("export", "session", sess.ID, "file", name, "err", err)
		}
	}
}

package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/static"
	"github.com/ipc-playground/ipc-playground/templates"
)

// handlePage serves the playground: pick a scenario, set it up, start it.
func (s *Server) handlePage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, templates.PageData{Title: "IPC Playground", Asset: static.URL, ImportMap: static.ImportMap()})
	}
}

// handleSessionPage serves one session's page, for anyone with the link.
func (s *Server) handleSessionPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.cfg.Runner.Get(chi.URLParam(r, "id"))
		if !ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_ = templates.Missing(templates.PageData{Title: "No such session", Asset: static.URL}).Render(r.Context(), w)
			return
		}
		s.render(w, r, templates.PageData{Title: sess.Scenario + " · IPC Playground", SessionID: sess.ID, Asset: static.URL, ImportMap: static.ImportMap()})
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, d templates.PageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if err := templates.Page(d).Render(r.Context(), w); err != nil {
		s.log.Warn("render page", "err", err)
	}
}

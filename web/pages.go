package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/runner"
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

// handleJoinForm serves the page where a student types a join code, and
// takes the code it sends back (?code=).
func (s *Server) handleJoinForm() http.HandlerFunc {
	join := s.handleJoin()
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("code") {
			join(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_ = templates.Join(templates.PageData{Title: "Join a session · IPC Playground", Asset: static.URL}).Render(r.Context(), w)
	}
}

// handleJoin sends a student who typed a session's join code to its page.
// The code is read loosely (any case, spaces and dashes ignored), as people
// type what they hear or read off a projector.
func (s *Server) handleJoin() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		typed := chi.URLParam(r, "code")
		if typed == "" {
			typed = r.URL.Query().Get("code")
		}
		code, ok := runner.NormalizeCode(typed)
		id := ""
		if ok {
			id, ok = s.cfg.Runner.FindCode(code)
		}
		if !ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_ = templates.Missing(templates.PageData{Title: "No session has that code", Asset: static.URL}).Render(r.Context(), w)
			return
		}
		http.Redirect(w, r, "/s/"+id, http.StatusSeeOther)
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, d templates.PageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if err := templates.Page(d).Render(r.Context(), w); err != nil {
		s.log.Warn("render page", "err", err)
	}
}

package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/ipc-playground/ipc-playground/static"
)

// routes lists every route of the server in one place. The WebSocket route
// has no timeout middleware: a stream lives as long as its session.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(s.sameOrigin)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "there is nothing at "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "", r.Method+" is not allowed on "+r.URL.Path)
	})

	r.Get("/", s.handlePage())
	r.Get("/s/{id}", s.handleSessionPage())
	r.Get("/healthz", s.handleHealth())
	r.Handle("/static/*", static.Handler())

	r.Route("/api", func(r chi.Router) {
		r.Get("/scenarios", s.handleScenarios())
		r.Post("/sessions", s.handleCreateSession())
		r.Get("/sessions/{id}", s.handleGetSession())
		r.Delete("/sessions/{id}", s.presenter(s.handleDeleteSession()))
		r.Post("/sessions/{id}/control", s.presenter(s.handleControl()))
		r.Get("/sessions/{id}/events", s.handleEvents())
		r.Get("/sessions/{id}/events.jsonl", s.handleEventsJSONL())
	})
	return r
}

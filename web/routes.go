package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/ipc-playground/ipc-playground/static"
)

// methods are the methods a route of this server may take, in the order
// an Allow header lists them.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete}

// routes lists every route of the server in one place. The WebSocket route
// has no timeout middleware: a stream lives as long as its session.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.recoverer)
	r.Use(s.securityHeaders)
	r.Use(s.checkHost)
	r.Use(s.sameOrigin)
	// HEAD is answered wherever GET is, as HTTP asks of every server.
	r.Use(middleware.GetHead)
	r.NotFound(notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/", s.handlePage())
	r.Get("/s/{id}", s.handleSessionPage())
	r.Get("/j", s.handleJoinForm())
	r.Get("/j/{code}", s.handleJoin())
	r.Get("/healthz", s.handleHealth())
	r.Get("/readyz", s.handleReady())
	r.Get("/metrics", s.metrics.handler().ServeHTTP)
	r.Get("/static/*", staticFiles(static.Handler()))

	r.Route("/api", func(r chi.Router) {
		r.Get("/scenarios", s.handleScenarios())
		r.Get("/sessions", s.handleListSessions())
		r.Post("/sessions", s.handleCreateSession())
		r.Get("/sessions/{id}", s.handleGetSession())
		r.Delete("/sessions/{id}", s.presenter(s.handleDeleteSession()))
		r.Post("/sessions/{id}/control", s.presenter(s.controlLimit(s.handleControl())))
		r.Get("/sessions/{id}/events", s.handleEvents())
		r.Get("/sessions/{id}/events.jsonl", s.handleEventsJSONL())
		r.Get("/sessions/{id}/trace.json", s.handleTrace())
		r.Get("/sessions/{id}/timeline.svg", s.handleTimeline())

		r.Get("/admin/sessions", s.operator(s.handleAdminSessions()))
		r.Delete("/admin/sessions", s.operator(s.handleAdminStopClient()))
		r.Delete("/admin/sessions/{id}", s.operator(s.handleAdminStop()))
	})
	return r
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "", "there is nothing at "+short(r.URL.Path))
}

// methodNotAllowed answers 405 with the methods the path does take in
// Allow, as HTTP requires; a path that takes none is not there at all.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	allow := s.allowed(r.URL.Path)
	if len(allow) == 0 {
		notFound(w, r)
		return
	}
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	writeError(w, http.StatusMethodNotAllowed, "", short(r.Method)+" is not allowed on "+short(r.URL.Path)+"; it takes "+list)
}

// allowed lists the methods some route takes at path.
func (s *Server) allowed(path string) []string {
	var allow []string
	for _, m := range methods {
		if s.router.Match(chi.NewRouteContext(), m, path) ||
			m == http.MethodHead && s.router.Match(chi.NewRouteContext(), http.MethodGet, path) {
			allow = append(allow, m)
		}
	}
	return allow
}

// staticFiles answers a request for a file that is not there with the
// contract's JSON error, like every other error of the server, instead of
// the file server's plain text.
func staticFiles(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&notFoundJSON{ResponseWriter: w, path: r.URL.Path}, r)
	}
}

// notFoundJSON replaces a 404's body with the JSON error.
type notFoundJSON struct {
	http.ResponseWriter
	path     string
	replaced bool
}

func (n *notFoundJSON) WriteHeader(status int) {
	if status != http.StatusNotFound {
		n.ResponseWriter.WriteHeader(status)
		return
	}
	n.replaced = true
	writeError(n.ResponseWriter, status, "", "there is no file "+short(n.path))
}

func (n *notFoundJSON) Write(b []byte) (int, error) {
	if n.replaced {
		return len(b), nil
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (n *notFoundJSON) Unwrap() http.ResponseWriter { return n.ResponseWriter }

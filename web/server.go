// Package web is the HTTP side of the playground: the pages, the JSON API
// of the public contract, and the WebSocket event stream.
package web

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/runner"
)

// Config is what the HTTP side depends on.
type Config struct {
	Runner *runner.Runner
	Logger *slog.Logger
	// OriginPatterns lists extra origins (host patterns, as
	// websocket.AcceptOptions takes them) allowed to change state, beside
	// the server's own host.
	OriginPatterns []string
	// ListenAddr is the address the server listens on. The server answers
	// to its host, to loopback names and, when it is every interface
	// (0.0.0.0, [::] or no host), to the machine's own addresses and name.
	ListenAddr string
	// AllowedHosts are more names (or addresses) the server answers to:
	// the name students type, a reverse proxy's.
	AllowedHosts []string
	// AdminToken turns on the operator's routes, for requests that bear
	// it. Empty, they are off.
	AdminToken string
	// Limits bound what each client and the whole server may hold.
	Limits Limits
}

// Server is the playground's http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	router  chi.Router
	hosts   *hostPolicy
	quotas  *quotas
	metrics *metrics
	mapHash string // the CSP source of the page's import map

	mu      sync.Mutex
	streams map[*websocket.Conn]struct{}
	closed  bool
}

// NewServer builds the handler with every route of the contract.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, streams: map[*websocket.Conn]struct{}{},
		hosts: newHostPolicy(cfg.ListenAddr, cfg.AllowedHosts), quotas: newQuotas(cfg.Limits), mapHash: importMapHash()}
	s.metrics = newMetrics(s)
	s.router = s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// CloseStreams closes every open WebSocket and refuses new ones. The HTTP
// server's Shutdown does not close hijacked connections, so the server
// calls this when it stops.
func (s *Server) CloseStreams() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*websocket.Conn, 0, len(s.streams))
	for c := range s.streams {
		conns = append(conns, c)
		delete(s.streams, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.Close(websocket.StatusGoingAway, "the server is shutting down") })
	}
	wg.Wait()
}

// track registers an open stream; it reports false once the server is
// closing.
func (s *Server) track(c *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.streams[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, c)
}

package web

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// readiness is what a runner that can say why it cannot start a session
// offers (a full /dev/shm, no System V ids left ...).
type readiness interface {
	Ready() (ok bool, reason string)
}

// ready reports whether a session can start now, and if not, why.
func (s *Server) ready() (bool, string) {
	if rd, ok := any(s.cfg.Runner).(readiness); ok {
		if ok, why := rd.Ready(); !ok {
			return false, why
		}
	} else if !s.cfg.Runner.Healthy() {
		return false, "the server is shutting down"
	}
	if st := s.cfg.Runner.Stats(); st.Running >= st.MaxSessions {
		return false, fmt.Sprintf("all %d session slots are in use", st.MaxSessions)
	}
	return true, ""
}

// handleReady answers 200 when a session can start now and 503 with the
// reason when not, for a load balancer or an operator's probe; /healthz
// says only whether the server is up.
func (s *Server) handleReady() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, why := s.ready(); !ok {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "", why)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// recoverer turns a handler's panic into the contract's 500 and a log line,
// and counts it. http.ErrAbortHandler passes: it is how a handler drops a
// connection on purpose.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.metrics.fault("panic")
			s.log.Error("handler panicked", "method", r.Method, "path", short(r.URL.Path), "client", clientOf(r),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if r.Header.Get("Connection") != "Upgrade" {
				writeError(w, http.StatusInternalServerError, "", "the server failed on this request; it is logged")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

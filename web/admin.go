package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/runner"
)

// isAdmin reports whether token is the operator's token. With no token
// configured, nobody is the operator.
func (s *Server) isAdmin(token string) bool { return sameToken(token, s.cfg.AdminToken) }

// operator lets a request through only with the operator's token as a
// bearer token. Without a configured token the operator's routes are not
// there at all.
func (s *Server) operator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			writeError(w, http.StatusNotFound, "", "the operator's routes are off: start the server with -admin-token (or ADMIN_TOKEN) to have them")
			return
		}
		token, found := bearer(r)
		if !found || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="operator"`)
			writeError(w, http.StatusUnauthorized, "", "only the operator may do this: send the operator's token as Authorization: Bearer TOKEN")
			return
		}
		if !s.isAdmin(token) {
			s.refuse(w, r, "admin-token", http.StatusForbidden, 0, "that is not the operator's token")
			return
		}
		next(w, r)
	}
}

// adminSession is one session in the operator's list: the session
// resource, who started it, and whether it has ended.
type adminSession struct {
	runner.Snapshot
	Client string `json:"client"`
	Ended  bool   `json:"ended"`
}

// handleAdminSessions lists every session the server keeps, oldest first,
// with the client address that started each; ?client=ADDR lists only that
// client's.
func (s *Server) handleAdminSessions() http.HandlerFunc {
	type response struct {
		Sessions []adminSession `json:"sessions"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, response{Sessions: s.adminList(r.URL.Query().Get("client"))})
	}
}

func (s *Server) adminList(client string) []adminSession {
	all := s.cfg.Runner.Sessions()
	kept := make(map[string]bool, len(all))
	list := []adminSession{}
	for _, sess := range all {
		kept[sess.ID] = true
		a := adminSession{Snapshot: sess.Snapshot(), Client: s.quotas.owner(sess.ID), Ended: sess.Ended()}
		if client == "" || a.Client == client {
			list = append(list, a)
		}
	}
	s.quotas.forget(func(id string) bool { return kept[id] })
	return list
}

// handleAdminStop stops one session, whoever started it, and answers once
// its processes are dead and its objects gone.
func (s *Server) handleAdminStop() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		s.log.Info("operator stops session", "id", sess.ID, "client", clientOf(r))
		sess.Stop("the operator stopped the session")
		select {
		case <-sess.Done():
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleAdminStopClient stops every running session one client address
// started: a teacher whose student holds every slot frees them in one go.
func (s *Server) handleAdminStopClient() http.HandlerFunc {
	type response struct {
		Stopped []string `json:"stopped"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		client := r.URL.Query().Get("client")
		if client == "" {
			writeError(w, http.StatusBadRequest, "client", "say whose sessions to stop: ?client=ADDRESS, as the list names it")
			return
		}
		stopped := []string{}
		var waits []<-chan struct{}
		for _, a := range s.adminList(client) {
			if sess, ok := s.cfg.Runner.Get(a.ID); ok && !a.Ended {
				sess.Stop("the operator stopped the session")
				stopped = append(stopped, a.ID)
				waits = append(waits, sess.Done())
			}
		}
		s.log.Info("operator stops a client's sessions", "target", short(client), "sessions", len(stopped), "client", clientOf(r))
		for _, done := range waits {
			select {
			case <-done:
			case <-r.Context().Done():
				return
			}
		}
		writeJSON(w, http.StatusOK, response{Stopped: stopped})
	}
}

// pathID is the session id in the request's path.
func pathID(r *http.Request) string { return chi.URLParam(r, "id") }

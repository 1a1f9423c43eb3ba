package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"
)

// sameOrigin refuses requests that change state when they come from a page
// of another origin: a page elsewhere must not start or stop sessions on a
// teacher's machine. Requests without an Origin header (curl, scripts) are
// not from a browser page and pass. The WebSocket upgrade is checked by the
// WebSocket library itself, with the same patterns.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin, r.Host) {
			writeError(w, http.StatusForbidden, "", "requests that change a session must come from the playground's own page, not from "+origin)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether origin is the request's own host or matches
// one of the configured patterns.
func (s *Server) originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, p := range s.cfg.OriginPatterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// presenter lets a request through only with the session's presenter token
// as a bearer token: 401 without one, 403 with a wrong one.
func (s *Server) presenter(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.cfg.Runner.Get(chi.URLParam(r, "id"))
		if !ok {
			writeError(w, http.StatusNotFound, "id", "there is no session "+short(chi.URLParam(r, "id"))+" (it may have ended long ago)")
			return
		}
		auth := r.Header.Get("Authorization")
		token, found := strings.CutPrefix(auth, "Bearer ")
		if !found || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="presenter"`)
			writeError(w, http.StatusUnauthorized, "", "only the presenter may do this: send the presenter token as Authorization: Bearer TOKEN")
			return
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(sess.Token)) != 1 {
			writeError(w, http.StatusForbidden, "", "that is not this session's presenter token")
			return
		}
		next(w, r)
	}
}

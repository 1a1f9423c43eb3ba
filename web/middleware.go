package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// presenter lets a request through only with the session's presenter token
// (or the operator's token) as a bearer token: 401 without one, 403 with a
// wrong one.
func (s *Server) presenter(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.cfg.Runner.Get(chi.URLParam(r, "id"))
		if !ok {
			writeError(w, http.StatusNotFound, "id", "there is no session "+short(chi.URLParam(r, "id"))+" (it may have ended long ago)")
			return
		}
		token, found := bearer(r)
		if !found || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="presenter"`)
			writeError(w, http.StatusUnauthorized, "", "only the presenter may do this: send the presenter token as Authorization: Bearer TOKEN")
			return
		}
		if !sameToken(token, sess.Token) && !s.isAdmin(token) {
			writeError(w, http.StatusForbidden, "", "that is not this session's presenter token")
			return
		}
		next(w, r)
	}
}

// bearer returns the token of an Authorization: Bearer header. The scheme's
// name is case-insensitive, as HTTP says of every authentication scheme.
func bearer(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// sameToken compares a token a client sent with the real one in constant
// time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

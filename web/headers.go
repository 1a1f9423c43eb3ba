package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/ipc-playground/ipc-playground/static"
)

// contentPolicy builds the page's Content-Security-Policy. Scripts come
// only from the server's own files, plus the one inline script the page
// has, its import map, allowed by its hash; no style attributes or inline
// styles; no frames around the page. connectSrc names the WebSocket
// origins, which not every browser counts as 'self'.
func contentPolicy(importMapHash, connectSrc string) string {
	return "default-src 'none'; script-src 'self' '" + importMapHash + "'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'" + connectSrc + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// importMapHash is the CSP source of the page's inline import map.
func importMapHash() string {
	sum := sha256.Sum256([]byte(static.ImportMap()))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// securityHeaders sets the headers that keep a page of this server from
// being framed, sniffed or leaking its address, on every answer, API and
// errors included. The WebSocket origins in the policy come from the Host,
// which checkHost has let through by then.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		connect := ""
		if host, port := splitHost(r.Host); s.hosts.allows(host) && strings.Trim(port, "0123456789") == "" {
			connect = " ws://" + r.Host + " wss://" + r.Host
		}
		h.Set("Content-Security-Policy", contentPolicy(s.mapHash, connect))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

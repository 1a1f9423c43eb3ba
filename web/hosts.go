package web

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// hostPolicy decides which names the server answers to. A page on another
// site can make a browser send requests to 127.0.0.1 under the site's own
// name (DNS rebinding); refusing every Host the operator did not mean
// stops that before any handler runs.
type hostPolicy struct {
	names map[string]bool // lower case, no trailing dot
	addrs map[netip.Addr]bool
	// anyIface is set when the server listens on every interface: then
	// each address of the machine is its own, as are its host names.
	anyIface bool

	mu      sync.Mutex // guards the fields below
	ifaces  map[netip.Addr]bool
	checked time.Time
}

// ifaceRefresh is how often, at most, the machine's addresses are read
// again on a miss: a laptop that joins the room's network gets a new one.
const ifaceRefresh = 10 * time.Second

// newHostPolicy allows the listen address's host, loopback, and extra
// (names or addresses, with or without a port; the port is not compared).
func newHostPolicy(listen string, extra []string) *hostPolicy {
	p := &hostPolicy{names: map[string]bool{"localhost": true}, addrs: map[netip.Addr]bool{}}
	host := listen
	if h, _, err := net.SplitHostPort(listen); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsUnspecified() || host == "" && listen != "" {
		p.anyIface = true
		if name, err := os.Hostname(); err == nil && name != "" {
			p.add(name)
			p.add(name + ".local")
		}
	} else if host != "" {
		p.add(host)
	}
	for _, e := range extra {
		p.add(e)
	}
	return p
}

// add allows one entry: a name or an address, with or without a port.
func (p *hostPolicy) add(entry string) {
	host, _ := splitHost(strings.TrimSpace(entry))
	if host == "" {
		return
	}
	if a, err := netip.ParseAddr(host); err == nil {
		p.addrs[a.Unmap()] = true
		return
	}
	p.names[host] = true
}

// splitHost returns the host of a Host header (or host[:port] entry),
// lower case, without brackets or a trailing dot, and its port.
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	host = strings.TrimPrefix(strings.TrimSuffix(host, "]"), "[")
	return strings.TrimSuffix(strings.ToLower(host), "."), port
}

// allows reports whether host (without its port) is a name the server
// answers to.
func (p *hostPolicy) allows(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		return a.IsLoopback() || p.addrs[a] || p.anyIface && p.ownAddr(a)
	}
	return p.names[host] || strings.HasSuffix(host, ".localhost")
}

// ownAddr reports whether a is an address of one of the machine's
// interfaces.
func (p *hostPolicy) ownAddr(a netip.Addr) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ifaces[a] {
		return true
	}
	if !p.checked.IsZero() && time.Since(p.checked) < ifaceRefresh {
		return false
	}
	p.checked = time.Now()
	p.ifaces = map[netip.Addr]bool{}
	list, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range list {
		if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
			p.ifaces[pfx.Addr().Unmap()] = true
		}
	}
	return p.ifaces[a]
}

// checkHost refuses a request whose Host is not a name of this server,
// whatever its method or route: a rebound name reads pages as surely as it
// starts sessions.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port := splitHost(r.Host)
		if !s.hosts.allows(host) || strings.Trim(port, "0123456789") != "" {
			s.refuse(w, r, "host", http.StatusMisdirectedRequest, 0, "this server does not answer to the name "+short(r.Host)+
				": open it by the address it listens on, or have it started with -allowed-hosts naming "+short(host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses requests that change state when they come from a page
// of another origin: a page elsewhere must not start or stop sessions on a
// teacher's machine. Requests without an Origin header (curl, scripts) are
// not from a browser page and pass. The WebSocket route checks its Origin
// itself, on GET.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin, r) {
			s.refuse(w, r, "origin", http.StatusForbidden, 0, "requests that change a session must come from the playground's own page, not from "+short(origin))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether a page at origin may act on this server:
// its scheme must be the one the request came by (an https page is not
// this http server's), and its host one the server answers to, on the
// port the request came to, or one of the configured patterns.
func (s *Server) originAllowed(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Scheme != scheme(r) {
		return false
	}
	host, port := splitHost(u.Host)
	_, reqPort := splitHost(r.Host)
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	if reqPort == "" {
		reqPort = defaultPort(u.Scheme)
	}
	if s.hosts.allows(host) && port == reqPort {
		return true
	}
	for _, p := range s.cfg.OriginPatterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// scheme is the scheme the client reached this server by.
func scheme(r *http.Request) string {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return "https"
	}
	return "http"
}

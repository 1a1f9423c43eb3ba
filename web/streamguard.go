package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// maxFrom is the largest ?from= taken: the largest integer a JSON number
// holds exactly in the page, far past any session's last event.
const maxFrom = 1 << 53

// parseFrom reads ?from=, the seq of the first event wanted (1 if absent),
// or answers 400 and reports false.
func parseFrom(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	v := r.URL.Query().Get("from")
	if v == "" {
		return 1, true
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n < 1 || n > maxFrom {
		writeError(w, http.StatusBadRequest, "from", "from must be a whole number from 1 to "+strconv.Itoa(maxFrom)+
			": the seq of the first event wanted, not "+short(v))
		return 0, false
	}
	return n, true
}

// parseTo reads ?to=, the seq of the last event wanted (0 if absent: to
// the last recorded), or answers 400 and reports false.
func parseTo(w http.ResponseWriter, r *http.Request, from uint64) (uint64, bool) {
	v := r.URL.Query().Get("to")
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n < from || n > maxFrom {
		writeError(w, http.StatusBadRequest, "to", "to must be a whole number from "+strconv.FormatUint(from, 10)+" (from) to "+strconv.Itoa(maxFrom)+
			": the seq of the last event wanted, not "+short(v))
		return 0, false
	}
	return n, true
}

// streamAccept is one WebSocket being opened: its options, and a context
// for its life.
type streamAccept struct {
	opts   *websocket.AcceptOptions
	ctx    context.Context
	cancel context.CancelFunc
	conn   atomic.Pointer[websocket.Conn]
	once   sync.Once
}

// prepareStream checks the upgrade's Origin, lifts the HTTP server's read
// and write deadlines (a stream lives as long as its session; each write
// has its own timeout) and sets up the ping limit. It answers a refusal
// itself and reports false.
func (s *Server) prepareStream(w http.ResponseWriter, r *http.Request) (*streamAccept, bool) {
	origin := r.Header.Get("Origin")
	if origin != "" && !s.originAllowed(origin, r) {
		s.refuse(w, r, "origin", http.StatusForbidden, 0, "a page from "+short(origin)+" may not open this session's stream")
		return nil, false
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil && err != http.ErrNotSupported {
		s.log.Warn("lift read deadline", "err", err)
	}
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && err != http.ErrNotSupported {
		s.log.Warn("lift write deadline", "err", err)
	}
	a := &streamAccept{}
	a.ctx, a.cancel = context.WithCancel(r.Context())
	// The Origin passed the server's own check, which knows the names the
	// server answers to; the library's would know only the Host.
	var patterns []string
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		patterns = []string{literalPattern(u.Host)}
	}
	pings := rate.NewLimiter(pingsPerSecond, pingBurst)
	a.opts = &websocket.AcceptOptions{OriginPatterns: patterns, OnPingReceived: func(context.Context, []byte) bool {
		if pings.Allow() {
			return true
		}
		a.once.Do(func() {
			s.refused(r, "pings", websocket.StatusPolicyViolation.String())
			if c := a.conn.Load(); c != nil {
				// The library calls this from its reader, which Close
				// needs free to read the viewer's answer.
				go c.Close(websocket.StatusPolicyViolation, "too many pings: at most "+strconv.Itoa(pingsPerSecond)+" a second")
			}
		})
		return false
	}}
	return a, true
}

// literalPattern escapes a host for path.Match, which the library matches
// patterns with: "[::1]:8080" would otherwise be a character class.
func literalPattern(host string) string {
	var b strings.Builder
	for _, c := range host {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// accept upgrades the connection.
func (a *streamAccept) accept(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	c, err := websocket.Accept(w, r, a.opts)
	if err == nil {
		a.conn.Store(c)
	}
	return c, err
}

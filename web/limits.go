package web

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ipc-playground/ipc-playground/internal/runner"
)

// Limits bound what one client address, one session and the whole server
// may hold, so that one student (or one page) cannot take every session
// slot or descriptor. A zero field sets no bound.
type Limits struct {
	// SessionsPerClient is how many sessions one client address may have
	// running at once.
	SessionsPerClient int
	// StartsPerMinute is how many sessions one client address may start
	// in a minute (in a burst, then one every 60/N seconds).
	StartsPerMinute int
	// Viewers is how many WebSockets one session may have open.
	Viewers int
	// StreamsPerClient is how many WebSockets one client address may
	// have open; at least Viewers, so that a class behind one address
	// can all watch one session.
	StreamsPerClient int
	// Streams is how many WebSockets the server keeps open in all.
	Streams int
	// ControlsPerSecond is how many controls (pause, step, speed ...) one
	// session takes a second.
	ControlsPerSecond int
}

const (
	// pingsPerSecond and pingBurst bound the pings a viewer may send: the
	// page sends none, and a client that pings faster than this only
	// makes the server write pongs.
	pingsPerSecond = 2
	pingBurst      = 10
	// busyRetry is the Retry-After of a refusal that waits on others
	// (a slot or a socket freed), not on a clock.
	busyRetry = 10 * time.Second
	// limiterCap is how many idle rate limiters are kept before the full
	// ones (as good as new) are dropped.
	limiterCap = 1024
)

// clientOf names the client a request comes from, for the limits: its IP
// address, or for IPv6 its /64, since one machine may use any address of
// its network's prefix.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// quotas counts what each client holds against Limits.
type quotas struct {
	lim Limits
	now func() time.Time

	mu       sync.Mutex        // guards the fields below
	running  map[string]int    // client → sessions running
	owners   map[string]string // session id → the client that started it
	streams  map[string]int    // client → open WebSockets
	viewers  map[string]int    // session id → open WebSockets
	total    int               // open WebSockets
	starts   limiterSet        // per client
	controls limiterSet        // per session
}

func newQuotas(lim Limits) *quotas {
	q := &quotas{lim: lim, now: time.Now, running: map[string]int{}, owners: map[string]string{},
		streams: map[string]int{}, viewers: map[string]int{}}
	if lim.StartsPerMinute > 0 {
		q.starts = limiterSet{limit: rate.Limit(float64(lim.StartsPerMinute) / 60), burst: lim.StartsPerMinute}
	}
	if lim.ControlsPerSecond > 0 {
		q.controls = limiterSet{limit: rate.Limit(lim.ControlsPerSecond), burst: lim.ControlsPerSecond}
	}
	return q
}

// limiterSet is one token bucket per key, made on first use.
type limiterSet struct {
	limit rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// take spends one token of key's bucket and returns 0, or, if it is
// empty, how long until one is there (and spends nothing).
func (l *limiterSet) take(key string, now time.Time) time.Duration {
	if l.burst == 0 {
		return 0
	}
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= limiterCap {
			l.dropFull(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// dropFull forgets the buckets that have refilled: a new one is the same.
func (l *limiterSet) dropFull(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
}

// admitStart takes a running-session slot and a start token for the
// request's client, or answers the refusal and reports false. The caller
// gives the slot back with unreserve if the session does not start.
func (s *Server) admitStart(w http.ResponseWriter, r *http.Request) (client string, ok bool) {
	q := s.quotas
	client = clientOf(r)
	q.mu.Lock()
	n := q.running[client]
	full := q.lim.SessionsPerClient > 0 && n >= q.lim.SessionsPerClient
	var wait time.Duration
	if !full {
		wait = q.starts.take(client, q.now())
	}
	if !full && wait == 0 {
		q.running[client]++
	}
	q.mu.Unlock()
	switch {
	case full:
		s.refuse(w, r, "client-sessions", http.StatusTooManyRequests, busyRetry, fmt.Sprintf(
			"you already have %d sessions running, the most one address may; stop one or wait for one to end", n))
		return "", false
	case wait > 0:
		s.refuse(w, r, "client-starts", http.StatusTooManyRequests, wait, fmt.Sprintf(
			"you have started %d sessions in the last minute, the most one address may; wait %s", q.lim.StartsPerMinute, seconds(wait)))
		return "", false
	}
	return client, true
}

// unreserve gives back a slot admitStart took.
func (q *quotas) unreserve(client string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running[client]--; q.running[client] <= 0 {
		delete(q.running, client)
	}
}

// started holds client's slot until sess has ended, and then forgets the
// session's control bucket.
func (q *quotas) started(client string, sess *runner.Session) {
	q.mu.Lock()
	q.owners[sess.ID] = client
	q.mu.Unlock()
	go func() {
		<-sess.Done()
		q.unreserve(client)
		q.mu.Lock()
		delete(q.controls.m, sess.ID)
		q.mu.Unlock()
	}()
}

// owner returns the client that started session id, if this server
// started it.
func (q *quotas) owner(id string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.owners[id]
}

// forget drops the owners of sessions the runner no longer keeps.
func (q *quotas) forget(keep func(id string) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for id := range q.owners {
		if !keep(id) {
			delete(q.owners, id)
		}
	}
}

// admitStream takes a WebSocket for the request's client on session id,
// or answers the refusal and reports false. release gives it back.
func (s *Server) admitStream(w http.ResponseWriter, r *http.Request, id string) (release func(), ok bool) {
	q := s.quotas
	client := clientOf(r)
	q.mu.Lock()
	var reason string
	// The session's own limit is checked first: a class behind one
	// address that fills a session hears that the session is full.
	switch {
	case q.lim.Viewers > 0 && q.viewers[id] >= q.lim.Viewers:
		reason = "viewers"
	case q.lim.StreamsPerClient > 0 && q.streams[client] >= q.lim.StreamsPerClient:
		reason = "client-streams"
	case q.lim.Streams > 0 && q.total >= q.lim.Streams:
		reason = "streams"
	default:
		q.total++
		q.streams[client]++
		q.viewers[id]++
	}
	q.mu.Unlock()
	switch reason {
	case "streams":
		s.refuse(w, r, reason, http.StatusServiceUnavailable, busyRetry, fmt.Sprintf(
			"the server has %d event streams open, the most it keeps; try again when a viewer has left", q.lim.Streams))
		return nil, false
	case "client-streams":
		s.refuse(w, r, reason, http.StatusTooManyRequests, busyRetry, fmt.Sprintf(
			"your address has %d event streams open, the most one address may; close a tab that shows a session", q.lim.StreamsPerClient))
		return nil, false
	case "viewers":
		s.refuse(w, r, reason, http.StatusTooManyRequests, busyRetry, fmt.Sprintf(
			"this session has %d viewers, the most one session may; try again when one has left", q.lim.Viewers))
		return nil, false
	}
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.total--
		if q.streams[client]--; q.streams[client] <= 0 {
			delete(q.streams, client)
		}
		if q.viewers[id]--; q.viewers[id] <= 0 {
			delete(q.viewers, id)
		}
	}, true
}

// openStreams returns how many WebSockets are open.
func (q *quotas) openStreams() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// controlLimit refuses a session's controls past ControlsPerSecond.
func (s *Server) controlLimit(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := s.quotas
		id := pathID(r)
		q.mu.Lock()
		wait := q.controls.take(id, q.now())
		q.mu.Unlock()
		if wait > 0 {
			s.refuse(w, r, "controls", http.StatusTooManyRequests, wait, fmt.Sprintf(
				"this session takes at most %d controls a second; wait %s", q.lim.ControlsPerSecond, seconds(wait)))
			return
		}
		next(w, r)
	}
}

// refuse answers a request the server will not serve now, with the
// contract's error and, when waiting helps, Retry-After in whole seconds;
// it logs and counts the refusal by reason.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, reason string, status int, retry time.Duration, msg string) {
	s.refused(r, reason, strconv.Itoa(status))
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(retry)))
	}
	writeError(w, status, "", msg)
}

// refused logs and counts a refusal.
func (s *Server) refused(r *http.Request, reason, status string) {
	s.metrics.refused(reason)
	s.log.Warn("request refused", "reason", reason, "client", clientOf(r), "method", r.Method, "path", short(r.URL.Path), "status", status)
}

// retrySeconds rounds a wait up to whole seconds, at least one.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// seconds says a wait in words: "1 second", "12 seconds".
func seconds(d time.Duration) string {
	n := retrySeconds(d)
	if n == 1 {
		return "1 second"
	}
	return strconv.Itoa(n) + " seconds"
}

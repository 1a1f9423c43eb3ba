package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

const (
	// maxBatch bounds how many events go in one WebSocket message.
	maxBatch = 512
	// writeTimeout is how long a viewer may take to accept one message;
	// a viewer slower than that is closed and may reconnect with ?from=.
	writeTimeout = 10 * time.Second
	// gather is how long the stream waits after new events arrive, to
	// send them in one message rather than many small ones.
	gather = 10 * time.Millisecond
)

// handleEvents streams a session's events over a WebSocket from seq 1, or
// from ?from=N. Each message is a JSON array of events in seq order; after
// the session's last event the server closes the socket normally. Viewers
// read from the session's log, so a slow viewer never slows the processes:
// it falls behind, and is closed if it stops reading altogether.
func (s *Server) handleEvents() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		from, ok := parseFrom(w, r)
		if !ok {
			return
		}
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			writeError(w, http.StatusUpgradeRequired, "", "this address streams events over a WebSocket; for the recorded events as a file, GET events.jsonl")
			return
		}
		acc, ok := s.prepareStream(w, r)
		if !ok {
			return
		}
		defer acc.cancel()
		release, ok := s.admitStream(w, r, sess.ID)
		if !ok {
			return
		}
		defer release()
		c, err := acc.accept(w, r)
		if err != nil {
			s.log.Info("websocket accept", "err", err)
			return
		}
		defer c.CloseNow()
		if !s.track(c) {
			c.Close(websocket.StatusGoingAway, "the server is shutting down")
			return
		}
		defer s.untrack(c)
		// The reader must always run for control frames; CloseRead does
		// that and cancels ctx when the viewer goes away.
		ctx := c.CloseRead(acc.ctx)
		s.stream(ctx, c, sess, from)
	}
}

// sessionLog is the part of a session a stream reads.
type sessionLog interface {
	Events(from uint64) ([]event.Event, <-chan struct{}, bool)
}

// stream writes the session's log to c from seq next on until the log ends.
func (s *Server) stream(ctx context.Context, c *websocket.Conn, sess sessionLog, next uint64) {
	for {
		evs, notify, done := sess.Events(next)
		if len(evs) > 0 {
			batch := evs[:min(len(evs), maxBatch)]
			b, err := json.Marshal(batch)
			if err != nil {
				c.Close(websocket.StatusInternalError, "could not encode events")
				return
			}
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err = c.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					c.Close(websocket.StatusPolicyViolation, "too slow: reconnect with ?from="+strconv.FormatUint(next, 10))
				}
				return
			}
			next += uint64(len(batch))
			continue
		}
		if done {
			c.Close(websocket.StatusNormalClosure, "the session has ended")
			return
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(gather):
		case <-ctx.Done():
			return
		}
	}
}

package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/eventlog"
)

const (
	// maxBatch bounds how many events go in one WebSocket message.
	maxBatch = 512
	// writeTimeout is how long a viewer may take to accept one message;
	// a viewer slower than that is closed and may reconnect with ?from=.
	writeTimeout = 10 * time.Second
	// gather is how long the stream waits after new events arrive, to
	// send them in one message rather than many small ones.
	gather = 4 * time.Millisecond
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
		defer sess.Viewing()()
		// The reader must always run for control frames; CloseRead does
		// that and cancels ctx when the viewer goes away.
		ctx := c.CloseRead(acc.ctx)
		s.stream(ctx, c, sess.Log(), from)
	}
}

// eventLog is the part of a session a stream reads.
type eventLog interface {
	ReadAt(c eventlog.Cursor, most, maxBytes int) (eventlog.Batch, error)
	AppendAt(dst []byte, c eventlog.Cursor, most, maxBytes int) (eventlog.Batch, error)
}

// maxMessage bounds the bytes of events in one WebSocket message (one
// event is always sent, whatever its size).
const maxMessage = 256 << 10

// stream writes the session's log to c from seq next on until the log ends.
// The events are the bytes recorded when each was logged: nothing is
// encoded again for a viewer, only framed as a JSON array.
func (s *Server) stream(ctx context.Context, c *websocket.Conn, log eventLog, next uint64) {
	var msg []byte
	at := eventlog.From(next)
	for {
		// The events are read straight into the message, after its '['.
		b, err := log.AppendAt(append(msg[:0], '['), at, maxBatch, maxMessage)
		if err != nil {
			s.log.Warn("read events", "err", err)
			c.Close(websocket.StatusInternalError, "could not read the recorded events")
			return
		}
		msg = b.Lines
		if b.Count > 0 {
			msg = linesToArray(msg)
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err = c.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				// A viewer that takes no message for writeTimeout has its
				// connection cut: one that does not read cannot take a
				// close frame either, so it sees 1006. It may reconnect
				// with ?from= the seq it needs next.
				if errors.Is(err, context.DeadlineExceeded) {
					s.log.Info("viewer too slow, disconnected", "from", next)
				}
				return
			}
			next, at = b.Next, b.At
			continue
		}
		if b.Done {
			c.Close(websocket.StatusNormalClosure, "the session has ended")
			return
		}
		select {
		case <-b.Notify:
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

// linesToArray makes '[' and the JSON lines after it one JSON array, in
// place: each newline but the last becomes a comma, the last the closing
// bracket. A newline never occurs inside an encoded event.
func linesToArray(b []byte) []byte {
	for i := 1; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		b[i+j] = ','
		i += j + 1
	}
	if n := len(b); n > 1 && b[n-1] == ',' {
		b[n-1] = ']'
		return b
	}
	return append(b, ']')
}

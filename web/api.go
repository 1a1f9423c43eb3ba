package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/eventlog"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// paces are the values of a session's pace.
var paces = []string{"realtime", "slow", "step"}

func (s *Server) handleHealth() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Runner.Healthy() {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "", "the server is shutting down")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

func (s *Server) handleScenarios() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, scenario.All())
	}
}

func (s *Server) handleCreateSession() http.HandlerFunc {
	type request struct {
		Scenario string                     `json:"scenario"`
		Params   map[string]json.RawMessage `json:"params"`
		Pace     string                     `json:"pace"`
	}
	type response struct {
		ID             string `json:"id"`
		ViewerURL      string `json:"viewer_url"`
		EventsURL      string `json:"events_url"`
		PresenterToken string `json:"presenter_token"`
		JoinCode       string `json:"join_code"`
		JoinURL        string `json:"join_url"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var req request
		if !decodeBody(w, r, &req) {
			return
		}
		if req.Scenario == "" {
			writeError(w, http.StatusBadRequest, "scenario", "say which scenario to run, for example {\"scenario\": \"pipe\"}")
			return
		}
		sc, ok := scenario.Lookup(req.Scenario)
		if !ok {
			writeError(w, http.StatusNotFound, "scenario", fmt.Sprintf("there is no scenario %q; GET /api/scenarios lists them", short(req.Scenario)))
			return
		}
		if req.Pace == "" {
			req.Pace = "realtime"
		}
		if !contains(paces, req.Pace) {
			writeError(w, http.StatusBadRequest, "pace", `pace must be "realtime", "slow" or "step"`)
			return
		}
		ferr := checkParamKinds(sc, req.Params)
		if ferr != nil {
			writeError(w, http.StatusBadRequest, ferr.Field, ferr.Message)
			return
		}
		vals, ferr := sc.Validate(req.Params, s.cfg.Runner.Limits())
		if ferr != nil {
			writeError(w, http.StatusBadRequest, ferr.Field, ferr.Message)
			return
		}
		client, ok := s.admitStart(w, r)
		if !ok {
			return
		}
		sess, err := s.cfg.Runner.Start(sc, vals, req.Pace)
		if err != nil {
			s.quotas.unreserve(client)
		}
		switch {
		case errors.Is(err, runner.ErrBusy):
			s.refuse(w, r, "busy", http.StatusTooManyRequests, busyRetry, err.Error())
			return
		case errors.Is(err, runner.ErrShuttingDown):
			s.refuse(w, r, "shutting-down", http.StatusServiceUnavailable, 5*time.Second, err.Error())
			return
		case err != nil:
			s.metrics.fault("start")
			s.log.Error("start session", "scenario", sc.Name, "client", client, "err", err)
			writeError(w, http.StatusInternalServerError, "", "the session could not start: "+err.Error())
			return
		}
		s.quotas.started(client, sess)
		s.metrics.started.Inc()
		s.log.Info("session started", "id", sess.ID, "scenario", sc.Name, "pace", req.Pace, "client", client)
		base := baseURL(r)
		w.Header().Set("Location", "/api/sessions/"+sess.ID)
		writeJSON(w, http.StatusCreated, response{
			ID:             sess.ID,
			ViewerURL:      base + "/s/" + sess.ID,
			EventsURL:      "ws" + strings.TrimPrefix(base, "http") + "/api/sessions/" + sess.ID + "/events",
			PresenterToken: sess.Token,
			JoinCode:       sess.Code,
			JoinURL:        base + "/j/" + sess.Code,
		})
	}
}

// checkParamKinds refuses a parameter whose value is of the wrong kind:
// null, a number written as a string, a word where a number belongs. The
// scenario's own checks would take a null for the default and say only
// "must be a whole number" for the rest; these say what was sent. A number
// too large to hold exactly is refused here too, before rounding could
// change it.
func checkParamKinds(sc *scenario.Scenario, raw map[string]json.RawMessage) *scenario.FieldError {
	for _, p := range sc.Params {
		v, ok := raw[p.Name]
		if !ok || len(v) == 0 {
			continue
		}
		if msg := kindProblem(p, v); msg != "" {
			return &scenario.FieldError{Field: "params." + p.Name, Message: msg}
		}
	}
	return nil
}

// kindProblem says what is wrong with the kind of v as a value of p, or
// returns "".
func kindProblem(p scenario.Param, v json.RawMessage) string {
	got := describe(v)
	if got == "null" {
		def, _ := json.Marshal(p.Default)
		return fmt.Sprintf("%s must be %s, not null; leave it out to take the default, %s", p.Name, kindWord(p), def)
	}
	switch p.Type {
	case scenario.TypeInt:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return fmt.Sprintf("%s must be %s, not %s", p.Name, kindWord(p), got)
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if (err != nil || math.Abs(f) > 1<<53) && p.Min != nil && p.Max != nil {
			return strings.TrimSpace(fmt.Sprintf("%s must be between %d and %d %s", p.Name, *p.Min, *p.Max, p.Unit)) + ", not " + got
		}
	case scenario.TypeBool:
		if v[0] != 't' && v[0] != 'f' {
			return fmt.Sprintf("%s must be %s, not %s", p.Name, kindWord(p), got)
		}
	case scenario.TypeChoice:
		if v[0] != '"' {
			return fmt.Sprintf("%s must be %s, not %s", p.Name, kindWord(p), got)
		}
	}
	return ""
}

// kindWord says what kind of value p takes.
func kindWord(p scenario.Param) string {
	switch p.Type {
	case scenario.TypeBool:
		return "true or false"
	case scenario.TypeChoice:
		return "one of " + quoted(p.Choices)
	}
	return "a number"
}

// baseURL is the address the client reached this server by.
func baseURL(r *http.Request) string {
	return scheme(r) + "://" + r.Host
}

// quoted lists words as JSON strings: "none", "mutex".
func quoted(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// session finds the session named in the path, or answers 404.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*runner.Session, bool) {
	id := chi.URLParam(r, "id")
	sess, ok := s.cfg.Runner.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "id", "there is no session "+short(id)+" (it may have ended long ago)")
	}
	return sess, ok
}

func (s *Server) handleGetSession() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, sess.Snapshot())
	}
}

func (s *Server) handleDeleteSession() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		sess.Stop("the presenter stopped the session")
		// Answer once the children are dead and the objects gone, so a
		// script that deletes and then checks ipcs sees a clean system.
		select {
		case <-sess.Done():
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleControl() http.HandlerFunc {
	type request struct {
		Action string          `json:"action"`
		Value  json.RawMessage `json:"value"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		var req request
		// The page sends "value": null with the actions that take none,
		// and step documents null as "whichever process is next".
		if !decodeBody(w, r, &req, "value") {
			return
		}
		err := sess.Control(req.Action, req.Value)
		var ce *runner.ControlError
		if errors.As(err, &ce) {
			writeError(w, ce.Status, ce.Field, ce.Message)
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, "", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, sess.Snapshot())
	}
}

// handleEventsJSONL writes the recorded events, one object a line: the
// bytes recorded, as they are on disk. For a session still running it
// writes what is recorded so far. ?from=N and ?to=M (both optional, both
// counted in) ask for a stretch: the page fetches back the events it let
// go of, through the log's index, not a scan.
func (s *Server) handleEventsJSONL() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		from, ok := parseFrom(w, r)
		if !ok {
			return
		}
		to, ok := parseTo(w, r, from)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.jsonl"`, sess.Scenario, sess.ID))
		var err error
		if from == 1 && to == 0 {
			_, err = sess.Log().WriteTo(w)
		} else {
			err = writeStretch(w, sess.Log(), from, to)
		}
		if err != nil {
			s.log.Info("write events.jsonl", "session", sess.ID, "err", err)
		}
	}
}

// writeStretch writes the recorded events from seq from to seq to (0: to
// the last recorded), a batch at a time.
func writeStretch(w io.Writer, log eventLog, from, to uint64) error {
	at := eventlog.From(from)
	for to == 0 || at.Seq <= to {
		most := maxBatch
		if to > 0 {
			most = int(min(uint64(maxBatch), to-at.Seq+1))
		}
		b, err := log.ReadAt(at, most, maxMessage)
		if err != nil {
			return err
		}
		if b.Count == 0 {
			return nil
		}
		if _, err := w.Write(b.Lines); err != nil {
			return err
		}
		at = b.At
	}
	return nil
}

// handleListSessions lists the recordings, newest first, a page at a time:
// ?page=N (from 1) and ?per_page=M (1 to 200, 50 by default). The body is
// a JSON array; X-Total-Count says how many there are in all, and a Link
// header points to the next page while there is one.
func (s *Server) handleListSessions() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, ok := pageParam(w, r, "page", 1, 1, 1<<20)
		if !ok {
			return
		}
		per, ok := pageParam(w, r, "per_page", 50, 1, 200)
		if !ok {
			return
		}
		list, total := s.cfg.Runner.Recordings((page-1)*per, per)
		if list == nil {
			list = []runner.Recording{}
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
		if page*per < total {
			w.Header().Set("Link", fmt.Sprintf(`</api/sessions?page=%d&per_page=%d>; rel="next"`, page+1, per))
		}
		writeJSON(w, http.StatusOK, list)
	}
}

// pageParam reads a whole-number query parameter between lo and hi, or
// answers 400 and reports false.
func pageParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		writeError(w, http.StatusBadRequest, name, fmt.Sprintf("%s must be a whole number from %d to %d", name, lo, hi))
		return 0, false
	}
	return n, true
}

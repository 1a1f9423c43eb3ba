package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/event"
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

// handleEventsJSONL writes the recorded events, one object a line. For a
// session still running it writes what is recorded so far.
func (s *Server) handleEventsJSONL() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		evs, _, _ := sess.Events(1)
		w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.jsonl"`, sess.Scenario, sess.ID))
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		for i := range evs {
			if err := enc.Encode(&evs[i]); err != nil {
				return
			}
		}
		_ = bw.Flush()
	}
}

// terminal reports whether the last of evs ends the stream.
func terminal(evs []event.Event) bool {
	return len(evs) > 0 && evs[len(evs)-1].Terminal()
}

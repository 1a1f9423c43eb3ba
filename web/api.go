package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/runner"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// maxBody bounds a request body; anything larger is refused with 413.
const maxBody = 64 << 10

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

// decodeBody reads a JSON body into v, refusing unknown fields, trailing
// data and bodies over maxBody. It writes the error itself and reports
// whether v is good.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("extra data after the JSON object")
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the request body is larger than %d KiB", maxBody>>10))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "", "the request needs a JSON body")
	case errors.As(err, &syn):
		writeError(w, http.StatusBadRequest, "", fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		writeError(w, http.StatusBadRequest, typ.Field, fmt.Sprintf("%s has the wrong type: it must be %s", typ.Field, jsonType(typ.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		writeError(w, http.StatusBadRequest, name, fmt.Sprintf("unknown field %q", name))
	default:
		writeError(w, http.StatusBadRequest, "", "the body could not be read: "+err.Error())
	}
	return false
}

// jsonType names a Go kind as JSON would.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "a number"
}

func (s *Server) handleCreateSession() http.HandlerFunc {
	type request struct {
		Scenario *string                    `json:"scenario"`
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
		if req.Scenario == nil || *req.Scenario == "" {
			writeError(w, http.StatusBadRequest, "scenario", "say which scenario to run, for example {\"scenario\": \"pipe\"}")
			return
		}
		sc, ok := scenario.Lookup(*req.Scenario)
		if !ok {
			writeError(w, http.StatusNotFound, "scenario", fmt.Sprintf("there is no scenario %q; GET /api/scenarios lists them", *req.Scenario))
			return
		}
		if req.Pace == "" {
			req.Pace = "realtime"
		}
		if !contains(paces, req.Pace) {
			writeError(w, http.StatusBadRequest, "pace", `pace must be "realtime", "slow" or "step"`)
			return
		}
		vals, ferr := sc.Validate(req.Params, s.cfg.Runner.Limits())
		if ferr != nil {
			writeError(w, http.StatusBadRequest, ferr.Field, ferr.Message)
			return
		}
		sess, err := s.cfg.Runner.Start(sc, vals, req.Pace)
		switch {
		case errors.Is(err, runner.ErrBusy):
			w.Header().Set("Retry-After", "10")
			writeError(w, http.StatusTooManyRequests, "", err.Error())
			return
		case errors.Is(err, runner.ErrShuttingDown):
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		case err != nil:
			s.log.Error("start session", "scenario", sc.Name, "err", err)
			writeError(w, http.StatusInternalServerError, "", "the session could not start: "+err.Error())
			return
		}
		s.log.Info("session started", "id", sess.ID, "scenario", sc.Name, "pace", req.Pace)
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

// baseURL is the address the client reached this server by.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
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
		writeError(w, http.StatusNotFound, "id", "there is no session "+id+" (it may have ended long ago)")
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
		if !decodeBody(w, r, &req) {
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

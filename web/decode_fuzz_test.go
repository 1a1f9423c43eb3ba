package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeBody feeds the request decoder any body: it must never panic,
// and either decode an object or answer a 4xx with the contract's JSON
// error in words. The seeds run in every go test; go test -fuzz explores.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"scenario": "pipe", "params": {"messages": 5}, "pace": "step"}`,
		`{"scenario": "pipe", "scenario": "fifo"}`,
		`{"scenario": null}`, `[]`, `"pipe"`, `{"params": {"messages": 1e400}}`,
		`{"scenario": "pipe"} {}`, `{"a": "\ud800"}`, "{\"scenario\": \"pi\xffpe\"}", ``, `{`,
		`{"params": {"messages": [1, 2, {"x": null}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req struct {
			Scenario string                     `json:"scenario"`
			Params   map[string]json.RawMessage `json:"params"`
			Pace     string                     `json:"pace"`
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/sessions", bytes.NewReader(body))
		if decodeBody(w, r, &req) {
			return
		}
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("refused with %d", w.Code)
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("refusal without the JSON error: %q", w.Body.Bytes())
		}
	})
}

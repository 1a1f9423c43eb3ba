package web

import (
	"encoding/json"
	"net/http"
)

// apiError is the contract's error body.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeError answers with the contract's JSON error.
func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, apiError{Error: msg, Field: field})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

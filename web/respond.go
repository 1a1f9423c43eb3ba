package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxBody bounds a request body, as the contract's error table says: a body
// over 64 KiB is refused with 413, whatever it holds.
const maxBody = 64 << 10

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
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Errors quote what the client sent, < and & included; written as
	// \u003c they would be harder to read. Served as JSON that is never
	// sniffed, they are not HTML to anyone.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// requestError is a refused request body: the status, the field to blame,
// and the sentence for the client.
type requestError struct {
	status int
	field  string
	msg    string
}

func badRequest(field, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

// decodeBody reads the request's body into v, a pointer to a struct whose
// json tags name every field the body may hold. The body must be one JSON
// object of at most maxBody bytes; each of its names must be one of v's,
// spelled exactly, and given once; no field may be null unless it is one
// of nullable. Any other body is answered here with the contract's error,
// and decodeBody reports false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, nullable ...string) bool {
	rerr := decodeInto(w, r, v, nullable)
	if rerr != nil {
		writeError(w, rerr.status, rerr.field, rerr.msg)
	}
	return rerr == nil
}

func decodeInto(w http.ResponseWriter, r *http.Request, v any, nullable []string) *requestError {
	body, rerr := readBody(w, r)
	if rerr != nil {
		return rerr
	}
	raw, rerr := oneObject(body, r.Header.Get("Content-Type"))
	if rerr != nil {
		return rerr
	}
	names, rerr := objectNames(raw)
	if rerr != nil {
		return rerr
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return badRequest("", "the body could not be read: %v", err)
	}
	if rerr := checkFields(v, names, fields, nullable); rerr != nil {
		return rerr
	}
	var typ *json.UnmarshalTypeError
	if err := json.Unmarshal(raw, v); errors.As(err, &typ) {
		got, ok := fields[typ.Field]
		if !ok {
			got = json.RawMessage(typ.Value)
		}
		return badRequest(typ.Field, "%s must be %s, not %s", typ.Field, jsonType(typ.Type), describe(got))
	} else if err != nil {
		return badRequest("", "the body could not be read: %v", err)
	}
	return nil
}

// readBody reads the whole body, refusing one over maxBody with 413. A
// body announced as too large is refused before a byte of it is read, and
// any other reads at most maxBody+1 bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *requestError) {
	tooLarge := &requestError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("the request body is over %d KiB (%d bytes), the most the server reads", maxBody>>10, maxBody)}
	if r.ContentLength > maxBody {
		// Unread, the rest of the body would otherwise be waited for to
		// keep the connection: closing it is cheaper.
		w.Header().Set("Connection", "close")
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var over *http.MaxBytesError
	switch {
	case errors.As(err, &over):
		return nil, tooLarge
	case err != nil:
		return nil, badRequest("", "the body could not be read: %v", err)
	}
	return body, nil
}

// oneObject checks that body is exactly one JSON object, with nothing but
// white space after it, and returns it.
func oneObject(body []byte, contentType string) (json.RawMessage, *requestError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return nil, badRequest("", "the request needs a body: a JSON object, between { and }")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, badRequest("", "the body ends before its JSON does: a brace or a quote is missing%s", typeHint(contentType))
	case errors.As(err, &syn):
		return nil, badRequest("", "the body is not valid JSON (at byte %d: %s)%s", syn.Offset,
			strings.TrimPrefix(syn.Error(), "json: "), typeHint(contentType))
	case err != nil:
		return nil, badRequest("", "the body could not be read: %v", err)
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, badRequest("", "the body has extra data after the JSON object (at byte %d): send one object only",
			len(body)-len(rest))
	}
	if raw[0] != '{' {
		return nil, badRequest("", "the body must be a JSON object, between { and }, not %s", describe(raw))
	}
	return raw, nil
}

// typeHint adds a word about the Content-Type to a JSON syntax error, when
// the client said it was sending something else.
func typeHint(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return ""
	}
	return fmt.Sprintf("; the request said it sends %s, but every body of this API is JSON", short(contentType))
}

// objectNames walks the JSON object raw and returns its own names in order.
// A name given twice in any object within it is refused: the standard
// decoder would silently keep the last, and which one a client meant is
// anyone's guess.
func objectNames(raw json.RawMessage) ([]string, *requestError) {
	type frame struct {
		path    string
		object  bool
		seen    map[string]bool
		key     string
		wantKey bool
	}
	var stack []*frame
	var names []string
	// done marks the value of the innermost object's current name read.
	done := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay text: 1e400 is valid JSON, if no float64.
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, badRequest("", "the body is not valid JSON: %v", err)
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch {
		case top != nil && top.object && top.wantKey && tok != json.Delim('}'):
			name, _ := tok.(string)
			path := joinPath(top.path, name)
			if top.seen[name] {
				return nil, badRequest(short(path), "%s is given twice in the body: give each field once", short(path))
			}
			top.seen[name], top.key, top.wantKey = true, name, false
			if len(stack) == 1 {
				names = append(names, name)
			}
		case tok == json.Delim('{') || tok == json.Delim('['):
			f := &frame{object: tok == json.Delim('{'), seen: map[string]bool{}, wantKey: true}
			if top != nil {
				f.path = top.path
				if top.object {
					f.path = joinPath(top.path, top.key)
				}
			}
			stack = append(stack, f)
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
	}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// checkFields refuses names that are not v's fields, spelled exactly
// (the standard decoder would match "Scenario" to "scenario"), and nulls
// where a value is needed: a null is most often a client's bug, and
// quietly taking the default for it would hide that bug.
func checkFields(v any, names []string, fields map[string]json.RawMessage, nullable []string) *requestError {
	known := jsonFields(v)
	for _, name := range names {
		typ, ok := known[name]
		if !ok {
			return unknownField(name, known)
		}
		if string(fields[name]) == "null" && !slices.Contains(nullable, name) {
			return badRequest(name, "%s must be %s, not null", name, jsonType(typ))
		}
	}
	return nil
}

func unknownField(name string, known map[string]reflect.Type) *requestError {
	list := make([]string, 0, len(known))
	for k := range known {
		if strings.EqualFold(k, name) {
			return badRequest(short(name), "unknown field %q: names are lower case, did you mean %q?", short(name), k)
		}
		list = append(list, k)
	}
	slices.Sort(list)
	return badRequest(short(name), "unknown field %q: the body takes only %s", short(name), strings.Join(list, ", "))
}

// jsonFields maps the json names of the struct v points to to their types.
func jsonFields(v any) map[string]reflect.Type {
	t := reflect.TypeOf(v).Elem()
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

// jsonType names what a Go type holds as JSON would.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// describe names a JSON value for an error message: the value itself when
// it is short, else its kind.
func describe(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "missing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "the string " + short(string(raw))
	}
	return short(string(raw))
}

// short cuts text a client sent to a length fit to quote back in an
// error.
func short(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

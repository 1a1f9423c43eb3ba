package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Parameter types.
const (
	TypeInt    = "int"
	TypeChoice = "choice"
	TypeBool   = "bool"
)

// Param describes one knob of a scenario, as GET /api/scenarios lists it.
type Param struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Default any      `json:"default"`
	Min     *int64   `json:"min"`
	Max     *int64   `json:"max"`
	Choices []string `json:"choices"`
	Help    string   `json:"help"`
	Unit    string   `json:"unit,omitempty"`
}

func (p *Param) normalize() {
	if p.Choices == nil && p.Type == TypeChoice {
		p.Choices = []string{}
	}
}

// intParam builds an integer parameter.
func intParam(name string, def, lo, hi int64, unit, help string) Param {
	return Param{Name: name, Type: TypeInt, Default: def, Min: &lo, Max: &hi, Unit: unit, Help: help}
}

// choiceParam builds a parameter that takes one of a few words.
func choiceParam(name, def string, choices []string, help string) Param {
	return Param{Name: name, Type: TypeChoice, Default: def, Choices: choices, Help: help}
}

// boolParam builds an on/off parameter.
func boolParam(name string, def bool, help string) Param {
	return Param{Name: name, Type: TypeBool, Default: def, Help: help}
}

// FieldError is a refusal of one request field, in words a student
// understands.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

func fieldErr(name, format string, args ...any) *FieldError {
	return &FieldError{Field: "params." + name, Message: fmt.Sprintf(format, args...)}
}

// Values are a session's validated parameters, every one present.
type Values map[string]any

// Int returns an integer parameter.
func (v Values) Int(name string) int { return int(v[name].(int64)) }

// Str returns a choice parameter.
func (v Values) Str(name string) string { return v[name].(string) }

// Bool returns an on/off parameter.
func (v Values) Bool(name string) bool { return v[name].(bool) }

// Validate checks raw request parameters against the scenario: unknown names
// are refused, each value must have its type and lie in its bounds, missing
// ones take their default, and then the scenario's own Check runs.
func (s *Scenario) Validate(raw map[string]json.RawMessage, lim Limits) (Values, *FieldError) {
	for name := range raw {
		if !slices.ContainsFunc(s.Params, func(p Param) bool { return p.Name == name }) {
			return nil, fieldErr(name, "%s has no parameter %q; it takes %s", s.Name, name, s.paramNames())
		}
	}
	vals := Values{}
	for _, p := range s.Params {
		r, ok := raw[p.Name]
		if !ok || bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
			vals[p.Name] = p.Default
			continue
		}
		v, ferr := p.parse(r)
		if ferr != nil {
			return nil, ferr
		}
		vals[p.Name] = v
	}
	if s.Check != nil {
		if ferr := s.Check(vals, lim); ferr != nil {
			return nil, ferr
		}
	}
	return vals, nil
}

func (s *Scenario) paramNames() string {
	if len(s.Params) == 0 {
		return "no parameters"
	}
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// parse checks one value against its parameter.
func (p Param) parse(r json.RawMessage) (any, *FieldError) {
	switch p.Type {
	case TypeInt:
		var f float64
		if err := json.Unmarshal(r, &f); err != nil {
			return nil, fieldErr(p.Name, "%s must be a whole number", p.Name)
		}
		n := int64(f)
		if float64(n) != f {
			return nil, fieldErr(p.Name, "%s must be a whole number, not %v", p.Name, f)
		}
		if n < *p.Min || n > *p.Max {
			return nil, fieldErr(p.Name, "%s must be between %d and %d%s, not %d", p.Name, *p.Min, *p.Max, unitSuffix(p.Unit), n)
		}
		return n, nil
	case TypeChoice:
		var s string
		if err := json.Unmarshal(r, &s); err != nil || !slices.Contains(p.Choices, s) {
			return nil, fieldErr(p.Name, "%s must be one of %s", p.Name, quoteList(p.Choices))
		}
		return s, nil
	case TypeBool:
		var b bool
		if err := json.Unmarshal(r, &b); err != nil {
			return nil, fieldErr(p.Name, "%s must be true or false", p.Name)
		}
		return b, nil
	}
	return nil, fieldErr(p.Name, "%s has an unknown type", p.Name)
}

func unitSuffix(unit string) string {
	if unit == "" {
		return ""
	}
	return " " + unit
}

func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}

// Limits are the kernel's limits that bound parameters, read once by the
// server at start.
type Limits struct {
	PipeMaxSize int // /proc/sys/fs/pipe-max-size
	MqMsgMax    int // /proc/sys/fs/mqueue/msg_max
	MqMsgsize   int // /proc/sys/fs/mqueue/msgsize_max
	MsgMax      int // /proc/sys/kernel/msgmax
	MsgMnb      int // /proc/sys/kernel/msgmnb
}

// budgetBytes bounds the data one session may move, so that no combination
// of valid values can keep the machine busy for long.
const budgetBytes = 64 << 20

// checkBudget refuses sessions that would move more than budgetBytes.
func checkBudget(messages, size, copies int) *FieldError {
	total := int64(messages) * int64(size) * int64(copies)
	if total > budgetBytes {
		return fieldErr("messages", "%d messages of %d bytes would move %d MiB; a session may move at most %d MiB: send fewer or smaller messages",
			messages, size, total>>20, budgetBytes>>20)
	}
	return nil
}

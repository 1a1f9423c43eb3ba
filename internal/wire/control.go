package wire

import (
	"encoding/json"
	"fmt"
)

// Control is the whole state the server wants a worker in, sent on the
// worker's control pipe as one JSON object a line. Each message replaces
// the one before, so the server may drop any it could not send yet and
// send only the latest: a worker that reads late loses nothing. Steps is
// a running count, so the worker takes as many steps as the count grew.
type Control struct {
	Go     bool    `json:"go"`              // every process has started: run the role
	Paused bool    `json:"paused"`          // wait before the next IPC call
	Speed  float64 `json:"speed,omitempty"` // slow pace's speed; 0 leaves it as it is
	Steps  uint64  `json:"steps"`           // steps granted to this process since it started
}

// MaxControl is the longest control line: well under PIPE_BUF, so that one
// write to the pipe puts the whole line in, or nothing.
const MaxControl = 128

// AppendControl appends c as one line to b.
func AppendControl(b []byte, c Control) []byte {
	j, _ := json.Marshal(c) // plain fields: it cannot fail
	return append(append(b, j...), '\n')
}

// DecodeControl reads one control line.
func DecodeControl(line []byte) (Control, error) {
	var c Control
	if err := json.Unmarshal(line, &c); err != nil {
		return Control{}, fmt.Errorf("control line: %w", err)
	}
	return c, nil
}

package wire

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// MaxRecord is the largest record a worker may write: under PIPE_BUF, so
// that the writes of several processes to one pipe never interleave.
const MaxRecord = 4096

// ErrTooLarge is returned for a record that would not fit in one atomic
// pipe write.
var ErrTooLarge = errors.New("event record over PIPE_BUF")

// AppendRecord appends e as one newline-terminated record to b.
func AppendRecord(b []byte, e *event.Event) ([]byte, error) {
	j, err := json.Marshal(e)
	if err != nil {
		return b, fmt.Errorf("marshal event: %w", err)
	}
	if len(j)+1 > MaxRecord {
		return b, fmt.Errorf("%s event of %d bytes: %w", e.Kind, len(j)+1, ErrTooLarge)
	}
	return append(append(b, j...), '\n'), nil
}

// DecodeRecord reads one record, with or without its newline, into e.
func DecodeRecord(line []byte, e *event.Event) error {
	*e = event.Event{}
	return json.Unmarshal(line, e)
}

package ipc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// LimitError says, in words a student can read, which kernel limit a
// requested size breaks. Limit names the knob (a sysctl such as
// "fs.mqueue.msg_max", or "RLIMIT_MSGQUEUE") and Max its value.
type LimitError struct {
	Limit string
	Max   int64
	Text  string
}

func (e *LimitError) Error() string { return e.Text }

// limitErr builds a LimitError whose text ends by naming the limit.
func limitErr(limit string, limitMax int64, format string, args ...any) *LimitError {
	text := fmt.Sprintf(format, args...) + " (" + limit + ")"
	return &LimitError{Limit: limit, Max: limitMax, Text: text}
}

// readProcSysInt reads one integer from a file under /proc/sys.
func readProcSysInt(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read kernel limit: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read kernel limit %s: %w", path, err)
	}
	return n, nil
}

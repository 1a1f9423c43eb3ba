package worker

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// testRoles are the roles the test binary plays as a worker.
var testRoles = map[string]scenario.RoleFunc{
	"ok":   func(p *scenario.Proc, _ json.RawMessage) error { p.Note("hello"); return nil },
	"fail": func(p *scenario.Proc, _ json.RawMessage) error { return errors.New("it went wrong") },
	// blocked waits in read(2) on its first descriptor, which nobody
	// writes, after saying so.
	"blocked": func(p *scenario.Proc, _ json.RawMessage) error {
		p.Note("blocking")
		_, err := p.Files[0].Read(make([]byte, 1))
		return err
	},
	// abort gives up from another goroutine while its role is blocked.
	"abort": func(p *scenario.Proc, _ json.RawMessage) error {
		p.Note("blocking")
		go p.Abort(errors.New("a child failed"))
		_, err := p.Files[0].Read(make([]byte, 1))
		return err
	},
}

// The test binary is also the worker, with the roles above.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Arg {
		lookupRole = func(name string) (scenario.RoleFunc, bool) {
			r, ok := testRoles[name]
			return r, ok
		}
		os.Exit(Main(os.Getenv, os.Stderr, os.Exit))
	}
	os.Setenv("GORACE", "atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	os.Exit(m.Run())
}

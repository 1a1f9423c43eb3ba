package runner

import (
	"fmt"

	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// removeIPC removes a named or keyed IPC object if it exists.
func removeIPC(o scenario.Object) (bool, error) {
	return false, fmt.Errorf("remove %s: unknown object kind %q", o.Label, o.Kind)
}

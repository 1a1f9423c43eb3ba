package runner

import (
	"errors"
	"io/fs"
	"os"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// objKind is what the server knows of one kind of kernel object a plan may
// list: what it is called, how the sampler reads the kernel's view of it
// while the session runs, and how the server removes what a session left.
// Adding a kind of object is one scenario.Obj constant and one entry here.
type objKind struct {
	// title names the kind for people, in the session's description.
	title string
	// sample reads the kernel's view of o as sample events; nil when the
	// server cannot reach it (an anonymous pipe: its holders report it).
	sample func(o scenario.Object) []event.Event
	// remove removes o if it still exists and says whether it did.
	remove func(o scenario.Object) (bool, error)
}

// objKinds is the registry: every kind a plan may list, by its Obj constant.
var objKinds = map[string]objKind{
	scenario.ObjPipe:      {title: "anonymous pipe", remove: removeNothing},
	scenario.ObjFIFO:      {title: "FIFO (named pipe)", remove: removePath},
	scenario.ObjSocketDir: {title: "directory of a Unix socket's file", remove: removePath},
	scenario.ObjMqPosix: {title: "POSIX message queue", sample: readMqPosix,
		remove: func(o scenario.Object) (bool, error) { return removed(ipc.MqUnlink(o.Name)) }},
	scenario.ObjMsgSysV: {title: "System V message queue", sample: readMsgSysV,
		remove: removeSysV(func(k int) (int, error) { return ipc.Msgget(k, 0) }, ipc.MsgRemove)},
	scenario.ObjShmPosix: {title: "POSIX shared memory", sample: readShmSample,
		remove: func(o scenario.Object) (bool, error) { return removed(ipc.ShmUnlink(o.Name)) }},
	scenario.ObjShmSysV: {title: "System V shared memory", sample: readShmSample,
		remove: removeSysV(func(k int) (int, error) { return ipc.Shmget(k, 0, 0) }, ipc.ShmRemove)},
	scenario.ObjSemSysV: {title: "System V semaphore set", sample: readSemaphores,
		remove: removeSysV(func(k int) (int, error) { return ipc.Semget(k, 0, 0) }, ipc.SemRemove)},
}

// removeSysV removes a System V object by its key: get finds its id, remove
// removes it.
func removeSysV(get func(key int) (int, error), remove func(id int) error) func(scenario.Object) (bool, error) {
	return func(o scenario.Object) (bool, error) { return removed(removeByKey(o.Key, get, remove)) }
}

// removeNothing is an anonymous pipe's removal: it goes when the last
// descriptor to it closes.
func removeNothing(scenario.Object) (bool, error) { return false, nil }

// removePath removes a file or directory the session made, if it is still
// there.
func removePath(o scenario.Object) (bool, error) {
	if _, err := os.Lstat(o.Name); errors.Is(err, fs.ErrNotExist) {
		return false, nil // the session removed it itself
	}
	err := os.RemoveAll(o.Name)
	return err == nil, err
}

package runner

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/ipc"
	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// removeIPC removes a named or keyed IPC object if it exists, and says
// whether it did. A name or key that is already gone is not an error: the
// session's processes usually remove their own objects.
func removeIPC(o scenario.Object) (bool, error) {
	var err error
	switch o.Kind {
	case scenario.ObjMqPosix:
		err = ipc.MqUnlink(o.Name)
	case scenario.ObjShmPosix:
		err = ipc.ShmUnlink(o.Name)
	case scenario.ObjMsgSysV:
		err = removeByKey(o.Key, func(k int) (int, error) { return ipc.Msgget(k, 0) }, ipc.MsgRemove)
	case scenario.ObjShmSysV:
		err = removeByKey(o.Key, func(k int) (int, error) { return ipc.Shmget(k, 0, 0) }, ipc.ShmRemove)
	case scenario.ObjSemSysV:
		err = removeByKey(o.Key, func(k int) (int, error) { return ipc.Semget(k, 0, 0) }, ipc.SemRemove)
	default:
		return false, fmt.Errorf("remove %s: unknown object kind %q", o.Label, o.Kind)
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EIDRM) {
		return false, nil
	}
	return err == nil, err
}

// removeByKey finds a System V object by key and removes it.
func removeByKey(key int, get func(int) (int, error), remove func(int) error) error {
	if key == 0 {
		return unix.ENOENT // never IPC_PRIVATE: that is nobody's key
	}
	id, err := get(key)
	if err != nil {
		return err
	}
	return remove(id)
}

package runner

import (
	"errors"

	"golang.org/x/sys/unix"
)

// removed reads the result of removing a named or keyed IPC object: a
// name or key that is already gone is not an error, since the session's
// processes usually remove their own objects.
func removed(err error) (bool, error) {
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

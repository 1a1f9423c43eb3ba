package ipc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

func getChildSubreaper(v *int32) error {
	return unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(v)), 0, 0, 0)
}

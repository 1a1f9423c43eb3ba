package scenario

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// semTake makes a P operation (op, with Op -1) on System V semaphore set
// id, as block and unblock events copied from tmpl describe it (tmpl.Obj
// names the semaphore). It tries with IPC_NOWAIT first, so that block and
// unblock are sent only when the kernel really makes the process wait, and
// says whether it did.
func semTake(p *Proc, id int, op ipc.Sembuf, tmpl event.Event) (bool, error) {
	if err := p.Gate("semop", tmpl.Obj); err != nil {
		return false, err
	}
	blocked := false
	try := func() (bool, error) {
		err := ipc.SemTryop(id, op)
		if errors.Is(err, unix.EAGAIN) {
			blocked = true
			return true, nil
		}
		return false, err
	}
	tmpl.Call = "semop"
	if err := p.BlockingAs(tmpl, try, func() error { return ipc.Semop(id, op) }); err != nil {
		return blocked, p.Fail("semop", tmpl.Obj, err)
	}
	return blocked, nil
}

// semGive makes a V operation (op, with Op +1) on semaphore obj of set id.
// A V never waits.
func semGive(p *Proc, id int, op ipc.Sembuf, obj string) error {
	if err := p.Gate("semop", obj); err != nil {
		return err
	}
	if err := ipc.Semop(id, op); err != nil {
		return p.Fail("semop", obj, err)
	}
	return nil
}

// semState reads semaphore n's value and how many processes the kernel has
// waiting for it to rise; nil where the kernel would not say.
func semState(id, n int) (value, waiters *int64) {
	v, err1 := ipc.SemGetVal(id, n)
	w, err2 := ipc.SemGetNcnt(id, n)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	return event.Int64(int64(v)), event.Int64(int64(w))
}

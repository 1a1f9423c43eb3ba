package ipc

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrEOF is returned by ReadFull when the other side closed before a whole
// message arrived.
var ErrEOF = errors.New("end of file: the other side closed")

// Explain turns an error from this package into a sentence a student can
// read, and the C name of the errno behind it ("EAGAIN"), if any. Callers put
// both in an error event.
func Explain(err error) (text, errno string) {
	if err == nil {
		return "", ""
	}
	var se *os.SyscallError
	call := ""
	if errors.As(err, &se) {
		call = se.Syscall
	}
	var en unix.Errno
	if !errors.As(err, &en) {
		return err.Error(), ""
	}
	errno = unix.ErrnoName(en)
	if s, ok := callWords[call][en]; ok {
		return fmt.Sprintf("%s failed: %s", call, s), errno
	}
	if s, ok := plainWords[en]; ok {
		if call != "" {
			return fmt.Sprintf("%s failed: %s", call, s), errno
		}
		return s, errno
	}
	return err.Error(), errno
}

// plainWords says what each errno usually means in the calls this package
// makes. Limits-specific messages (queue sizes and so on) are built where the
// limit is known; these are the general ones.
var plainWords = map[unix.Errno]string{
	unix.EPIPE:        "nobody is reading any more: the read end is closed (EPIPE)",
	unix.EAGAIN:       "the call would have to wait, and it was asked not to (EAGAIN)",
	unix.EEXIST:       "an object with that name already exists (EEXIST)",
	unix.ENOENT:       "no object with that name exists (ENOENT)",
	unix.EACCES:       "permission denied on the object (EACCES)",
	unix.EPERM:        "the operation is not permitted for an ordinary user (EPERM)",
	unix.EINVAL:       "the kernel refused an argument: a size or flag out of range (EINVAL)",
	unix.EMSGSIZE:     "the message is larger than the queue or socket accepts (EMSGSIZE)",
	unix.EMFILE:       "a per-process or per-user limit on these objects was reached (EMFILE)",
	unix.ENOSPC:       "a system-wide limit on these objects was reached (ENOSPC)",
	unix.ENOMEM:       "the kernel is out of memory for this object (ENOMEM)",
	unix.EIDRM:        "the object was removed while the call waited (EIDRM)",
	unix.ETIMEDOUT:    "the call waited as long as it was allowed and gave up (ETIMEDOUT)",
	unix.ECONNREFUSED: "nobody is listening at that address (ECONNREFUSED)",
	unix.ECONNRESET:   "the other side closed the connection abruptly (ECONNRESET)",
	unix.ENOMSG:       "no message of the requested type is waiting (ENOMSG)",
	unix.EDEADLK:      "the kernel saw that waiting here would deadlock (EDEADLK)",
	unix.ESRCH:        "no such process: it has already exited (ESRCH)",
	unix.ENXIO:        "nobody has the FIFO open for reading, and the open was told not to wait (ENXIO)",
	unix.E2BIG:        "the message is larger than the buffer given to receive it (E2BIG)",
	unix.EADDRINUSE:   "that address is taken: a socket is bound there, or its file was left behind (EADDRINUSE)",
	unix.ENAMETOOLONG: "the path is too long for a socket address (ENAMETOOLONG)",
	unix.ENOTCONN:     "the socket is not connected to anyone (ENOTCONN)",
	unix.EAFNOSUPPORT: "that kind of address is not offered here: only Unix and IPv4 loopback (EAFNOSUPPORT)",
	unix.EOVERFLOW:    "the semaphore is already at its largest value (EOVERFLOW)",
	unix.ERANGE:       "the operation would take the semaphore past its largest value (ERANGE)",
	unix.EFBIG:        "there is no semaphore with that number in the set (EFBIG)",
}

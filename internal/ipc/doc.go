// Package ipc holds thin, documented wrappers over golang.org/x/sys/unix for
// every inter-process communication mechanism the playground shows, and the
// calls that read each kernel object's live state (bytes in a pipe, messages
// in a queue, a semaphore's value and waiters).
//
// Conventions of this package:
//   - one function per syscall, with the C prototype from its man page in the
//     comment;
//   - errors are *os.SyscallError values, so callers can write
//     errors.Is(err, unix.EAGAIN); EINTR is retried inside the wrapper;
//   - every use of package unsafe lives in files named *_unsafe.go;
//   - a function that returns a descriptor says who owns it.
//
// Only this package makes raw syscalls.
package ipc

package ipc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A file mapped past its end faults on the pages beyond it, as a tmpfs page
// that cannot be found does: CopyGuarded returns an error where copy would
// end the program.
func TestCopyGuardedTurnsAFaultIntoAnError(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "short")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := os.Getpagesize()
	if err := f.Truncate(int64(page)); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, 2*page, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)

	dst := make([]byte, 64)
	if n, err := CopyGuarded(dst, mem[:64]); err != nil || n != 64 {
		t.Fatalf("copy of the first page: %d, %v; want 64, nil", n, err)
	}
	n, err := CopyGuarded(dst, mem[page:page+64])
	if !errors.Is(err, ErrFault) || n != 0 {
		t.Fatalf("copy past the end of the file: %d, %v; want 0 and ErrFault", n, err)
	}
}

func TestReadShmAt(t *testing.T) {
	name := fmt.Sprintf("/ipcpg-test.read.%d", os.Getpid())
	seg, err := CreateShmSegment(name, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer ShmUnlink(name)
	defer seg.Close()
	copy(seg.Bytes(), "hello")

	b := make([]byte, 8)
	n, err := ReadShmAt(name, b)
	if err != nil || n != 8 || !bytes.Equal(b, []byte("hello\x00\x00\x00")) {
		t.Fatalf("ReadShmAt = %d, %q, %v; want 8, hello and zeros", n, b, err)
	}
	if _, err := ReadShmAt(name+"x", b); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("ReadShmAt of a missing object: %v, want ENOENT", err)
	}
	// The creator reserved every page: the file system counts them.
	var st unix.Stat_t
	if err := unix.Stat(shmDir+name[1:], &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 < 4096 {
		t.Fatalf("the segment has %d bytes of pages behind it, want 4096: creation must reserve them", st.Blocks*512)
	}
}

func TestReadSysvShm(t *testing.T) {
	id, err := Shmget(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer ShmRemove(id)
	seg, err := AttachSysvSegment(id)
	if err != nil {
		t.Fatal(err)
	}
	copy(seg.Bytes(), "sysv")
	seg.Close()
	b := make([]byte, 4)
	if n, err := ReadSysvShm(id, b); err != nil || n != 4 || string(b) != "sysv" {
		t.Fatalf("ReadSysvShm = %d, %q, %v", n, b, err)
	}
}

package scenario

import "testing"

// The filler is copied in runs; it must be the byte-by-byte definition.
func TestFillPayload(t *testing.T) {
	for _, size := range []int{headerLen, headerLen + 1, 64, 100, 4096, 65536} {
		for _, msg := range []int64{0, 1, 25, 26, 12345, 1 << 40} {
			b := make([]byte, size)
			fillPayload(b, msg)
			if id, _ := payloadID(b); id != msg {
				t.Fatalf("size %d: id %d, want %d", size, id, msg)
			}
			for i := headerLen; i < size; i++ {
				if want := 'a' + byte((int64(i)+msg)%26); b[i] != want {
					t.Fatalf("size %d msg %d byte %d: %q, want %q", size, msg, i, b[i], want)
				}
			}
		}
	}
}

package event

import "testing"

func TestKindOf(t *testing.T) {
	for _, c := range []struct{ label, kind string }{
		{Label(ObjKindMq, "/ipcpg.1.s1.q"), ObjKindMq},
		{"tcp:127.0.0.1:40123", ObjKindTCP},
		{"sem:0x4000abcd#1", ObjKindSem},
		{"unix:/tmp/x/s.sock", ObjKindUnix},
		{"futex:start", ObjKindFutex},
		{"pipe:1", ObjKindPipe},
		{"tape:1", ""},
		{"pipe", ""},
		{"", ""},
	} {
		if got := KindOf(c.label); got != c.kind {
			t.Errorf("KindOf(%q) = %q, want %q", c.label, got, c.kind)
		}
	}
}

package runner

import (
	"testing"

	"github.com/ipc-playground/ipc-playground/internal/scenario"
)

// Every kind of object a plan may list has its entry: a title, a way to
// remove it, and a reading where the server can reach it by name or key.
func TestObjKindsAreComplete(t *testing.T) {
	for _, c := range []struct {
		kind     string
		readable bool
	}{
		{scenario.ObjPipe, false}, {scenario.ObjFIFO, false}, {scenario.ObjSocketDir, false},
		{scenario.ObjMqPosix, true}, {scenario.ObjMsgSysV, true}, {scenario.ObjShmPosix, true},
		{scenario.ObjShmSysV, true}, {scenario.ObjSemSysV, true},
	} {
		k, ok := objKinds[c.kind]
		switch {
		case !ok:
			t.Errorf("%s: no entry", c.kind)
		case k.title == "" || k.remove == nil:
			t.Errorf("%s: title %q, remove set %v", c.kind, k.title, k.remove != nil)
		case (k.sample != nil) != c.readable:
			t.Errorf("%s: sampled %v, want %v", c.kind, k.sample != nil, c.readable)
		}
	}
	if len(objKinds) != 8 {
		t.Errorf("%d kinds registered, the test knows 8: add the new one above", len(objKinds))
	}
}

// Objects already gone, or never made, are no error to remove; an unknown
// kind is.
func TestRemoveObjectGoneOrUnknown(t *testing.T) {
	for _, o := range []scenario.Object{
		{Kind: scenario.ObjMqPosix, Label: "mq:/x", Name: "/ipcpg.test-never-made"},
		{Kind: scenario.ObjMsgSysV, Label: "msg:0x1", Key: 0},
		{Kind: scenario.ObjFIFO, Label: "fifo:/nowhere", Name: t.TempDir() + "/never-made"},
		{Kind: scenario.ObjPipe, Label: "pipe:1"},
	} {
		if ok, err := removeObject(o); ok || err != nil {
			t.Errorf("%s: removed %v, err %v; want neither", o.Label, ok, err)
		}
	}
	if _, err := removeObject(scenario.Object{Kind: "tape", Label: "tape:1"}); err == nil {
		t.Error("an unknown kind was removed without an error")
	}
}

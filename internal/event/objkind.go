package event

import "strings"

// The kinds of kernel object an event's obj may name, sent with it as
// obj_kind: what the page draws it as and how a tool should read it. An
// object's label is its kind, a colon and the object's own name
// ("mq:/ipcpg.1.s1.q", "tcp:127.0.0.1:40123"); Label makes one, and the
// server fills obj_kind from it once, as it logs the event.
const (
	ObjKindPipe  = "pipe"  // an anonymous pipe: "pipe:1"
	ObjKindFIFO  = "fifo"  // a named pipe, by its file's base name
	ObjKindMq    = "mq"    // a POSIX message queue, by its name
	ObjKindMsg   = "msg"   // a System V message queue, by its key
	ObjKindShm   = "shm"   // shared memory: a POSIX name or a System V key
	ObjKindSem   = "sem"   // a System V semaphore (set), by its key; "#n" for one of a set
	ObjKindFutex = "futex" // a futex word in shared memory, by its role
	ObjKindUnix  = "unix"  // a Unix socket, by its path
	ObjKindTCP   = "tcp"   // a TCP port on loopback, by its address
	ObjKindUDP   = "udp"   // a UDP port on loopback, by its address
)

// objKinds lists every kind, for KindOf.
var objKinds = [...]string{ObjKindPipe, ObjKindFIFO, ObjKindMq, ObjKindMsg, ObjKindShm, ObjKindSem, ObjKindFutex,
	ObjKindUnix, ObjKindTCP, ObjKindUDP}

// Label names an object of a kind.
func Label(kind, name string) string { return kind + ":" + name }

// KindOf is the kind of the object a label names, or "" for a label no
// kind makes.
func KindOf(label string) string {
	k, _, ok := strings.Cut(label, ":")
	if !ok {
		return ""
	}
	for _, x := range objKinds {
		if x == k {
			return x
		}
	}
	return ""
}

package ipc

import "golang.org/x/sys/unix"

// MqLimits are the kernel's limits on POSIX message queues, as an ordinary
// user meets them. A process with CAP_SYS_RESOURCE (root) may create
// queues past MsgMax and MsgsizeMax, up to hard maxima of 65536 messages
// and 16 MiB, and past QueuesMax.
type MqLimits struct {
	MsgMax         int    // most messages one queue may hold (fs.mqueue.msg_max)
	MsgsizeMax     int    // largest message size (fs.mqueue.msgsize_max)
	MsgDefault     int    // Maxmsg of a queue created with nil attributes
	MsgsizeDefault int    // Msgsize of a queue created with nil attributes
	QueuesMax      int    // queues in the whole system (fs.mqueue.queues_max)
	UserBytes      uint64 // memory one user's queues may take in all (RLIMIT_MSGQUEUE); unix.RLIM_INFINITY if unlimited
}

// ReadMqLimits reads the limits from /proc/sys/fs/mqueue and this process's
// RLIMIT_MSGQUEUE.
func ReadMqLimits() (MqLimits, error) {
	var l MqLimits
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"msg_max", &l.MsgMax}, {"msgsize_max", &l.MsgsizeMax}, {"queues_max", &l.QueuesMax},
		{"msg_default", &l.MsgDefault}, {"msgsize_default", &l.MsgsizeDefault},
	} {
		n, err := readProcSysInt("/proc/sys/fs/mqueue/" + f.name)
		if err != nil {
			return MqLimits{}, err
		}
		*f.dst = int(n)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl); err != nil {
		return MqLimits{}, syscallErr("getrlimit RLIMIT_MSGQUEUE", err)
	}
	l.UserBytes = rl.Cur
	return l, nil
}

// Check says in words why a queue of maxmsg messages of msgsize bytes
// cannot be created under these limits, or returns nil if it can. The error
// is a *LimitError. It checks one queue against the user's whole memory
// allowance; queues the user already has take their share of it too.
func (l MqLimits) Check(maxmsg, msgsize int) error {
	switch {
	case maxmsg < 1:
		return &LimitError{Limit: "mq_maxmsg", Max: int64(l.MsgMax), Text: "a queue must hold at least 1 message"}
	case maxmsg > l.MsgMax:
		return limitErr("fs.mqueue.msg_max", int64(l.MsgMax), "the queue holds at most %d messages", l.MsgMax)
	case msgsize < 1:
		return &LimitError{Limit: "mq_msgsize", Max: int64(l.MsgsizeMax), Text: "a message must be allowed at least 1 byte"}
	case msgsize > l.MsgsizeMax:
		return limitErr("fs.mqueue.msgsize_max", int64(l.MsgsizeMax), "a message may be at most %d bytes", l.MsgsizeMax)
	}
	if cost := MqCost(maxmsg, msgsize); uint64(cost) > l.UserBytes {
		return limitErr("RLIMIT_MSGQUEUE", int64(l.UserBytes),
			"a queue of %d messages of %d bytes takes %d bytes of kernel memory, more than the %d one user may hold in all queues",
			maxmsg, msgsize, cost, l.UserBytes)
	}
	return nil
}

// Sizes of kernel-internal structures on 64-bit Linux, charged per message
// slot of a POSIX queue.
const (
	sizeofMsgMsg        = 48 // struct msg_msg: the header of every message
	sizeofPosixTreeNode = 48 // struct posix_msg_tree_node: one per priority in use
)

// MqCost is the number of bytes a queue of maxmsg messages of msgsize bytes
// counts against its creator's RLIMIT_MSGQUEUE from creation until it is
// removed, whether or not it holds messages. Since Linux 3.5 (getrlimit(2)):
//
//	bytes = maxmsg * sizeof(struct msg_msg)
//	      + min(maxmsg, MQ_PRIO_MAX) * sizeof(struct posix_msg_tree_node)
//	      + maxmsg * msgsize
//
// with both structures 48 bytes on 64-bit Linux. A default queue (10
// messages of 8192 bytes) costs 82,880 bytes, so the default allowance of
// 819,200 bytes fits nine; the tenth mq_open fails with EMFILE.
func MqCost(maxmsg, msgsize int) int {
	return maxmsg*sizeofMsgMsg + min(maxmsg, MqPrioMax)*sizeofPosixTreeNode + maxmsg*msgsize
}

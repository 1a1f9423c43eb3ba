package scenario

import (
	"os"
	"strconv"
	"strings"
)

// ReadLimits reads the kernel limits that bound parameters. A limit it
// cannot read stays 0, which the checks treat as unknown.
func ReadLimits() Limits {
	return Limits{
		PipeMaxSize: readInt("/proc/sys/fs/pipe-max-size"),
		MqMsgMax:    readInt("/proc/sys/fs/mqueue/msg_max"),
		MqMsgsize:   readInt("/proc/sys/fs/mqueue/msgsize_max"),
		MsgMax:      readInt("/proc/sys/kernel/msgmax"),
		MsgMnb:      readInt("/proc/sys/kernel/msgmnb"),
	}
}

func readInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return n
}

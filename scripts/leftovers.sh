#!/usr/bin/env bash
# Removes the POSIX IPC objects that the playground's servers and tests made
# and that outlived the process that made them: message queues and shared
# memory segments named /ipcpg.PID-... (a server's instance) or /ipct-PID-...
# (the ipc package's tests), whose PID no longer runs. A server cleans up
# after itself, and after a crashed predecessor that used the same state
# directory; this is for what killed test binaries left in directories no
# one will sweep. It prints how many it removed.
set -uo pipefail

dead() { # dead NAME: whether the pid in NAME no longer runs
	local pid=${1#ipcpg.}
	pid=${pid#ipct-}
	pid=${pid%%[-.]*}
	[[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && [[ ! -d /proc/$pid ]]
}

removed=0
sweep_dir() { # sweep_dir DIR
	local f
	for f in "$1"/ipcpg.* "$1"/ipct-*; do
		[[ -e $f ]] || continue
		if dead "$(basename "$f")" && rm -f "$f"; then
			removed=$((removed + 1))
		fi
	done
}

sweep_dir /dev/shm

# The queues can be listed only through an mqueue file system; mount one
# for the while if none is mounted (this needs root; without it, skip).
mq=$(awk '$3 == "mqueue" {print $2; exit}' /proc/mounts)
own=
if [[ -z $mq ]]; then
	own=$(mktemp -d)
	if mount -t mqueue none "$own" 2>/dev/null; then
		mq=$own
	fi
fi
[[ -n $mq ]] && sweep_dir "$mq"
if [[ -n $own ]]; then
	[[ $mq == "$own" ]] && umount "$own"
	rmdir "$own"
fi
echo "leftovers: removed $removed stale IPC objects"

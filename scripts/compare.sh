#!/usr/bin/env bash
# compare.sh: the `bench` command's figures beside the C yardstick's for the
# same calls, measured in the same run, with the ratios.
#
# For every mechanism, mode and size it runs the C program (cbench.c) and
# `ipc-playground bench` for the same cell in turn, RUNS times each,
# rotating which goes first, and prints a Markdown table of the medians and
# the Go/C time ratio (in bold when over 1.3). Both programs' two processes
# run on one CPU: the C program under taskset, the bench command's children
# pinned by the command itself (-cpu), so that the Go processes start with
# the machine's CPU count as GOMAXPROCS, as the playground's workers do.
#
# Usage: scripts/compare.sh [-q] [FILTER]
#   -q       quick: 3 runs each and a fifth of the messages
#   FILTER   an extended regular expression matched against "mech/mode/size"
#            in the bench command's names, e.g. 'pipe|shm' or '/rtt/64$'
# Environment:
#   CBENCH_SRC  the C program's source (default ../shared/bench/cbench.c,
#               relative to the repository root)
#   RUNS        runs of each side per cell (default 5; 3 with -q)
#   BENCH_CPU   the CPU both processes of both sides run on (default 0)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/yardstick.sh"
yardstick_setup compare.sh go jq -- "$@"
(cd "$root" && go build -o "$tmp/ipc-playground" ./cmd/server)

# The cells, in the bench command's terms: mechanism, mode, size; those the
# command refuses (queues over 8 KiB, UDP over 65,507 bytes, no stream for
# one-slot or lossy mechanisms, signals only at 64 B) are left out.
cells() {
	local m s
	for m in pipe fifo pmq smq shmfutex shmsem unix unixdgram tcp udp signal; do
		for s in 64 4096 65536; do
			[[ $s == 65536 && $m =~ ^(udp|pmq|smq)$ ]] && continue
			[[ $s != 64 && $m == signal ]] && continue
			echo "$m rtt $s"
		done
	done
	for m in pipe fifo pmq smq shmfutex unix unixdgram tcp; do
		for s in 64 4096 65536; do
			[[ $s == 65536 && $m =~ ^(pmq|smq)$ ]] && continue
			echo "$m stream $s"
		done
	done
}

# run_go MECH MODE SIZE COUNT prints the bench command's figure in the same
# unit, from one timed repetition, as the C program makes one.
run_go() {
	"$tmp/ipc-playground" bench -json -cpu "$cpu" -reps 1 -mech "$1" -mode "$2" -sizes "$3" -count "$4" 2>/dev/null |
		jq -r --arg mode "$2" '.results[0] | if $mode == "rtt" then .rtt_p50_ns / 1000 else .msgs_per_s end'
}

pick_cells compare.sh "$filter"
echo "compare.sh: $ncells cells, $runs runs of C and of the bench command each, all on CPU $cpu" >&2

echo "| mechanism | mode | size | C | bench command | Go/C |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
over=0
compared=0
while read -r m mode s; do
	n=$(count "$mode" "$s")
	: >"$tmp/c"
	: >"$tmp/go"
	for ((i = 0; i < runs; i++)); do
		# Rotate which side goes first, so a slow spell falls on both.
		if ((i % 2)); then
			run_go "$m" "$mode" "$s" "$n" >>"$tmp/go"
			run_c "$m" "$mode" "$s" "$n" >>"$tmp/c"
		else
			run_c "$m" "$mode" "$s" "$n" >>"$tmp/c"
			run_go "$m" "$mode" "$s" "$n" >>"$tmp/go"
		fi
	done
	g=$(median <"$tmp/go") || { echo "compare.sh: the bench command failed for $m $mode $s" >&2; exit 1; }
	if c=$(median <"$tmp/c"); then
		r=$(ratio "$mode" "$c" "$g")
		compared=$((compared + 1))
		[[ $r == \** ]] && over=$((over + 1))
		echo "| $m | $mode | $s | $(fmt_fig "$mode" "$c") | $(fmt_fig "$mode" "$g") | $r |"
	else
		echo "| $m | $mode | $s | - | $(fmt_fig "$mode" "$g") | - |"
	fi
done <"$tmp/cells"
echo
echo "Medians of $runs runs each; rtt: median round trip; stream: messages per second one way."
echo "Go/C: the bench command's time over C's (for streams, C's throughput over Go's); in bold when over 1.3."
echo "Both processes of each side on CPU $cpu; $(nproc --all) CPUs, Linux $(uname -r)."
echo "Cells over 1.3: $over of $compared."

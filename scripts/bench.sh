#!/usr/bin/env bash
# bench.sh: the cost of each IPC mechanism through the playground's Go
# wrappers, side by side with a small C program making the same system
# calls, on this machine, in the same run.
#
# For every mechanism, mode and size it runs the C program and the two Go
# benchmarks in internal/ipc in turn, RUNS times each, all pinned to one
# CPU with taskset, and prints a Markdown table of the medians with the
# Go/C time ratios. Ratios over 1.3 are marked. The Go benchmarks are
# BenchmarkIPC, the playground's own path (every call tried without
# waiting first, the blocking call only when the kernel says it would
# block), and BenchmarkIPCBlocking (the blocking calls only, as in C).
#
# Usage: scripts/bench.sh [-q] [FILTER]
#   -q       quick: 3 runs each and a fifth of the messages (about 2 minutes)
#   FILTER   an extended regular expression matched against "mech/mode/size",
#            e.g. 'pipe|fifo' or '/pp/64$'
# Environment:
#   CBENCH_SRC  the C program's source (default ../shared/bench/cbench.c,
#               relative to the repository root)
#   RUNS        runs of each side per cell (default 5; 3 with -q)
#   BENCH_CPU   the CPU both processes of both sides are pinned to (default 0)
#   GO_PROCS    GOMAXPROCS of the Go processes (default: the machine's CPU
#               count, nproc --all, which is what the playground's workers
#               get; pinned to one CPU, the runtime would otherwise pick 1).
#               Empty: leave it to the runtime.
#   IPC_BENCH_SHARED_FDS  set (to anything) to make the Go side's timed
#               calls on the process's shared descriptor table instead of a
#               thread's own copy (see ownFdTable in internal/ipc), to see
#               what sharing it costs.
#   IPC_BENCH_NO_YIELD  set (to anything) to keep the Go side's timed loops
#               from yielding to the Go scheduler every 2 ms (see yielder in
#               internal/ipc), to see what the runtime's system monitor
#               costs a goroutine that never yields.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/yardstick.sh"
yardstick_setup bench.sh go -- "$@"
goprocs=${GO_PROCS-$(nproc --all)}
(cd "$root" && go test -c -o "$tmp/ipc.test" ./internal/ipc)

# The cells, in the C program's terms: mechanism, mode, size. The same
# exclusions as the C program's: no 64 KiB UDP datagrams or POSIX and
# System V messages (the kernel's limits are 64 KiB and 8 KiB), no stream
# where only one message is held at a time, and signals carry no payload.
cells() {
	local m s
	for m in pipe fifo unix tcp udp pmq smq shmfutex shmsem; do
		for s in 64 4096 65536; do
			[[ $s == 65536 && $m =~ ^(udp|pmq|smq)$ ]] && continue
			echo "$m pp $s"
		done
	done
	echo "signal pp 64"
	for m in pipe fifo unix tcp pmq smq shmfutex; do
		for s in 64 4096 65536; do
			[[ $s == 65536 && $m =~ ^(pmq|smq)$ ]] && continue
			echo "$m stream $s"
		done
	done
}

# run_go BENCH MECH MODE SIZE COUNT prints the figure of Go benchmark
# BENCH, in the same unit.
run_go() {
	local unit=p50-us/op
	[[ $3 == stream ]] && unit=msg/s
	env ${goprocs:+GOMAXPROCS=$goprocs} taskset -c "$cpu" "$tmp/ipc.test" -test.run '^$' -test.count 1 \
		-test.bench "^$1\$/^$2\$/^$3\$/^$4\$" -test.benchtime "${5}x" |
		awk -v u="$unit" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == u) print $(i - 1) }'
}

pick_cells bench.sh "$filter"
echo "bench.sh: $ncells cells, $runs runs of C and of each Go path, all pinned to CPU $cpu (taskset -c $cpu)" >&2

# run_side I M MODE S N runs side I (0: C, 1: Go try first, 2: Go blocking)
# once, appending its figure to its file.
run_side() {
	case $1 in
	0) run_c "$2" "$3" "$4" "$5" >>"$tmp/c" ;;
	1) run_go BenchmarkIPC "$2" "$3" "$4" "$5" >>"$tmp/try" ;;
	2) run_go BenchmarkIPCBlocking "$2" "$3" "$4" "$5" >>"$tmp/block" ;;
	esac
}

{
	echo "| mechanism | mode | size | C | Go, try first | Go/C | Go, blocking only | Go/C |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
}
over_try=0
over_block=0
while read -r m mode s; do
	n=$(count "$mode" "$s")
	: >"$tmp/c"
	: >"$tmp/try"
	: >"$tmp/block"
	for ((i = 0; i < runs; i++)); do
		# Rotate which side goes first, so a slow spell on the machine
		# falls on all three.
		for j in 0 1 2; do
			run_side $(((i + j) % 3)) "$m" "$mode" "$s" "$n"
		done
	done
	c=$(median <"$tmp/c") || { echo "bench.sh: C failed for $m $mode $s" >&2; exit 1; }
	gt=$(median <"$tmp/try") || { echo "bench.sh: Go (try first) failed for $m $mode $s" >&2; exit 1; }
	gb=$(median <"$tmp/block") || { echo "bench.sh: Go (blocking) failed for $m $mode $s" >&2; exit 1; }
	rt=$(ratio "$mode" "$c" "$gt")
	rb=$(ratio "$mode" "$c" "$gb")
	[[ $rt == \** ]] && over_try=$((over_try + 1))
	[[ $rb == \** ]] && over_block=$((over_block + 1))
	echo "| $m | $mode | $s | $(fmt_fig "$mode" "$c") | $(fmt_fig "$mode" "$gt") | $rt | $(fmt_fig "$mode" "$gb") | $rb |"
done <"$tmp/cells"
echo
echo "Medians of $runs runs each; pp: median round trip; stream: messages per second one way."
echo "Go/C: Go's time over C's (for streams, C's throughput over Go's); in bold when over 1.3."
echo "All processes pinned to CPU $cpu (taskset -c $cpu); Go with GOMAXPROCS=${goprocs:-unset}; $(nproc --all) CPUs, Linux $(uname -r)."
echo "Cells over 1.3: try first $over_try of $ncells, blocking only $over_block of $ncells."

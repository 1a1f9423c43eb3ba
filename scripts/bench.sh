#!/usr/bin/env bash
# bench.sh: the cost of each IPC mechanism through the playground's Go
# wrappers, side by side with a small C program making the same system
# calls, on this machine, in the same run.
#
# For every mechanism, mode and size it runs the C program and the Go
# benchmark (BenchmarkIPC in internal/ipc) alternately, RUNS times each,
# both pinned to one CPU with taskset, and prints a Markdown table of the
# medians with the Go/C time ratio. Ratios over 1.3 are marked.
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
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
if [[ ${1:-} == -q ]]; then
	quick=1
	shift
fi
filter=${1:-.}
src=${CBENCH_SRC:-$root/../shared/bench/cbench.c}
runs=${RUNS:-$((quick ? 3 : 5))}
cpu=${BENCH_CPU:-0}

for tool in gcc go taskset awk sort; do
	command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed" >&2; exit 1; }
done
[[ -r $src ]] || { echo "bench.sh: no C program at $src (set CBENCH_SRC)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/cbench" "$src"
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

# count MODE SIZE: messages per run, enough for a few hundred milliseconds.
count() {
	local n
	case $1/$2 in
	pp/*) n=10000 ;;
	stream/64) n=200000 ;;
	stream/4096) n=100000 ;;
	stream/65536) n=20000 ;;
	esac
	echo $((quick ? n / 5 : n))
}

# run_c MECH MODE SIZE COUNT prints the C figure: the median round trip in
# microseconds (pp) or messages per second (stream).
run_c() {
	local key=p50_us
	[[ $2 == stream ]] && key=msg_s
	taskset -c "$cpu" "$tmp/cbench" "$1" "$2" "$3" "$4" |
		awk -v k="$key" '/^RESULT/ { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'
}

# run_go MECH MODE SIZE COUNT prints the Go figure, in the same unit.
run_go() {
	local unit=p50-us/op
	[[ $2 == stream ]] && unit=msg/s
	taskset -c "$cpu" "$tmp/ipc.test" -test.run '^$' -test.count 1 \
		-test.bench "^BenchmarkIPC\$/^$1\$/^$2\$/^$3\$" -test.benchtime "${4}x" |
		awk -v u="$unit" '/^BenchmarkIPC\// { for (i = 2; i <= NF; i++) if ($i == u) print $(i - 1) }'
}

# median of the numbers on standard input (the mean of the middle two for
# an even count).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

# fmt_fig MODE VALUE: "7.70 µs" or "1.19 M msg/s".
fmt_fig() {
	awk -v mode="$1" -v v="$2" 'BEGIN {
		if (mode == "pp") printf "%.1f µs", v
		else if (v >= 1e6) printf "%.2f M msg/s", v / 1e6
		else printf "%.0f k msg/s", v / 1e3
	}'
}

cells | while read -r m mode s; do
	if [[ "$m/$mode/$s" =~ $filter ]]; then echo "$m $mode $s"; fi
done >"$tmp/cells"
ncells=$(wc -l <"$tmp/cells")
[[ $ncells -gt 0 ]] || { echo "bench.sh: no cell matches $filter" >&2; exit 1; }
echo "bench.sh: $ncells cells, $runs runs of C and Go each, both pinned to CPU $cpu (taskset -c $cpu)" >&2

{
	echo "| mechanism | mode | size | C | Go | Go/C time |"
	echo "| --- | --- | ---: | ---: | ---: | ---: |"
}
over=0
while read -r m mode s; do
	n=$(count "$mode" "$s")
	: >"$tmp/c"
	: >"$tmp/go"
	for ((i = 0; i < runs; i++)); do
		# Alternate which side goes first, so a slow spell on the
		# machine falls on both.
		if ((i % 2 == 0)); then
			run_c "$m" "$mode" "$s" "$n" >>"$tmp/c"
			run_go "$m" "$mode" "$s" "$n" >>"$tmp/go"
		else
			run_go "$m" "$mode" "$s" "$n" >>"$tmp/go"
			run_c "$m" "$mode" "$s" "$n" >>"$tmp/c"
		fi
	done
	c=$(median <"$tmp/c") || { echo "bench.sh: C failed for $m $mode $s" >&2; exit 1; }
	g=$(median <"$tmp/go") || { echo "bench.sh: Go failed for $m $mode $s" >&2; exit 1; }
	# A time ratio either way: round trip over round trip, or C's
	# throughput over Go's.
	if [[ $mode == pp ]]; then
		ratio=$(awk -v c="$c" -v g="$g" 'BEGIN { printf "%.2f", g / c }')
	else
		ratio=$(awk -v c="$c" -v g="$g" 'BEGIN { printf "%.2f", c / g }')
	fi
	mark=$ratio
	if awk -v r="$ratio" 'BEGIN { exit !(r > 1.3) }'; then
		mark="**$ratio** (over 1.3)"
		over=$((over + 1))
	fi
	echo "| $m | $mode | $s | $(fmt_fig "$mode" "$c") | $(fmt_fig "$mode" "$g") | $mark |"
done <"$tmp/cells"
echo
echo "Medians of $runs runs each; pp: median round trip; stream: messages per second one way."
echo "Both processes of both sides pinned to CPU $cpu (taskset -c $cpu); $(nproc) CPUs, Linux $(uname -r)."
echo "Cells over 1.3: $over of $ncells."

# yardstick.sh: what scripts/bench.sh and scripts/compare.sh share to set
# the C yardstick (cbench.c) beside a Go figure: messages per cell, the C
# program's figure, medians, formatting and the ratio. Sourced, not run.
# A mode is "stream" or a round trip (bench.sh says "pp", compare.sh
# "rtt").

# yardstick_setup NAME TOOLS -- ARGS reads the scripts' common arguments
# ([-q] [FILTER]) and environment (CBENCH_SRC, RUNS, BENCH_CPU) into quick,
# filter, src, runs and cpu, checks that TOOLS are installed, and builds the
# C program into tmp, a directory removed at exit. Errors are said in
# NAME's name.
yardstick_setup() {
	local name=$1 tool
	shift
	local tools=()
	while [[ $1 != -- ]]; do tools+=("$1"); shift; done
	shift
	quick=0
	if [[ ${1:-} == -q ]]; then
		quick=1
		shift
	fi
	filter=${1:-.}
	src=${CBENCH_SRC:-$root/../shared/bench/cbench.c}
	runs=${RUNS:-$((quick ? 3 : 5))}
	cpu=${BENCH_CPU:-0}
	for tool in gcc taskset awk sort "${tools[@]}"; do
		command -v "$tool" >/dev/null || { echo "$name: $tool is needed" >&2; exit 1; }
	done
	[[ -r $src ]] || { echo "$name: no C program at $src (set CBENCH_SRC)" >&2; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	gcc -O2 -o "$tmp/cbench" "$src"
}

# count MODE SIZE: messages per run, enough for a few hundred milliseconds.
count() {
	local n=10000
	case $1/$2 in
	stream/64) n=200000 ;;
	stream/4096) n=100000 ;;
	stream/65536) n=20000 ;;
	esac
	echo $((quick ? n / 5 : n))
}

# run_c MECH MODE SIZE COUNT prints the C figure: the median round trip in
# microseconds or messages per second (stream). The C program has no Unix
# datagram socket: nothing is printed for it.
run_c() {
	local key=p50_us mode=pp
	[[ $1 == unixdgram ]] && return 0
	[[ $2 == stream ]] && key=msg_s mode=stream
	taskset -c "$cpu" "$tmp/cbench" "$1" "$mode" "$3" "$4" |
		awk -v k="$key" '/^RESULT/ { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'
}

# median of the numbers on standard input (the mean of the middle two for
# an even count).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

# fmt_fig MODE VALUE: "7.70 µs" or "1.19 M msg/s".
fmt_fig() {
	awk -v mode="$1" -v v="$2" 'BEGIN {
		if (mode != "stream") printf "%.1f µs", v
		else if (v >= 1e6) printf "%.2f M msg/s", v / 1e6
		else printf "%.0f k msg/s", v / 1e3
	}'
}

# ratio MODE C GO: Go's time over C's, in bold when over 1.3. For a round
# trip that is the ratio of the median round trips; for a stream, C's
# throughput over Go's.
ratio() {
	local r
	if [[ $1 != stream ]]; then
		r=$(awk -v c="$2" -v g="$3" 'BEGIN { printf "%.2f", g / c }')
	else
		r=$(awk -v c="$2" -v g="$3" 'BEGIN { printf "%.2f", c / g }')
	fi
	if awk -v r="$r" 'BEGIN { exit !(r > 1.3) }'; then
		echo "**$r**"
	else
		echo "$r"
	fi
}

# pick_cells NAME FILTER writes the cells (from the caller's cells
# function) whose "mech/mode/size" matches FILTER to $tmp/cells, one a
# line, and sets ncells; none is an error, said in NAME's name.
pick_cells() {
	cells | while read -r m mode s; do
		if [[ "$m/$mode/$s" =~ $2 ]]; then echo "$m $mode $s"; fi
	done >"$tmp/cells"
	ncells=$(wc -l <"$tmp/cells")
	[[ $ncells -gt 0 ]] || { echo "$1: no cell matches $2" >&2; exit 1; }
}

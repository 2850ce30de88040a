#!/usr/bin/env bash
# bench.sh - `make bench`: wall time, peak RSS and trace size of each workload natively, under
# libleak (full tracking and LEAK_SAMPLE sampling), heaptrack (record + interpret), valgrind
# memcheck and massif, and under bench/unw_only.c (one unw_backtrace per allocation, nothing
# recorded: the floor of a libunwind-based profiler), with runs interleaved (native full sampled
# heaptrack memcheck massif unwind, then again, ...) so that the ratios compare runs made
# seconds apart on a machine other people share. Then times leak-report on a synthetic
# one-hour trace (bench/gen_trace.c). Prints a markdown table and writes it to
# $BUILD/bench/results.md (raw runs: raw.tsv beside it).
#
# Environment:
#   BUILD                  build directory (default build)
#   BENCH_ROUNDS           interleaved rounds (default 5)
#   BENCH_MEMCHECK_ROUNDS  memcheck and massif run only in the first N rounds (default 3; 10-90x)
#   BENCH_MEMCHECK_LIMIT   CPU seconds; a workload whose memcheck or massif run takes more is
#                          marked skip for that tool (40)
#   BENCH_TIME_LIMIT       seconds; start no new round after this long (default 0: no limit)
#   BENCH_QUICK=1          1 round, small inputs, no heaptrack/valgrind/perf: `make check` smoke test
#   BENCH_ONLY             space-separated workload names (default: all)
#   BENCH_EXTRA            runs for the memory/threads/sampling/fork targets (set empty to skip)
#   BENCH_SAMPLE           LEAK_SAMPLE of the sampled column (default 524288)
#   BENCH_OUT              output directory (default $BUILD/bench)
#   BENCH_TIME             GNU time, for peak RSS and CPU time (default /usr/bin/time)
#   BENCH_PERF             1 (default outside quick mode): flat `perf record` of churn_d5 under libleak
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
QUICK=${BENCH_QUICK:-0}
ROUNDS=${BENCH_ROUNDS:-5}
MC_ROUNDS=${BENCH_MEMCHECK_ROUNDS:-3}
MC_LIMIT=${BENCH_MEMCHECK_LIMIT:-40}
SAMPLE=${BENCH_SAMPLE:-524288}
if [ "$QUICK" = 1 ]; then
	ROUNDS=1
fi
OUT=${BENCH_OUT:-$BUILD/bench}
SO=$(realpath -m "$BUILD/libleak.so")
REPORT=$BUILD/leak-report
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/libleak-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log() { printf '%s\n' "$*" >&2; }

# --- build the workloads and tools --------------------------------------------------------
CFLAGS_B=(-std=gnu11 -O2 -g -fomit-frame-pointer -Wall -Wextra -Werror -pthread)
for w in malloc_churn xthread fd_churn fork_thread live_sites; do
	gcc "${CFLAGS_B[@]}" -o "$OUT/$w" "bench/$w.c"
done
gcc "${CFLAGS_B[@]}" -shared -fPIC -o "$OUT/unw_only.so" bench/unw_only.c -lunwind
gcc "${CFLAGS_B[@]}" -Icommon -o "$OUT/gen_trace" bench/gen_trace.c -lzstd
gcc "${CFLAGS_B[@]}" -Icommon -o "$OUT/trace_stats" bench/trace_stats.c -lzstd

# --- inputs -------------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
	CHURN_ROUNDS=20000 XT_OPS=400000 FD_ITERS=3000 FORKS=100 THREADS=400
	PY_SCALE=4000 SQL_ROWS=8000 CSRC_MODULES=3 LIVE_BIG=32 LIVE_SMALL=4
else
	CHURN_ROUNDS=140000 XT_OPS=4000000 FD_ITERS=30000 FORKS=1200 THREADS=4000
	PY_SCALE=30000 SQL_ROWS=80000 CSRC_MODULES=16 LIVE_BIG=128 LIVE_SMALL=16
fi
awk -v n="$SQL_ROWS" -f bench/gen_sql.awk >"$OUT/workload.sql"
awk -v n="$CSRC_MODULES" -f bench/gen_csrc.awk >"$OUT/unit.c"
gcc -E "$OUT/unit.c" -o "$OUT/unit.i"
head -c 4096 /dev/urandom >"$OUT/fd_target.bin"
CC1=$(gcc -print-prog-name=cc1)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || echo python3)
SQLITE3=$(command -v sqlite3 || echo sqlite3)
# Peak RSS and CPU time come from GNU time (Debian package `time`, installed by
# `make deps-bench`); without it those columns are n/a and wall times are still measured.
GNU_TIME=${BENCH_TIME-/usr/bin/time}
if [ ! -x "$GNU_TIME" ]; then
	log "bench: $GNU_TIME missing (package time): RSS and CPU columns are n/a"
	GNU_TIME=
fi
# missing WORKLOAD: prints the program a workload needs if it is not installed
missing() {
	case $1 in
	python3) [ -x "$PY" ] || echo python3 ;;
	sqlite3) command -v sqlite3 >/dev/null || echo sqlite3 ;;
	esac
}

ALL_WL="churn_d5 churn_d30 xthread fd_churn fork_thread python3 sqlite3 cc1"
WL=${BENCH_ONLY:-$ALL_WL}
# Runs for the memory, sampling-accuracy and thread-scaling targets: native, full and sampled
# only (BENCH_EXTRA= turns them off).
EXTRA_WL=${BENCH_EXTRA-xthread_1t live_big live_small fork_nofollow}

# Sets CMD (argv), ENVV (extra environment) and STDIN for workload $1.
workload() {
	ENVV=()
	STDIN=/dev/null
	case $1 in
	churn_d5) CMD=("$OUT/malloc_churn" 5 "$CHURN_ROUNDS") ;;
	churn_d30) CMD=("$OUT/malloc_churn" 30 "$CHURN_ROUNDS") ;;
	xthread) CMD=("$OUT/xthread" "$XT_OPS") ;;
	xthread_1t) CMD=("$OUT/xthread" "$XT_OPS" 1) ;;
	live_big) CMD=("$OUT/live_sites" "$LIVE_BIG") ;;
	live_small) CMD=("$OUT/live_sites" "$LIVE_SMALL") ;;
	fd_churn) CMD=("$OUT/fd_churn" "$OUT/fd_target.bin" "$FD_ITERS") ;;
	fork_thread) CMD=("$OUT/fork_thread" "$FORKS" "$THREADS") ;;
	fork_nofollow) # fork_thread with children untraced, as heaptrack leaves them
		CMD=("$OUT/fork_thread" "$FORKS" "$THREADS")
		ENVV=(LEAK_FOLLOW_FORK=0)
		;;
	python3)
		CMD=("$PY" bench/py_workload.py "$PY_SCALE")
		ENVV=(PYTHONMALLOC=malloc)
		;;
	sqlite3)
		CMD=("$SQLITE3" :memory:)
		STDIN=$OUT/workload.sql
		;;
	cc1) CMD=("$CC1" -quiet -fpreprocessed -O2 "$OUT/unit.i" -o "$WORK/unit.s") ;;
	*)
		log "bench: unknown workload $1"
		exit 2
		;;
	esac
}

# --- which tools ----------------------------------------------------------------------------
TOOLS=(native)
HAVE_LEAK=0
if [ -f "$SO" ]; then
	HAVE_LEAK=1
	# Pin the library: others rebuild $BUILD/libleak.so in a shared checkout while the suite
	# runs, and a run that mixed two builds (sampling landed mid-run once) compares nothing.
	cp "$SO" "$WORK/libleak.so"
	SO=$WORK/libleak.so
	TOOLS+=(full sampled)
else
	log "bench: $SO not built: libleak columns are n/a"
fi
if [ "$QUICK" != 1 ]; then
	if command -v heaptrack >/dev/null; then
		TOOLS+=(heaptrack)
	else
		log "bench: heaptrack not installed: column n/a"
	fi
	if command -v valgrind >/dev/null; then
		TOOLS+=(memcheck massif)
	else
		log "bench: valgrind not installed: columns n/a"
	fi
fi
TOOLS+=(unwind)

RAW=$OUT/raw.tsv
rm -f "$OUT"/sites.*.tsv "$OUT"/fail.*.stderr
printf 'round\ttool\tworkload\twall_s\trss_kb\ttrace_bytes\trc\tcpu_s\n' >"$RAW"
# MC_SKIP[TOOL.WL]: why valgrind TOOL no longer runs WL (its exit status at the cut)
declare -A MC_SKIP=() STATS=() EVENTS=() LIVE_BLOCKS=() HWM=()
# is_valgrind TOOL: the tools that run only MC_ROUNDS rounds, under MC_LIMIT
is_valgrind() { [ "$1" = memcheck ] || [ "$1" = massif ]; }

# Sums the size of the files given (0 if none).
bytes_of() {
	local total=0 f
	for f in "$@"; do
		[ -f "$f" ] && total=$((total + $(stat -c %s "$f")))
	done
	echo "$total"
}

# retire_run_dir DIR: removes the last run's files, but one that made many (a trace per forked
# child) is only moved aside until the bench ends. On ext4 without a journal (as here) the inode
# allocator skips inodes deleted in the last 5 to 300 s one by one (recently_deleted in a kernel
# profile): deleting 1200 traces just before the next run creates 1200 more made each creation
# scan all of them, tripling fork+thread's time under libleak. That is the harness's cost, not
# the tool's: a program's traces are not deleted while it runs.
SPENT=0
retire_run_dir() {
	[ -d "$1" ] || return 0
	local n
	n=$(find "$1" -maxdepth 1 -type f | head -n 65 | wc -l)
	if [ "$n" -gt 64 ]; then
		SPENT=$((SPENT + 1))
		mv "$1" "$WORK/spent.$SPENT"
	else
		rm -rf "$1"
	fi
}

# run_one TOOL WORKLOAD ROUND: one timed run; appends a line to $RAW.
run_one() {
	local tool=$1 wl=$2 round=$3 dir pre=() limit=600
	dir=$WORK/run
	retire_run_dir "$dir"
	mkdir -p "$dir"
	workload "$wl"
	case $tool in
	native) ;;
	full) ENVV+=(LD_PRELOAD="$SO" LEAK_OUT="$dir/trace.%p.lkt") ;;
	sampled) ENVV+=(LD_PRELOAD="$SO" LEAK_OUT="$dir/trace.%p.lkt" LEAK_SAMPLE="$SAMPLE") ;;
	heaptrack) pre=(heaptrack -o "$dir/ht") ;;
	memcheck)
		# The cut is on CPU seconds, so a busy machine slows memcheck down without
		# making it skip; the wall-clock timeout is only a backstop.
		pre=(prlimit --cpu="$MC_LIMIT:$((MC_LIMIT + 5))"
			valgrind --tool=memcheck --leak-check=full -q --log-file="$dir/vg.%p")
		limit=$((MC_LIMIT * 5))
		;;
	massif)
		pre=(prlimit --cpu="$MC_LIMIT:$((MC_LIMIT + 5))"
			valgrind --tool=massif -q --massif-out-file="$dir/massif.%p" --log-file="$dir/vg.%p")
		limit=$((MC_LIMIT * 5))
		;;
	unwind) ENVV+=(LD_PRELOAD="$(realpath "$OUT/unw_only.so")") ;;
	esac
	local t0 t1 rc=0 rss wall bytes
	t0=$(date +%s%N)
	local timer=()
	[ -z "$GNU_TIME" ] || timer=("$GNU_TIME" -f '%M %U %S' -o "$dir/rss")
	"${timer[@]}" timeout -k 5 "$limit" \
		env "${ENVV[@]}" "${pre[@]}" "${CMD[@]}" <"$STDIN" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
	t1=$(date +%s%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	read -r rss cpu < <(awk 'NF == 3 && $1 ~ /^[0-9]+$/ { r = $1; c = $2 + $3 }
		END { print r + 0, c + 0 }' "$dir/rss" 2>/dev/null || echo 0 0)
	shopt -s nullglob
	local traces=("$dir"/trace.*.lkt)
	bytes=$(bytes_of "${traces[@]}" "$dir"/ht*)
	shopt -u nullglob
	if [ "$tool" = native ] && [ -z "${EVENTS[$wl]:-}" ]; then
		EVENTS[$wl]=$(sed -n 's/^events \([0-9]*\).*/\1/p' "$dir/stderr" | tail -n 1)
		LIVE_BLOCKS[$wl]=$(sed -n 's/^events .* live_blocks \([0-9]*\).*/\1/p' "$dir/stderr" | tail -n 1)
	fi
	# live_sites reports its peak RSS before exit: bookkeeping during the run, without the
	# reachability scan at exit
	if [ "$rc" -eq 0 ] && [[ $wl == live_* ]]; then
		HWM[$tool.$wl]+="$(sed -n 's/.* rss_hwm_kb \([0-9]*\).*/\1/p' "$dir/stderr" | tail -n 1) "
	fi
	if [ "$rc" -eq 0 ] && [ ${#traces[@]} -gt 0 ] && [ -z "${STATS[$tool.$wl]:-}" ]; then
		STATS[$tool.$wl]=$("$OUT/trace_stats" "${traces[@]}" 2>/dev/null | tail -n 1 || true)
	fi
	if [ "$rc" -ne 0 ]; then
		log "bench: $tool $wl round $round: exit $rc ($(tail -n 2 "$dir/stderr" | tr '\n' ' '))"
		cp "$dir/stderr" "$OUT/fail.$tool.$wl.stderr" 2>/dev/null || true
	fi
	if [ "$wl" = live_big ] && [ "$rc" -eq 0 ] && [ ${#traces[@]} -gt 0 ] && [ -x "$REPORT" ] &&
		command -v jq >/dev/null && [ ! -s "$OUT/sites.$tool.tsv" ]; then
		cp "$dir/stdout" "$OUT/sites.truth.tsv"
		# live bytes at exit: leak + reachable findings (growth findings describe the same
		# stacks over time and would count them twice)
		"$REPORT" --json "${traces[@]}" 2>/dev/null | jq -r '[.processes[].findings[] |
			select(.kind == "leak" or .kind == "reachable") |
			select(.stack[0].function // "" | test("^site_[0-9]+$")) |
			{f: .stack[0].function, b: .bytes}] | group_by(.f)[] |
			"\(.[0].f) \(map(.b) | add)"' >"$OUT/sites.$tool.tsv" 2>/dev/null || true
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$tool" "$wl" "$wall" "${rss:-0}" \
		"$bytes" "$rc" "${cpu:-0}" >>"$RAW"
	return "$rc"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench: ${ROUNDS} rounds, tools: ${TOOLS[*]}, workloads: $WL (load $LOAD_START)"
BENCH_START=$(date +%s)
DONE_ROUNDS=0
for ((r = 1; r <= ROUNDS; r++)); do
	if [ "${BENCH_TIME_LIMIT:-0}" -gt 0 ] && [ "$r" -gt 1 ] &&
		[ $(($(date +%s) - BENCH_START)) -ge "$BENCH_TIME_LIMIT" ]; then
		log "bench: BENCH_TIME_LIMIT=${BENCH_TIME_LIMIT}s reached after $DONE_ROUNDS rounds: summarizing"
		break
	fi
	for wl in $WL; do
		[ -z "$(missing "$wl")" ] || continue
		for tool in "${TOOLS[@]}"; do
			if is_valgrind "$tool"; then
				[ "$r" -le "$MC_ROUNDS" ] || continue
				[ -z "${MC_SKIP[$tool.$wl]:-}" ] || continue
			fi
			rc=0
			run_one "$tool" "$wl" "$r" || rc=$?
			# 124 timeout, 152 SIGXCPU at the CPU limit, 137 SIGKILL at the hard one
			if is_valgrind "$tool" && { [ "$rc" -eq 124 ] || [ "$rc" -eq 152 ] || [ "$rc" -eq 137 ]; }; then
				MC_SKIP[$tool.$wl]=$rc
				log "bench: $tool on $wl exceeds ${MC_LIMIT} s of CPU or $((MC_LIMIT * 5)) s of wall: skip"
			fi
		done
	done
	for wl in $EXTRA_WL; do
		for tool in "${TOOLS[@]}"; do
			case $tool in native | full | sampled) run_one "$tool" "$wl" "$r" || true ;; esac
		done
	done
	DONE_ROUNDS=$r
	log "bench: round $r/$ROUNDS done ($(($(date +%s) - BENCH_START)) s, load $(cut -d' ' -f1 /proc/loadavg))"
done

# --- one-hour trace size, extrapolated from a churn run with short snapshot intervals --------
HOUR_LINE="one-hour churn trace: n/a (libleak.so not built)"
if [ "$HAVE_LEAK" = 1 ]; then
	workload churn_d5
	rm -rf "$WORK/hour" && mkdir -p "$WORK/hour"
	timer=()
	[ -z "$GNU_TIME" ] || timer=("$GNU_TIME" -f '%M' -o "$WORK/hour.rss")
	if "${timer[@]}" env LD_PRELOAD="$SO" LEAK_OUT="$WORK/hour/trace.%p.lkt" LEAK_INTERVAL_MS=20 \
		"${CMD[@]}" </dev/null >/dev/null 2>&1; then
		default_ms=$(sed -n 's/.*interval_ms=\([0-9]*\).*/\1/p' <<<"${STATS[full.churn_d5]:-}")
		HOUR_LINE=$("$OUT/trace_stats" "$WORK"/hour/trace.*.lkt | tail -n 1 | awk \
			-v dms="${default_ms:-1000}" '{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (v["snapshots"] < 3) { print "one-hour churn trace: n/a (too few snapshots)"; exit }
			n = 3600000 / dms
			mb = (v["first_chunk"] + n * v["steady_chunk"]) / 1e6
			printf "one-hour churn trace at the default %d ms interval: %.1f MB extrapolated " \
				"(%d snapshots x %d B steady-state chunk + %d B first chunk; measured at " \
				"20 ms over %d snapshots); target < 50 MB: %s\n", dms, mb, n,
				v["steady_chunk"], v["first_chunk"], v["snapshots"], mb < 50 ? "met" : "NOT met"
		}')
	else
		HOUR_LINE="one-hour churn trace: n/a (churn run under libleak failed)"
	fi
fi

# --- memory against run length: the same 20 ms churn run four times as long -----------------
# Peak RSS of the whole process (the writer thread shares it): what libleak keeps must not grow
# with snapshots or events, only with stacks and live blocks, which are the same here.
RUNLEN_LINE="peak RSS against run length: n/a (needs libleak.so and GNU time)"
if [ "$HAVE_LEAK" = 1 ] && [ -n "$GNU_TIME" ] && [ -s "$WORK/hour.rss" ]; then
	rm -rf "$WORK/hour4" && mkdir -p "$WORK/hour4"
	if "$GNU_TIME" -f '%M' -o "$WORK/hour4.rss" env LD_PRELOAD="$SO" \
		LEAK_OUT="$WORK/hour4/trace.%p.lkt" LEAK_INTERVAL_MS=20 \
		"$OUT/malloc_churn" 5 $((CHURN_ROUNDS * 4)) </dev/null >/dev/null 2>&1; then
		snaps() { "$OUT/trace_stats" "$1"/trace.*.lkt | tail -n 1 | sed -n 's/.* snapshots=\([0-9]*\).*/\1/p'; }
		RUNLEN_LINE=$(awk -v a="$(grep -E '^[0-9]+$' "$WORK/hour.rss" | tail -n 1)" \
			-v b="$(grep -E '^[0-9]+$' "$WORK/hour4.rss" | tail -n 1)" \
			-v sa="$(snaps "$WORK/hour")" -v sb="$(snaps "$WORK/hour4")" 'BEGIN {
			printf "peak RSS against run length, churn_d5 under libleak at a 20 ms interval: " \
				"%d KB over %d snapshots, %d KB over %d (4x the events); target: does not grow " \
				"(within 1 MB): %s", a, sa, b, sb, (b - a <= 1024 ? "met" : "NOT met") }')
	else
		RUNLEN_LINE="peak RSS against run length: n/a (churn run under libleak failed)"
	fi
fi

# --- where the time goes: a flat perf profile of churn_d5 under libleak ----------------------
PERF_LINES=()
if [ "$HAVE_LEAK" = 1 ] && [ "${BENCH_PERF:-$((1 - QUICK))}" = 1 ] && command -v perf >/dev/null; then
	workload churn_d5
	rm -rf "$WORK/perf" && mkdir -p "$WORK/perf"
	if perf record -q -o "$WORK/perf/perf.data" -- env LD_PRELOAD="$SO" \
		LEAK_OUT="$WORK/perf/trace.%p.lkt" "${CMD[@]}" </dev/null >/dev/null 2>&1; then
		perf_top() { # SORTKEYS N
			perf report -i "$WORK/perf/perf.data" --no-children --sort "$1" --stdio 2>/dev/null |
				awk -v n="$2" '/^ +[0-9.]+%/ && k < n { k++; $1 = $1; sub(/ +- +-$/, ""); print }' |
				paste -sd ';' | sed 's/;/; /g'
		}
		PERF_LINES+=("perf, churn_d5 under libleak full, share by object: $(perf_top dso 6)")
		PERF_LINES+=("top symbols: $(perf_top dso,symbol 12)")
	else
		PERF_LINES+=("perf record failed (perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null))")
	fi
fi

# --- leak-report on a synthetic one-hour trace --------------------------------------------
if [ "$QUICK" = 1 ]; then
	GEN_ARGS=(--snapshots 120 --stacks 2000)
else
	GEN_ARGS=(--snapshots 3600 --stacks 20000)
fi
SYN=$OUT/synthetic-1h.lkt
MODS=("$(realpath "$OUT/gen_trace")")
[ -f "$REPORT" ] && MODS=("$(realpath "$REPORT")" "${MODS[@]}")
libc=$(gcc -print-file-name=libc.so.6)
[ -f "$libc" ] && MODS+=("$(realpath "$libc")")
t0=$(date +%s%N)
"$OUT/gen_trace" "${GEN_ARGS[@]}" -o "$SYN" "${MODS[@]}" >/dev/null
gen_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
SYN_BYTES=$(stat -c %s "$SYN")
"$OUT/trace_stats" "$SYN" >/dev/null || log "bench: trace_stats rejects the synthetic trace"
REPORT_LINE="leak-report on the synthetic trace: n/a ($REPORT not built)"
if [ -x "$REPORT" ]; then
	times=()
	rc=0
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		timer=()
		[ -z "$GNU_TIME" ] || timer=("$GNU_TIME" -f %M -o "$WORK/report.rss")
		"${timer[@]}" "$REPORT" --json "$SYN" >"$WORK/report.json" 2>"$WORK/report.err" || rc=$?
		t1=$(date +%s%N)
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')")
	done
	med=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
	REPORT_LINE="leak-report --json on the synthetic trace: median ${med} s of 3 (${times[*]}), peak RSS"
	rep_mb=$(grep -Es '^[0-9]+$' "$WORK/report.rss" | awk '{ printf "%.0f MB", $1 / 1024 }' || true)
	REPORT_LINE+=" ${rep_mb:-n/a}"
	if command -v jq >/dev/null && [ "$rc" -eq 0 ]; then
		REPORT_LINE+=", findings: $(jq -r '[.processes[].findings[].kind] | group_by(.) |
			map("\(.[0]) \(length)") | join(", ")' "$WORK/report.json" 2>/dev/null || echo "?")"
		REPORT_LINE+=" (generated: 100 growing stacks with unreachable blocks)"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		REPORT_LINE+=", exit $rc: $(head -c 200 "$WORK/report.err")"
	fi
fi
SYN_LINE="synthetic trace (${GEN_ARGS[*]}, modules: ${MODS[*]}): $((SYN_BYTES / 1024)) KiB, written in ${gen_s} s"

# --- summary ------------------------------------------------------------------------------
# median of the numbers on stdin ("" if none)
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit;
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# col RAWCOLUMN TOOL WL: values of one column for good runs
col() {
	awk -F'\t' -v c="$1" -v t="$2" -v w="$3" 'NR > 1 && $2 == t && $3 == w && $7 == 0 { print $c }' "$RAW"
}
# ratio TOOL WL [COLUMN] [BASE]: median over rounds of wall(tool)/wall(BASE, default native)
# from the same round (COLUMN 8: CPU time instead of wall)
ratio() {
	awk -F'\t' -v t="$1" -v w="$2" -v c="${3:-4}" -v b="${4:-native}" 'NR > 1 && $3 == w && $7 == 0 {
		if ($2 == b) n[$1] = $c; else if ($2 == t) x[$1] = $c }
		END { for (r in x) if (r in n && n[r] > 0) print x[r] / n[r] }' "$RAW" | median
}
# cpu_ns_per_event TOOL WL: median over rounds of (cpu(tool) - cpu(native)) / events, in ns
cpu_ns_per_event() {
	local ev=${EVENTS[$2]:-}
	[ -n "$ev" ] && [ "$ev" -gt 0 ] || return 0
	awk -F'\t' -v t="$1" -v w="$2" -v e="$ev" 'NR > 1 && $3 == w && $7 == 0 {
		if ($2 == "native") n[$1] = $8; else if ($2 == t) x[$1] = $8 }
		END { for (r in x) if (r in n) print (x[r] - n[r]) * 1e9 / e }' "$RAW" | median
}
fails() {
	awk -F'\t' -v t="$1" -v w="$2" 'NR > 1 && $2 == t && $3 == w && $7 != 0 { print $7 }' "$RAW" |
		sort -u | tr '\n' ' '
}
# cell TOOL WL: "3.41x (1.12 s)" or why not
cell() {
	local m x f
	m=$(col 4 "$1" "$2" | median)
	x=$(ratio "$1" "$2")
	f=$(fails "$1" "$2")
	if [ -z "$m" ]; then
		if [ -n "$(missing "$2")" ]; then
			echo "n/a ($(missing "$2") not installed)"
		elif [ "${MC_SKIP[$1.$2]:-}" = 124 ]; then
			echo "skip (>$((MC_LIMIT * 5)) s wall)"
		elif [ -n "${MC_SKIP[$1.$2]:-}" ]; then
			echo "skip (>${MC_LIMIT} s CPU)"
		elif [ -n "$f" ]; then
			case $f in
			"124 ") echo "timeout" ;;
			*) echo "fail (exit ${f% })" ;;
			esac
		else
			echo "n/a"
		fi
		return
	fi
	if [ "$1" = native ]; then
		printf '%.3f s' "$m"
	else
		printf '%.2fx (%.2f s)' "$x" "$m"
	fi
	[ -z "$f" ] || printf ' +fail'
	if [ "$1" = sampled ] && [ -n "${STATS[sampled.$2]:-}" ] &&
		[ "$(stat_field "sampled.$2" sample_bytes)" = 0 ]; then
		printf ' not implemented'
	fi
}
mb() { [ -n "$1" ] && [ "$1" != 0 ] && awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }' || echo n/a; }
human() {
	[ -n "$1" ] && [ "$1" != 0 ] && awk -v b="$1" 'BEGIN {
		if (b >= 1048576) printf "%.1f MB", b / 1048576; else if (b >= 1024) printf "%.1f KB", b / 1024;
		else printf "%d B", b }' || echo "-"
}
stat_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" ${STATS[$1]:-}"; }

# --- other targets: bookkeeping per live block, cost per event from 1 to 2 threads, sampling
# accuracy per site ----------------------------------------------------------------------------
OTHER=()
# per_block TOOL WHEN NB FB NS FS: bookkeeping bytes per live block from RSS in KB (native and
# TOOL at live_big, then at live_small); the difference of the differences leaves out what does
# not grow with the heap. Prints nothing if a figure is missing.
per_block() {
	local bb=${LIVE_BLOCKS[live_big]:-} bs=${LIVE_BLOCKS[live_small]:-}
	[ -n "$3" ] && [ -n "$4" ] && [ -n "$5" ] && [ -n "$6" ] && [ -n "$bb" ] && [ -n "$bs" ] || return 0
	awk -v t="$1" -v when="$2" -v nb="$3" -v fb="$4" -v ns="$5" -v fs="$6" -v bb="$bb" -v bs="$bs" 'BEGIN {
		per = ((fb - nb) - (fs - ns)) * 1024 / (bb - bs)
		printf "bookkeeping per live block %s, %s: %.1f bytes (RSS over native: %.0f MB at %d live blocks, %.0f MB at %d)%s\n",
			when, t, per, (fb - nb) / 1024, bb, (fs - ns) / 1024, bs,
			(t == "full" ? (per <= 32 ? "; target <= 32: met" : "; target <= 32: NOT met") : "") }'
}
# hwm TOOL.WL: median VmHWM that live_sites printed before exit
hwm() { tr ' ' '\n' <<<"${HWM[$1]:-}" | grep -E '^[0-9]+$' | median; }
if [ "$HAVE_LEAK" = 1 ] && [[ " $EXTRA_WL " == *" live_big "* ]] && [[ " $EXTRA_WL " == *" live_small "* ]]; then
	for t in full sampled; do
		l=$(per_block "$t" "at peak (exit, with the reachability scan)" \
			"$(col 5 native live_big | median)" "$(col 5 "$t" live_big | median)" \
			"$(col 5 native live_small | median)" "$(col 5 "$t" live_small | median)")
		[ -z "$l" ] || OTHER+=("$l")
		l=$(per_block "$t" "while running (peak before exit)" \
			"$(hwm native.live_big)" "$(hwm "$t.live_big")" \
			"$(hwm native.live_small)" "$(hwm "$t.live_small")")
		[ -z "$l" ] || OTHER+=("$l")
	done
fi
if [ "$HAVE_LEAK" = 1 ] && [[ " $EXTRA_WL " == *" xthread_1t "* ]] && [[ " $WL " == *" xthread "* ]]; then
	for t in full sampled; do
		one=$(cpu_ns_per_event "$t" xthread_1t) two=$(cpu_ns_per_event "$t" xthread)
		if [ -z "$one" ] || [ -z "$two" ]; then
			continue
		fi
		OTHER+=("$(awk -v a="$one" -v b="$two" -v t="$t" 'BEGIN {
			printf "CPU cost per heap event over native, %s: %.1f ns with 1 thread, %.1f ns with 2 (xthread; x%.2f)%s",
				t, a, b, (a > 0 ? b / a : 0),
				(t == "full" ? (b <= a * 1.15 ? "; target: does not grow: met (within 15%)" : "; target: does not grow: NOT met") : "") }')")
	done
fi
if [[ " $EXTRA_WL " == *" fork_nofollow "* ]]; then
	fnf=$(ratio full fork_nofollow) snf=$(ratio sampled fork_nofollow) hft=$(ratio heaptrack fork_thread)
	if [ -n "$fnf" ]; then
		OTHER+=("$(awk -v f="$fnf" -v s="$snf" -v h="$hft" 'BEGIN {
			printf "fork+thread churn with LEAK_FOLLOW_FORK=0 (children not traced, as under heaptrack): full %.2fx, sampled %s native", f, (s == "" ? "n/a" : sprintf("%.2fx", s))
			if (h != "") printf "; the fork_thread target (<= %.2fx): %s", 1 + (h - 1) / 3, (f - 1 <= (h - 1) / 3 ? "met" : "NOT met") }')")
	fi
fi
if [ -s "$OUT/sites.full.tsv" ] && [ -s "$OUT/sites.truth.tsv" ]; then
	OTHER+=("$(awk -v d="$(stat_field full.live_big dropped)" 'FNR == NR { truth[$1] = $2; next }
		{ if (truth[$1] == $2) ok++; n++ }
		END { printf "full tracking, live_big, bytes per site vs the program'"'"'s own count: %d of %d sites exact (events dropped: %s)", ok, n, d == "" ? "?" : d }' \
		"$OUT/sites.truth.tsv" "$OUT/sites.full.tsv")")
fi
if [ -n "${STATS[sampled.live_big]:-}" ] && [ "$(stat_field sampled.live_big sample_bytes)" = 0 ]; then
	OTHER+=("sampling accuracy: n/a, LEAK_SAMPLE not implemented (sampled traces have sample_bytes 0)")
elif [ -s "$OUT/sites.full.tsv" ] && [ -s "$OUT/sites.sampled.tsv" ]; then
	OTHER+=("$(awk -v S="$SAMPLE" 'FNR == NR { full[$1] = $2; tot += $2; next } { samp[$1] = $2 }
		END { for (f in full) if (full[f] >= tot / 100) {
			n++; e = (samp[f] + 0) / full[f] - 1; if (e < 0) e = -e
			if (e <= 0.10) ok++; if (e > worst) { worst = e; wf = f }
			sd = sqrt(S / full[f]); if (sd > wsd) wsd = sd }
		printf "sampling accuracy (LEAK_SAMPLE=%d, live_big): %d of %d sites holding >= 1%% of the heap within +-10%% of full tracking, worst %s %.1f%% (Poisson 1-sigma for the smallest such site: %.1f%%); target: all within 10%%: %s",
			S, ok, n, wf, worst * 100, wsd * 100, (ok == n ? "met" : "NOT met") }' \
		"$OUT/sites.full.tsv" "$OUT/sites.sampled.tsv")")
fi

{
	echo "## libleak benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, rounds: $DONE_ROUNDS of $ROUNDS, memcheck rounds: $MC_ROUNDS (cut at ${MC_LIMIT} s CPU)$([ "$QUICK" = 1 ] && echo ", BENCH_QUICK=1"))"
	echo
	echo "Median wall time natively; for each tool the median over rounds of its wall time divided by"
	echo "the native run of the same round, and its median wall. full/ht: median of full's wall time"
	echo "divided by heaptrack's in the same round. ovh/ht = (full - 1) / (heaptrack - 1);"
	echo "the target is <= 0.33 (full tracking at most a third of heaptrack's overhead)."
	echo "A sampled cell marked \"not implemented\" ran with LEAK_SAMPLE=$SAMPLE but its trace says"
	echo "sample_bytes 0: the preload ignored the variable and tracked everything."
	echo
	echo "unw_backtrace alone: bench/unw_only.c preloaded, one unw_backtrace (64 frames) per allocation"
	echo "and nothing recorded, the floor under a profiler that calls libunwind for every stack."
	echo
	echo "| workload | native | libleak full | libleak sampled | heaptrack | memcheck | massif | unw_backtrace alone | full/ht | ovh/ht | full target | sampled target |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for wl in $WL; do
		fx=$(ratio full "$wl")
		sx=$(ratio sampled "$wl")
		hx=$(ratio heaptrack "$wl")
		ovh=n/a tgt=n/a stgt=-
		if [ -n "$hx" ]; then
			tgt=$(awk -v h="$hx" 'BEGIN { printf "<= %.2fx", 1 + (h - 1) / 3 }')
			if [ -n "$fx" ]; then
				ovh=$(awk -v f="$fx" -v h="$hx" 'BEGIN { if (h > 1) printf "%.2f", (f - 1) / (h - 1); else print "n/a" }')
				tgt+=$(awk -v f="$fx" -v h="$hx" 'BEGIN { print (f - 1 <= (h - 1) / 3) ? " met" : " NOT met" }')
			fi
		fi
		case $wl in
		churn_*)
			stgt="<= 1.05x"
			if [ -n "$sx" ]; then
				stgt+=$(awk -v s="$sx" 'BEGIN { print (s <= 1.05) ? " met" : " NOT met" }')
			fi
			;;
		esac
		fh=$(ratio full "$wl" 4 heaptrack)
		[ -z "$fh" ] || fh=$(awk -v r="$fh" 'BEGIN { printf "%.2f", r }')
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$wl" \
			"$(cell native "$wl")" "$(cell full "$wl")" "$(cell sampled "$wl")" \
			"$(cell heaptrack "$wl")" "$(cell memcheck "$wl")" "$(cell massif "$wl")" \
			"$(cell unwind "$wl")" "${fh:-n/a}" "$ovh" "$tgt" "$stgt"
	done
	echo
	if [ -n "$GNU_TIME" ]; then
		echo "The same runs as CPU time (user + sys of the whole process tree, median of per-round ratios):"
		echo "less disturbed than wall time when other jobs share the machine; the targets use wall time."
		echo
		echo "| workload | full CPU | sampled CPU | heaptrack CPU | memcheck CPU | massif CPU | unw_backtrace CPU | ovh/ht CPU |"
		echo "|---|---|---|---|---|---|---|---|"
		for wl in $WL; do
			cf=$(ratio full "$wl" 8) cs=$(ratio sampled "$wl" 8) ch=$(ratio heaptrack "$wl" 8)
			cm=$(ratio memcheck "$wl" 8) cv=$(ratio massif "$wl" 8) cu=$(ratio unwind "$wl" 8)
			awk -v w="$wl" -v f="$cf" -v s="$cs" -v h="$ch" -v m="$cm" -v v="$cv" -v u="$cu" '
				function x(r) { return r == "" ? "n/a" : sprintf("%.2fx", r) } BEGIN {
				o = (f != "" && h != "" && h > 1) ? sprintf("%.2f", (f - 1) / (h - 1)) : "n/a"
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w, x(f), x(s), x(h), x(m),
					x(v), x(u), o }'
		done
		echo
	fi
	echo "Peak RSS (MB, median; /usr/bin/time %M, largest process of the run) and trace size (median"
	echo "bytes, all files of the run). Events: calls the workload reports (alloc + free [+ fd/fork/thread])"
	echo "or, for real programs, total_allocs + total_frees from libleak's final snapshot. Dropped: events"
	echo "libleak's final snapshot says it lost to full rings (first full run)."
	echo
	echo "| workload | RSS native | full | sampled | heaptrack | memcheck | events | dropped | full trace | B/event | snapshots | sampled trace | heaptrack trace | ht B/event |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for wl in $WL; do
		ev=${EVENTS[$wl]:-}
		if [ -z "$ev" ] && [ -n "${STATS[full.$wl]:-}" ]; then
			ev=$(stat_field "full.$wl" events)
		fi
		fb=$(col 6 full "$wl" | median)
		sb=$(col 6 sampled "$wl" | median)
		hb=$(col 6 heaptrack "$wl" | median)
		bpe() { [ -n "$1" ] && [ -n "$ev" ] && [ "$ev" -gt 0 ] && awk -v b="$1" -v e="$ev" 'BEGIN { printf "%.3g", b / e }' || echo "-"; }
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$wl" \
			"$(mb "$(col 5 native "$wl" | median)")" "$(mb "$(col 5 full "$wl" | median)")" \
			"$(mb "$(col 5 sampled "$wl" | median)")" "$(mb "$(col 5 heaptrack "$wl" | median)")" \
			"$(mb "$(col 5 memcheck "$wl" | median)")" "${ev:-?}" \
			"$(stat_field "full.$wl" dropped | grep . || echo -)" "$(human "$fb")" "$(bpe "$fb")" \
			"$(stat_field "full.$wl" snapshots | grep . || echo -)" "$(human "$sb")" "$(human "$hb")" "$(bpe "$hb")"
	done
	echo
	echo "- $HOUR_LINE"
	echo "- $RUNLEN_LINE"
	for l in "${OTHER[@]}"; do
		echo "- $l"
	done
	echo "- $SYN_LINE"
	echo "- $REPORT_LINE (target: seconds)"
	for l in "${PERF_LINES[@]}"; do
		echo "- $l"
	done
	echo "- machine load (1/5/15 min): $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
	dirty=$(git status --porcelain -- preload common collector 2>/dev/null | wc -l)
	echo "- versions: libleak $rev$([ "$dirty" -gt 0 ] && echo " + $dirty uncommitted files in preload/common/collector"),"
	echo "  $(heaptrack --version 2>/dev/null | head -n 1 || echo "heaptrack n/a"), $(valgrind --version 2>/dev/null || echo "valgrind n/a"),"
	echo "  gcc $(gcc -dumpfullversion), $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 | sed 's/^/sqlite3 /' || true), $("$PY" --version 2>&1)"
	echo "- cc1 is run directly (\`cc1 -quiet -fpreprocessed -O2 unit.i\`): the \`cc -O2 -c\` driver"
	echo "  forks cc1 and as, and heaptrack and valgrind follow only the first process."
	echo "- reproduce: \`make bench\` (or \`BUILD=build BENCH_ROUNDS=5 bench/bench.sh\`)"
} >"$OUT/results.md"
cat "$OUT/results.md"

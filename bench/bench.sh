#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh - `make bench`: wall time, peak RSS and trace size of each workload natively, under
# libleak (full tracking and LEAK_SAMPLE sampling), heaptrack (record + interpret), valgrind
# memcheck and massif, and under bench/unw_only.c (one unw_backtrace per allocation, nothing
# recorded: the floor of a libunwind-based profiler), under bench/fwd_only.c (the heap functions
# forwarded to glibc's: the floor of any interposing profiler) and under libleak with
# LEAK_UNWIND=fp, with runs interleaved (native full sampled fp heaptrack memcheck massif unwind
# forward, then again, ...) so that the ratios compare runs made
# seconds apart on a machine other people share. Then native/sampled pairs on each workload
# (the sampled target needs a finer figure than five rounds give), then times leak-report on
# a synthetic one-hour trace (bench/gen_trace.c). Prints a markdown table and writes it to
# $BUILD/bench/results.md (raw runs: raw.tsv beside it).
# This file is the runner (tools, timed runs, rounds, the extra measurements); the workloads
# live in bench/workloads.sh and the tables in bench/summary.sh, both sourced from here.
# Rules: every run goes through run_one, which appends one line to raw.tsv; the summary is
# computed from raw.tsv and what run_one recorded, never from a run of its own.
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
#   BENCH_PAIRS            after the rounds, up to N native/sampled pairs per workload for the
#                          sampled target (default 15, 1 with BENCH_QUICK=1; 0: none)
#   BENCH_PAIR_SECONDS     no new pair on a workload after this long on it, once 5 pairs are
#                          done (default 30)
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
PAIRS=${BENCH_PAIRS:-15}
PAIR_SECONDS=${BENCH_PAIR_SECONDS:-30}
if [ "$QUICK" = 1 ]; then
	ROUNDS=1
	PAIRS=${BENCH_PAIRS:-1}
fi
PAIRS_MIN=$((PAIRS < 5 ? PAIRS : 5))
OUT=${BENCH_OUT:-$BUILD/bench}
SO=$(realpath -m "$BUILD/libleak.so")
REPORT=$BUILD/leak-report
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/libleak-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log() { printf '%s\n' "$*" >&2; }

# Workloads, their inputs and the helper tools (bench/workloads.sh).
# shellcheck source=bench/workloads.sh
. bench/workloads.sh

# Peak RSS and CPU time come from GNU time (Debian package `time`, installed by
# `make deps-bench`); without it those columns are n/a and wall times are still measured.
GNU_TIME=${BENCH_TIME-/usr/bin/time}
if [ ! -x "$GNU_TIME" ]; then
	log "bench: $GNU_TIME missing (package time): RSS and CPU columns are n/a"
	GNU_TIME=
fi

# --- which tools ----------------------------------------------------------------------------
TOOLS=(native)
HAVE_LEAK=0
if [ -f "$SO" ]; then
	HAVE_LEAK=1
	# Pin the library: in a shared checkout $BUILD/libleak.so may be rebuilt while the suite
	# runs, and a run that mixed two builds would compare nothing.
	cp "$SO" "$WORK/libleak.so"
	SO=$WORK/libleak.so
	TOOLS+=(full sampled fp)
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
TOOLS+=(unwind forward)

RAW=$OUT/raw.tsv
rm -f "$OUT"/sites.*.tsv "$OUT"/fail.*.stderr
printf 'round\ttool\tworkload\twall_s\trss_kb\ttrace_bytes\trc\tcpu_s\n' >"$RAW"
# MC_SKIP[TOOL.WL]: why valgrind TOOL no longer runs WL (its exit status at the cut)
declare -A MC_SKIP=() STATS=() EVENTS=() ALLOCS=() FRAMES=() LIVE_BLOCKS=() HWM=()
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
# child) is only moved aside until the bench ends. ext4's inode allocator skips recently
# deleted inodes one by one (recently_deleted), so deleting 1200 traces just before the next
# run creates 1200 more would charge that scan to the next run (it tripled fork+thread's time
# under libleak). That is the harness's cost, not the tool's: a program's traces are not
# deleted while it runs.
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
	forward) ENVV+=(LD_PRELOAD="$(realpath "$OUT/fwd_only.so")") ;;
	fp) ENVV+=(LD_PRELOAD="$SO" LEAK_OUT="$dir/trace.%p.lkt" LEAK_UNWIND=fp) ;;
	libunwind) # libleak with its libunwind walker: the varied workloads' per-frame figures
		ENVV+=(LD_PRELOAD="$SO" LEAK_OUT="$dir/trace.%p.lkt" LEAK_UNWIND=libunwind) ;;
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
		ALLOCS[$wl]=$(sed -n 's/^events .* allocs \([0-9]*\).*/\1/p' "$dir/stderr" | tail -n 1)
		FRAMES[$wl]=$(sed -n 's/^events .* frames \([0-9]*\).*/\1/p' "$dir/stderr" | tail -n 1)
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
		# the varied workloads also under libleak's libunwind walker, for the per-frame figures
		if [ "$HAVE_LEAK" = 1 ] && [[ $wl == varied_* ]]; then
			run_one libunwind "$wl" "$r" || true
		fi
	done
	for wl in $EXTRA_WL; do
		for tool in "${TOOLS[@]}"; do
			case $tool in native | full | sampled) run_one "$tool" "$wl" "$r" || true ;; esac
		done
	done
	DONE_ROUNDS=$r
	log "bench: round $r/$ROUNDS done ($(($(date +%s) - BENCH_START)) s, load $(cut -d' ' -f1 /proc/loadavg))"
done

# --- sampled against native in pairs --------------------------------------------------------
# A row's sampled/native median over five rounds moves by 5-15% between runs (the native run
# itself varies from round to round), too coarse for a 1.05x target. So each workload then runs
# pairs, native and sampled back to back with the order alternating (N S, S N, N S, ...), and
# the summary takes the median of the per-pair ratios and their spread. Up to PAIRS pairs a
# workload; once min(5, PAIRS) are done, no new pair after PAIR_SECONDS on that workload.
# Their runs are in raw.tsv as rounds p1, p2, ... (the round tables read only numbered rounds).
if [ "$HAVE_LEAK" = 1 ] && [ "$PAIRS" -gt 0 ]; then
	log "bench: native/sampled pairs: up to $PAIRS a workload, none started after ${PAIR_SECONDS} s past the first $PAIRS_MIN"
	for wl in $WL; do
		[ -z "$(missing "$wl")" ] || continue
		pair_start=$(date +%s)
		p=0
		while [ "$p" -lt "$PAIRS" ]; do
			if [ "$p" -ge "$PAIRS_MIN" ] &&
				[ $(($(date +%s) - pair_start)) -ge "$PAIR_SECONDS" ]; then
				break
			fi
			p=$((p + 1))
			if [ $((p % 2)) = 1 ]; then
				run_one native "$wl" "p$p" || true
				run_one sampled "$wl" "p$p" || true
			else
				run_one sampled "$wl" "p$p" || true
				run_one native "$wl" "p$p" || true
			fi
		done
		log "bench: $wl: pairs: $p in $(($(date +%s) - pair_start)) s"
	done
fi

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
			# The writer'"'"'s schedule (preload/writer.c): up to 1000 ms, dense at the start
			# (100 ms, then a twelfth of the time run so far, up to the interval).
			n = 0
			if (dms > 1000) n = int(3600000 / dms)
			else for (t = 0; t < 3600000; n++) {
				iv = t / 12; lo = dms < 100 ? dms : 100
				t += iv < lo ? lo : iv > dms ? dms : iv
			}
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

# --- the exit scan: a 1 GiB heap held by 8 threads (bench/scan_heap.c) ------------------------
# Time from exit() to the end of the process, natively and under libleak (stopping the threads,
# the reachability scan of every root, the BLOCK records), interleaved, median of 3.
SCAN_LINE="exit scan: n/a (libleak.so not built)"
if [ "$HAVE_LEAK" = 1 ]; then
	scan_mb=1024
	[ "$QUICK" = 1 ] && scan_mb=64
	scan_nat=() scan_leak=() scan_nat_cpu=() scan_leak_cpu=()
	for _ in 1 2 3; do
		read -r _ ms _ cpu < <("$OUT/scan_heap" "$scan_mb" 8 1024 || echo "exit_ms ? x ?")
		scan_nat+=("$ms") scan_nat_cpu+=("$cpu")
		rm -rf "$WORK/scan" && mkdir -p "$WORK/scan"
		read -r _ ms _ cpu < <(env LD_PRELOAD="$SO" LEAK_OUT="$WORK/scan/trace.%p.lkt" \
			"$OUT/scan_heap" "$scan_mb" 8 1024 2>/dev/null || echo "exit_ms ? x ?")
		scan_leak+=("$ms") scan_leak_cpu+=("$cpu")
	done
	med3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
	scan_roots=n/a
	if [ -x "$REPORT" ] && command -v jq >/dev/null; then
		scan_roots=$("$REPORT" --json "$WORK"/scan/trace.*.lkt 2>/dev/null | jq -r '[.processes[] |
			select(.scan != null and .scan.threads_stopped > 0) | .scan |
			"\(.threads_stopped) threads stopped, \(.threads_missed) missed, partial \(.partial)"] |
			first // "n/a"' 2>/dev/null || echo n/a)
	fi
	SCAN_LINE="exit scan, ${scan_mb} MiB heap in 1 KiB blocks held by 8 threads: exit() to process end"
	SCAN_LINE+=" median $(med3 "${scan_leak[@]}") ms under libleak (${scan_leak[*]}; CPU"
	SCAN_LINE+=" $(med3 "${scan_leak_cpu[@]}") ms), $(med3 "${scan_nat[@]}") ms natively (${scan_nat[*]};"
	SCAN_LINE+=" CPU $(med3 "${scan_nat_cpu[@]}") ms); ${scan_roots}"
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


# Tables and derived figures, into $OUT/results.md (bench/summary.sh).
# shellcheck source=bench/summary.sh
. bench/summary.sh

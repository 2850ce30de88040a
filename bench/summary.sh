#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# summary.sh - the benchmark's report, sourced by bench.sh once every run is done: medians
# of the per-round ratios from $RAW, the targets row by row (ovh/ht per round, sampled/native
# per pair, each with its spread), the derived figures (bookkeeping per live block, cost per
# event, sampling accuracy) and the markdown tables, written to $OUT/results.md and printed.
# It only reads what the runs recorded (RAW, STATS, EVENTS, LIVE_BLOCKS, HWM, MC_SKIP and the
# *_LINE strings) and runs nothing but awk, jq and git. raw.tsv's rounds are numbers for the
# interleaved rounds and p1, p2, ... for the native/sampled pairs after them: every figure
# "over rounds" reads the numbered ones only, the pair figures only the pairs.

# --- summary ------------------------------------------------------------------------------
# median of the numbers on stdin ("" if none)
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit;
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# col RAWCOLUMN TOOL WL: values of one column for good runs
col() {
	awk -F'\t' -v c="$1" -v t="$2" -v w="$3" 'NR > 1 && $1 ~ /^[0-9]+$/ && $2 == t && $3 == w &&
		$7 == 0 { print $c }' "$RAW"
}
# round_ratios TOOL WL [COLUMN] [BASE]: wall(TOOL)/wall(BASE, default native) of each round
# that has both (COLUMN 8: CPU time instead of wall)
round_ratios() {
	awk -F'\t' -v t="$1" -v w="$2" -v c="${3:-4}" -v b="${4:-native}" 'NR > 1 && $1 ~ /^[0-9]+$/ &&
		$3 == w && $7 == 0 { if ($2 == b) n[$1] = $c; else if ($2 == t) x[$1] = $c }
		END { for (r in x) if (r in n && n[r] > 0) print x[r] / n[r] }' "$RAW"
}
# ratio TOOL WL [COLUMN] [BASE]: median over rounds of round_ratios
ratio() { round_ratios "$@" | median; }
# wlratio TOOL WL BASEWL [COLUMN]: median over rounds of wall(TOOL on WL)/wall(TOOL on BASEWL)
wlratio() {
	awk -F'\t' -v t="$1" -v w="$2" -v b="$3" -v c="${4:-4}" 'NR > 1 && $1 ~ /^[0-9]+$/ && $2 == t &&
		$7 == 0 { if ($3 == b) n[$1] = $c; else if ($3 == w) x[$1] = $c }
		END { for (r in x) if (r in n && n[r] > 0) print x[r] / n[r] }' "$RAW" | median
}
# ovh_rounds WL [COLUMN]: libleak full's overhead over heaptrack's, (full - native) /
# (heaptrack - native), from the three runs of each round; 1e99 (shown as inf) for a round
# in which heaptrack took no longer than native, where the ratio means nothing
ovh_rounds() {
	awk -F'\t' -v w="$1" -v c="${2:-4}" 'NR > 1 && $1 ~ /^[0-9]+$/ && $3 == w && $7 == 0 {
		if ($2 == "native") n[$1] = $c; else if ($2 == "full") f[$1] = $c
		else if ($2 == "heaptrack") h[$1] = $c }
		END { for (r in f) if ((r in n) && (r in h))
			print (h[r] > n[r] ? (f[r] - n[r]) / (h[r] - n[r]) : 1e99) }' "$RAW"
}
# pair_ratios WL [COLUMN]: sampled/native of each native/sampled pair (rounds p1, p2, ...)
pair_ratios() {
	awk -F'\t' -v w="$1" -v c="${2:-4}" 'NR > 1 && $1 ~ /^p[0-9]+$/ && $3 == w && $7 == 0 {
		if ($2 == "native") n[$1] = $c; else if ($2 == "sampled") s[$1] = $c }
		END { for (p in s) if (p in n && n[p] > 0) print s[p] / n[p] }' "$RAW"
}
# pair_fails WL: how many of the pairs' runs failed
pair_fails() {
	awk -F'\t' -v w="$1" 'NR > 1 && $1 ~ /^p[0-9]+$/ && $3 == w && $7 != 0 { k++ }
		END { print k + 0 }' "$RAW"
}
# stats: the numbers on stdin -> "n median q1 q3 min max lo hi coverage" (nothing if none).
# Quartiles interpolate between the sorted values; lo-hi is the distribution-free confidence
# interval of the median, x(k)..x(n+1-k) for the largest k >= 1 with P(Binomial(n, 1/2) < k)
# <= 2.5%, and coverage the probability that it holds the true median: 96% for 15 values
# (the 4th to the 12th), 94% for 5 (their min-max), 50% for 2, 0 for 1.
stats() {
	sort -g | awk '{ a[NR] = $1 }
		function q(p,  h, l) { h = (NR - 1) * p + 1; l = int(h)
			return l >= NR ? a[NR] : a[l] + (h - l) * (a[l + 1] - a[l]) }
		END { if (NR == 0) exit
			n = NR; t = 0.5 ^ n; cdf = t; k = 1
			while (k + 1 <= (n + 1) / 2) {
				t = t * (n - k + 1) / k
				if (cdf + t > 0.025) break
				cdf += t; k++
			}
			printf "%d %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.3f\n", n, q(0.5), q(0.25), q(0.75),
				a[1], a[n], a[k], a[n + 1 - k], 1 - 2 * cdf }'
}
# verdict TARGET STATS: "met" or "NOT met" for the median of STATS (a line of stats) against
# TARGET (at most), ", within noise" when TARGET lies inside the median's interval, so that
# the spread could turn the verdict; "n/a" without figures
verdict() {
	awk -v t="$1" -v s="$2" 'BEGIN { if (split(s, v, " ") < 9) { print "n/a"; exit }
		printf "%s%s\n", (v[2] <= t ? "met" : "NOT met"), (v[7] <= t && t < v[8] ? ", within noise" : "") }'
}
# sfield STATS N FORMAT: field N of a stats line, formatted ("n/a" if none, inf past 1e90)
sfield() {
	awk -v s="$1" -v i="$2" -v f="$3" 'BEGIN { if (split(s, v, " ") < i) { print "n/a"; exit }
		if (v[i] + 0 >= 1e90) print "inf"; else printf f "\n", v[i] }'
}
# srange STATS I J FORMAT: "A to B" from fields I and J of a stats line (A may be negative)
srange() { echo "$(sfield "$1" "$2" "$4") to $(sfield "$1" "$3" "$4")"; }
# cpu_ns_per_event TOOL WL: median over rounds of (cpu(tool) - cpu(native)) / events, in ns
cpu_ns_per_event() {
	local ev=${EVENTS[$2]:-}
	[ -n "$ev" ] && [ "$ev" -gt 0 ] || return 0
	awk -F'\t' -v t="$1" -v w="$2" -v e="$ev" 'NR > 1 && $1 ~ /^[0-9]+$/ && $3 == w && $7 == 0 {
		if ($2 == "native") n[$1] = $8; else if ($2 == t) x[$1] = $8 }
		END { for (r in x) if (r in n) print (x[r] - n[r]) * 1e9 / e }' "$RAW" | median
}
fails() {
	awk -F'\t' -v t="$1" -v w="$2" 'NR > 1 && $1 ~ /^[0-9]+$/ && $2 == t && $3 == w && $7 != 0 {
		print $7 }' "$RAW" |
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
	fnf=$(ratio full fork_nofollow) snf=$(ratio sampled fork_nofollow)
	# per round: (full, untraced children - native) / (heaptrack - native on fork_thread)
	oh=$(awk -F'\t' 'NR > 1 && $1 ~ /^[0-9]+$/ && $7 == 0 {
			k = $2 "." $3; v[$1, k] = $4; r[$1] }
		END { for (i in r) if ((i, "full.fork_nofollow") in v && (i, "native.fork_nofollow") in v &&
			(i, "heaptrack.fork_thread") in v && (i, "native.fork_thread") in v &&
			v[i, "heaptrack.fork_thread"] > v[i, "native.fork_thread"])
			print (v[i, "full.fork_nofollow"] - v[i, "native.fork_nofollow"]) / \
				(v[i, "heaptrack.fork_thread"] - v[i, "native.fork_thread"]) }' "$RAW" | median)
	if [ -n "$fnf" ]; then
		OTHER+=("$(awk -v f="$fnf" -v s="$snf" -v o="$oh" 'BEGIN {
			printf "fork+thread churn with LEAK_FOLLOW_FORK=0 (children not traced, as under heaptrack): full %.2fx, sampled %s native", f, (s == "" ? "n/a" : sprintf("%.2fx", s))
			if (o != "") printf "; overhead over heaptrack'"'"'s on fork_thread, per round: %.2f, target <= 0.33: %s", o, (o <= 1 / 3 ? "met" : "NOT met") }')")
	fi
fi
if [[ " $WL " == *" spawn "* ]] && [ "$HAVE_LEAK" = 1 ] && [ -n "$(col 4 full spawn | median)" ]; then
	OTHER+=("$(awk -v n="$(col 4 native spawn | median)" -v f="$(col 4 full spawn | median)" -v k="$SPAWNS" 'BEGIN {
		printf "spawn (python3 subprocess.run of true, %d times): %.2f ms per fork+exec under libleak full, %.2f ms native (whole run, interpreter start included)", k, f * 1000 / k, n * 1000 / k }')")
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

# --- the walker's cost per frame on varied stacks (varied_d5, varied_d30) ---------------------
# ns_per_frame TOOL WL: median over rounds of (wall(TOOL) - wall(native)) / (allocs x frames
# per capture): everything the tool adds, per frame it captures.
ns_per_frame() {
	local a=${ALLOCS[$2]:-} f=${FRAMES[$2]:-}
	[ -n "$a" ] && [ -n "$f" ] && [ "$a" -gt 0 ] || return 0
	awk -F'\t' -v t="$1" -v w="$2" -v d="$((a * f))" 'NR > 1 && $1 ~ /^[0-9]+$/ && $3 == w && $7 == 0 {
		if ($2 == "native") n[$1] = $4; else if ($2 == t) x[$1] = $4 }
		END { for (r in x) if (r in n) print (x[r] - n[r]) * 1e9 / d }' "$RAW" | median
}
# ns_per_extra_frame TOOL: median over rounds of the overhead at depth 30 less that at depth 5,
# per extra frame captured: the per-frame cost without the per-event one.
ns_per_extra_frame() {
	local a=${ALLOCS[varied_d30]:-} f30=${FRAMES[varied_d30]:-} f5=${FRAMES[varied_d5]:-}
	[ -n "$a" ] && [ -n "$f30" ] && [ -n "$f5" ] && [ "$a" = "${ALLOCS[varied_d5]:-}" ] || return 0
	awk -F'\t' -v t="$1" -v d="$((a * (f30 - f5)))" 'NR > 1 && $1 ~ /^[0-9]+$/ && $7 == 0 &&
		$3 ~ /^varied_d(5|30)$/ {
		o[$1 SUBSEP $3 SUBSEP $2] = $4; rr[$1] }
		function get(r, w, x) { k = r SUBSEP w SUBSEP x; return (k in o) ? o[k] : "" }
		END { for (r in rr) {
			a = get(r, "varied_d30", t); b = get(r, "varied_d5", t)
			na = get(r, "varied_d30", "native"); nb = get(r, "varied_d5", "native")
			if (a != "" && b != "" && na != "" && nb != "")
				print ((a - na) - (b - nb)) * 1e9 / d } }' "$RAW" | median
}
FRAME_ROWS=()
for wl in varied_d5 varied_d30; do
	if [[ " $WL " != *" $wl "* ]] || [ "$HAVE_LEAK" != 1 ]; then continue; fi
	FRAME_ROWS+=("$(awk -v w="$wl" -v fr="${FRAMES[$wl]:-?}" -v f="$(ns_per_frame full "$wl")" \
		-v l="$(ns_per_frame libunwind "$wl")" -v u="$(ns_per_frame unwind "$wl")" \
		-v fl="$(ratio full "$wl" 4 libunwind)" -v fu="$(ratio full "$wl" 4 unwind)" \
		-v lx="$(ratio libunwind "$wl")" -v p="$(ns_per_frame fp "$wl")" '
		function x(v, fmt) { return v == "" ? "n/a" : sprintf(fmt, v) } BEGIN {
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w, fr, x(f, "%.1f"),
			x(l, "%.1f"), x(p, "%.1f"), x(u, "%.1f"), x(lx, "%.2fx"), x(fl, "%.2f"), x(fu, "%.2f"),
			(fl == "" ? "n/a" : (fl <= 1 ? "met" : "NOT met")) }')")
done
EXTRA_FRAME_LINE=
if [ ${#FRAME_ROWS[@]} = 2 ]; then
	EXTRA_FRAME_LINE=$(awk -v f="$(ns_per_extra_frame full)" -v l="$(ns_per_extra_frame libunwind)" \
		-v u="$(ns_per_extra_frame unwind)" 'function x(v) { return v == "" ? "n/a" : sprintf("%.1f ns", v) }
		BEGIN { printf "per extra frame, (varied_d30 - native) - (varied_d5 - native) over 25 more frames a capture: libleak full %s, LEAK_UNWIND=libunwind %s, unw_backtrace alone %s", x(f), x(l), x(u) }')
fi

# --- the targets row by row: ovh/ht per round, sampled/native per pair (per round without
# pairs), each as a stats line --------------------------------------------------------------
declare -A OVH_S=() SMP_S=() SMP_FROM=() SMP_CPU=()
for wl in $WL; do
	OVH_S[$wl]=$(ovh_rounds "$wl" | stats)
	SMP_S[$wl]=$(pair_ratios "$wl" | stats)
	if [ -n "${SMP_S[$wl]}" ]; then
		SMP_FROM[$wl]=$(sfield "${SMP_S[$wl]}" 1 '%d pairs' | sed 's/^1 pairs/1 pair/')
		SMP_CPU[$wl]=$(pair_ratios "$wl" 8 | median)
		pf=$(pair_fails "$wl")
		[ "$pf" = 0 ] || SMP_FROM[$wl]+=", $pf runs failed"
	else
		SMP_S[$wl]=$(round_ratios sampled "$wl" | stats)
		SMP_FROM[$wl]=$(sfield "${SMP_S[$wl]}" 1 '%d rounds' | sed 's/^1 rounds/1 round/')
		SMP_CPU[$wl]=$(ratio sampled "$wl" 8)
	fi
done
OVH_TARGET=0.333333333

{
	echo "## libleak benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, rounds: $DONE_ROUNDS of $ROUNDS, memcheck rounds: $MC_ROUNDS (cut at ${MC_LIMIT} s CPU), native/sampled pairs: up to $PAIRS a row$([ "$QUICK" = 1 ] && echo ", BENCH_QUICK=1"))"
	echo
	echo "Median wall time natively; for each tool the median over rounds of its wall time divided by"
	echo "the native run of the same round, and its median wall. full/ht: median of full's wall time"
	echo "divided by heaptrack's in the same round. ovh/ht: libleak full's overhead over heaptrack's,"
	echo "(full - native) / (heaptrack - native) from the three runs of the same round, median over"
	echo "rounds (min-max over rounds in brackets; inf for a round in which heaptrack took no longer"
	echo "than native); the target is <= 0.33 (full tracking at most a third of heaptrack's overhead)."
	echo "full target and sampled target: the verdicts of the targets table below the main table."
	echo "A sampled cell marked \"not implemented\" ran with LEAK_SAMPLE=$SAMPLE but its trace says"
	echo "sample_bytes 0: the preload ignored the variable and tracked everything."
	echo
	echo "unw_backtrace alone: bench/unw_only.c preloaded, one unw_backtrace (64 frames) per allocation"
	echo "and nothing recorded, the floor under a profiler that calls libunwind for every stack."
	echo
	echo "LEAK_UNWIND=fp: full tracking with the frame-pointer walker (these workloads are built"
	echo "without frame pointers, so its stacks are short: a speed comparison only). Forwarding only:"
	echo "bench/fwd_only.c preloaded, the heap functions forwarded to glibc's and nothing else, the"
	echo "floor under any profiler that interposes malloc (sampled mode's bound)."
	echo
	echo "| workload | native | libleak full | libleak sampled | LEAK_UNWIND=fp | heaptrack | memcheck | massif | unw_backtrace alone | forwarding only | full/ht | ovh/ht | full target | sampled target |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for wl in $WL; do
		os=${OVH_S[$wl]} ss=${SMP_S[$wl]}
		ovh=n/a stgt=n/a
		[ -z "$os" ] || ovh="$(sfield "$os" 2 %.2f) ($(srange "$os" 5 6 %.2f))"
		[ -z "$ss" ] || stgt="$(verdict 1.05 "$ss") (${SMP_FROM[$wl]%%,*})"
		fh=$(ratio full "$wl" 4 heaptrack)
		[ -z "$fh" ] || fh=$(awk -v r="$fh" 'BEGIN { printf "%.2f", r }')
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$wl" \
			"$(cell native "$wl")" "$(cell full "$wl")" "$(cell sampled "$wl")" \
			"$(cell fp "$wl")" "$(cell heaptrack "$wl")" "$(cell memcheck "$wl")" \
			"$(cell massif "$wl")" "$(cell unwind "$wl")" "$(cell forward "$wl")" \
			"${fh:-n/a}" "$ovh" "$(verdict "$OVH_TARGET" "$os")" "$stgt"
	done
	echo
	echo "The targets row by row, each with its spread. Full tracking: ovh/ht of each round as"
	echo "above, its median and the median's interval, the distribution-free confidence interval of"
	echo "a median (order statistics x(k)..x(n+1-k), k the largest with P(Binomial(n, 1/2) < k) <="
	echo "2.5%; for 5 rounds their min-max, which holds the true median with probability 94%; the"
	echo "coverage is in brackets). Sampled: after the rounds, each row ran native and sampled back"
	echo "to back, the order alternating (N S, S N, ...), up to $PAIRS pairs (BENCH_PAIRS; no new"
	echo "pair after ${PAIR_SECONDS} s on a row once $PAIRS_MIN are done, BENCH_PAIR_SECONDS). sampled/native"
	echo "is the median of the per-pair wall-time ratios, with the same interval of the median, the"
	echo "pairs' quartiles and min-max, and the median of their CPU-time ratios; a row without pairs"
	echo "uses its rounds' ratios. A verdict compares the median with the target; \"within noise\""
	echo "says the target lies inside the median's interval, so that the spread could turn it."
	echo
	echo "| workload | ovh/ht | interval | rounds | full target (ovh/ht <= 0.33) | sampled/native | interval | quartiles | min-max | CPU | from | sampled target (<= 1.05x) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for wl in $WL; do
		os=${OVH_S[$wl]} ss=${SMP_S[$wl]}
		oi=n/a si=n/a
		[ -z "$os" ] || oi="$(srange "$os" 7 8 %.2f) ($(sfield "$os" 9 %.2f | awk '{ printf "%.0f%%", $1 * 100 }'))"
		[ -z "$ss" ] || si="$(srange "$ss" 7 8 %.3f) ($(sfield "$ss" 9 %.2f | awk '{ printf "%.0f%%", $1 * 100 }'))"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$wl" \
			"$(sfield "$os" 2 %.2f)" "$oi" "$(sfield "$os" 1 %d)" "$(verdict "$OVH_TARGET" "$os")" \
			"$(sfield "$ss" 2 %.3f)" "$si" "$(srange "$ss" 3 4 %.3f)" "$(srange "$ss" 5 6 %.3f)" \
			"$(sfield "${SMP_CPU[$wl]}" 1 %.3f)" "${SMP_FROM[$wl]:-n/a}" "$(verdict 1.05 "$ss")"
	done
	echo
	node_rows=0
	for w in $WL; do
		case $w in node | node_nonames) node_rows=$((node_rows + 1)) ;; esac
	done
	case $node_rows in
	2)
		nn=$(wlratio full node node_nonames)
		nc=$(wlratio full node node_nonames 8)
		if [ -n "$nn" ]; then
			awk -v r="$nn" -v c="$nc" 'BEGIN { printf "JavaScript names (node with libleak full, LEAK_NODE=1 over LEAK_NODE=0, median of per-round ratios): %.2fx wall, %s CPU; target <= 1.2x: %s\n\n", r, c == "" ? "n/a" : sprintf("%.2fx", c), r <= 1.2 ? "met" : "NOT met" }'
		fi
		;;
	esac
	if [ -n "$GNU_TIME" ]; then
		echo "The same runs as CPU time (user + sys of the whole process tree, median of per-round ratios;"
		echo "ovh/ht CPU per round as above, min-max in brackets): less disturbed than wall time when"
		echo "other jobs share the machine; the targets use wall time."
		echo
		echo "| workload | full CPU | sampled CPU | fp CPU | heaptrack CPU | memcheck CPU | massif CPU | unw_backtrace CPU | forwarding CPU | ovh/ht CPU |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for wl in $WL; do
			cf=$(ratio full "$wl" 8) cs=$(ratio sampled "$wl" 8) ch=$(ratio heaptrack "$wl" 8)
			cm=$(ratio memcheck "$wl" 8) cv=$(ratio massif "$wl" 8) cu=$(ratio unwind "$wl" 8)
			cp=$(ratio fp "$wl" 8) cw=$(ratio forward "$wl" 8)
			co=$(ovh_rounds "$wl" 8 | stats)
			co=$([ -z "$co" ] || echo "$(sfield "$co" 2 %.2f) ($(srange "$co" 5 6 %.2f))")
			awk -v w="$wl" -v f="$cf" -v s="$cs" -v h="$ch" -v m="$cm" -v v="$cv" -v u="$cu" \
				-v p="$cp" -v fw="$cw" -v o="${co:-n/a}" '
				function x(r) { return r == "" ? "n/a" : sprintf("%.2fx", r) } BEGIN {
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w, x(f), x(s), x(p),
					x(h), x(m), x(v), x(u), x(fw), o }'
		done
		echo
	fi
	if [ ${#FRAME_ROWS[@]} -gt 0 ]; then
		echo "The walker on varied stacks (bench/varied_churn.c: every malloc through one of 2^(depth+1)"
		echo "paths chosen at random, no frame pointers): wall time over native per frame captured"
		echo "(allocations x frames a capture), median over rounds; LEAK_UNWIND=libunwind is libleak"
		echo "with its libunwind walker, run in the same rounds. full/libunwind and full/unw: median"
		echo "of the per-round ratios of wall times; target: full/libunwind <= 1."
		echo
		echo "| workload | frames | full ns/frame | LEAK_UNWIND=libunwind ns/frame | LEAK_UNWIND=fp ns/frame | unw_backtrace ns/frame | LEAK_UNWIND=libunwind | full/libunwind | full/unw | target |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${FRAME_ROWS[@]}"
		echo
		[ -z "$EXTRA_FRAME_LINE" ] || { echo "- $EXTRA_FRAME_LINE"; echo; }
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
	echo "- $SCAN_LINE"
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

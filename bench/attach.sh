#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attach.sh - `make bench`'s attached row: the same malloc/free churn (bench/attach_churn.c, two
# threads, five frames deep) natively, under LD_PRELOAD=libleak.so, and started natively with
# leak-attach attached before the churn begins. Runs are interleaved (native, preload,
# attached, then again) and the churn times itself, so start-up and the attach are left out.
# Prints one markdown table (medians of the rounds, and the median of the rounds' paired
# attached/preload ratios, the figure to hold within 10%) and writes it to
# $BENCH_OUT/attach.md.
# Environment: BUILD (default build), BENCH_ROUNDS (default 5), BENCH_ATTACH_CHURN (rounds of
# churn per run, default 20000), BENCH_OUT (default $BUILD/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
ROUNDS=${BENCH_ROUNDS:-5}
CHURN=${BENCH_ATTACH_CHURN:-20000}
OUT=${BENCH_OUT:-$BUILD/bench}
SO=$(realpath "$BUILD/libleak.so")
ATTACH=$(realpath "$BUILD/leak-attach")
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/libleak-bench-attach.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -g -pthread -o "$WORK/attach_churn" bench/attach_churn.c

# one MODE: one run; prints the churn's milliseconds.
one() {
	local mode=$1 d=$WORK/run pid
	rm -rf "$d"
	mkdir -p "$d/t"
	case $mode in
	native) "$WORK/attach_churn" "$d/go" "$CHURN" >"$d/ms" &
		pid=$! ;;
	preload) env LD_PRELOAD="$SO" LEAK_OUT="$d/t/leak.%e.%p.lkt" "$WORK/attach_churn" "$d/go" "$CHURN" >"$d/ms" &
		pid=$! ;;
	attached)
		"$WORK/attach_churn" "$d/go" "$CHURN" >"$d/ms" &
		pid=$!
		sleep 0.1
		"$ATTACH" -o "$d/t" "$pid" >/dev/null 2>"$d/attach.err" &
		local a=$!
		for _ in $(seq 400); do
			grep -q '^leak-attach: attached' "$d/attach.err" && break
			kill -0 "$a" 2>/dev/null || { cat "$d/attach.err" >&2; return 1; }
			sleep 0.05
		done
		;;
	esac
	touch "$d/go"
	wait "$pid"
	if [ "$mode" = attached ]; then
		wait "$a" || true
	fi
	cat "$d/ms"
}

declare -A all=()
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in native preload attached; do
		all[$mode]+="$(one "$mode") "
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
n=$(median <<<"${all[native]}")
p=$(median <<<"${all[preload]}")
a=$(median <<<"${all[attached]}")
# The ratio that matters is paired: attached / preload of the same round (runs seconds
# apart), then the median of those.
read -r -a pre <<<"${all[preload]}"
read -r -a att <<<"${all[attached]}"
ratios=
for ((i = 0; i < ${#pre[@]}; i++)); do
	ratios+="$(awk -v a="${att[$i]}" -v p="${pre[$i]}" 'BEGIN { printf "%.3f", a / p }') "
done
r=$(median <<<"$ratios")
{
	echo "| churn (2 threads, depth 5, $CHURN rounds), median of $ROUNDS | native | LD_PRELOAD | attached | attached / LD_PRELOAD (paired) |"
	echo "|---|---|---|---|---|"
	awk -v n="$n" -v p="$p" -v a="$a" -v r="$r" 'BEGIN { printf "| ms | %.0f | %.0f | %.0f | %.2f |\n", n, p, a, r }'
	echo
	echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); per-round ratios: $ratios"
} | tee "$OUT/attach.md"

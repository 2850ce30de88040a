#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - fuzz the collector's trace reader and analysis for SECONDS.
#   usage: tests/fuzz/run.sh SECONDS        (make fuzz: FUZZ_SECONDS, default 600)
# 1. Builds $BUILD/fuzz/fuzz_trace_reader: collector/*.c minus main.c plus
#    tests/fuzz/fuzz_trace_reader.c, clang -fsanitize=fuzzer,address,undefined.
# 2. Makes a seed corpus in a directory of its own ($BUILD/fuzz/run.XXXXXX/seeds, beside this
#    run's fuzz.log): real traces of a few small programs run under $BUILD/libleak.so (when
#    built), plus tests/data/*.lkt, made into seeds of both input modes by make_seeds.c.
# 3. Runs libFuzzer for SECONDS with -max_len=65536; new inputs accumulate in
#    $BUILD/fuzz/corpus. A crash, leak, UB report or timeout exits non-zero and the input is
#    saved as $BUILD/fuzz/crashes/<kind>-<sha1> (reproduce: $BUILD/fuzz/fuzz_trace_reader FILE).
# The last lines are libFuzzer's final stats (stat::number_of_executed_units ...).
set -euo pipefail

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}
[ $# -eq 1 ] || {
	usage >&2
	exit 2
}
case $1 in
-h | --help)
	usage
	exit 0
	;;
*[!0-9]* | '')
	echo "run.sh: SECONDS must be a number, got '$1'" >&2
	exit 2
	;;
esac
seconds=$1

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$BUILD/fuzz
# Objects, the corpus and crashes are shared; seeds, traces and the log belong to this run, so
# two runs at once (several test runs in one checkout) do not trample each other.
mkdir -p "$out/obj" "$out/corpus" "$out/crashes"
run=$(mktemp -d "$out/run.XXXXXX")
trap 'rm -rf "$run/traces"' EXIT
mkdir -p "$run/seeds" "$run/traces"
CLANG=${CLANG:-clang}

# --- 1. the target ----------------------------------------------------------------------
# shellcheck disable=SC2054 # the commas belong to one clang flag
san=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
cflags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Icommon -Icollector)
read -ra pkg_cflags <<<"$(pkg-config --cflags libdw libzstd)"
read -ra pkg_libs <<<"$(pkg-config --libs libdw libzstd)"
srcs=()
for f in collector/*.c; do
	[ "$f" = collector/main.c ] || srcs+=("$f")
done
objs=()
rebuilt=0
for f in "${srcs[@]}" tests/fuzz/fuzz_trace_reader.c; do
	o=$out/obj/$(basename "$f" .c).o
	objs+=("$o")
	# Rebuild an object when its source or any header is newer.
	if [ ! -e "$o" ] || [ -n "$(find "$f" collector common tests/fuzz -newer "$o" -name '*.[ch]' -print -quit)" ]; then
		extra=()
		[ "$f" = tests/fuzz/fuzz_trace_reader.c ] && extra=(-Werror)
		"$CLANG" "${cflags[@]}" "${extra[@]}" "${san[@]}" "${pkg_cflags[@]}" -c "$f" -o "$o.$$"
		mv -f "$o.$$" "$o"
		rebuilt=1
	fi
done
bin=$out/fuzz_trace_reader
if [ "$rebuilt" = 1 ] || [ ! -x "$bin" ]; then
	"$CLANG" "${san[@]}" -o "$bin.$$" "${objs[@]}" "${pkg_libs[@]}" -lz -lm
	mv -f "$bin.$$" "$bin"
fi
echo "fuzz: built $bin"

# --- 2. seeds ---------------------------------------------------------------------------
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Icommon -o "$run/make_seeds" tests/fuzz/make_seeds.c \
	"${pkg_libs[@]}"
traces=()
so=$BUILD/libleak.so
if [ -f "$so" ]; then
	lk_out=$run/traces/leak.%e.%p.lkt
	progs=$BUILD/progs/gcc
	# seed_run CMD...: one small program under the preload (bounded, output discarded).
	seed_run() {
		[ -x "$1" ] || [ "$1" = sh ] || return 0
		# shellcheck disable=SC2016 # expanded by that bash, which execs the program
		(ulimit -c 0 && timeout -k 5 60 bash -c 'export LD_PRELOAD=$1 LEAK_OUT=$2 \
			LEAK_INTERVAL_MS=20; shift 2; exec "$@"' seed "$so" "$lk_out" "$@" \
			>/dev/null 2>&1 </dev/null) 2>/dev/null || true
	}
	# Programs that put every record kind in a trace: heap sites and blocks, threads,
	# descriptors (closed and left open), children, exec, and a truncated trace (abort).
	seed_run sh -c 'echo hi | cat >/dev/null; ls / >/dev/null'
	seed_run "$progs/hard_longjmp"
	seed_run "$progs/hard_thread_exit" exit
	seed_run "$progs/hard_exit_paths" abort
	seed_run "$progs/hard_close_fds" close_range "$run/traces"
	seed_run "$progs/hard_posix_spawn"
	# A spawn storm writes dozens of near-identical traces: keep three per program, and
	# none that stopped before its first chunk (a header alone seeds nothing).
	declare -A per_exe=()
	for t in "$run"/traces/*.lkt; do
		if [ ! -f "$t" ] || [ "$(stat -c %s "$t")" -le 64 ]; then
			continue
		fi
		e=$(basename "$t" | cut -d. -f2)
		per_exe[$e]=$((${per_exe[$e]:-0} + 1))
		[ "${per_exe[$e]}" -le 3 ] && traces+=("$t")
	done
fi
for t in tests/data/*.lkt; do
	[ -f "$t" ] && traces+=("$t")
done
if [ ${#traces[@]} -gt 0 ]; then
	# A trace that does not parse is reported, not fatal: bad inputs in tests/data are seeds too.
	"$run/make_seeds" "$run/seeds" "${traces[@]}" 2>"$run/make_seeds.err" ||
		echo "fuzz: $(wc -l <"$run/make_seeds.err") traces gave no seeds (bad inputs in tests/data, or stopped before a chunk): $run/make_seeds.err"
	for t in tests/data/*.lkt; do
		[ -f "$t" ] && { printf '\0' && cat "$t"; } >"$run/seeds/data.$(basename "$t").file"
	done
else
	echo "fuzz: no traces to seed from (build libleak.so first); starting from an empty corpus"
fi

# --- 3. fuzz ----------------------------------------------------------------------------
log=$run/fuzz.log
rc=0
# Each libFuzzer option is one word; ASAN_OPTIONS keeps reports short and exit codes plain.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:symbolize=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	timeout -k 10 $((seconds + 120)) "$bin" -max_len=65536 -max_total_time="$seconds" \
	-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict=tests/fuzz/trace.dict \
	-artifact_prefix="$out/crashes/" "$out/corpus" "$run/seeds" >"$log" 2>&1 || rc=$?
grep -E '^(stat::|Done [0-9]+ runs|#[0-9]+ +DONE)' "$log" || true
if [ "$rc" -ne 0 ]; then
	echo "fuzz: FAILED (libFuzzer exit $rc); the report:"
	grep -m1 -B2 -A40 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|ALARM' "$log" || tail -n 60 "$log"
	echo "fuzz: saved inputs:"
	find "$out/crashes" -type f -printf '  %p (%s bytes)\n'
	echo "fuzz: reproduce with: $bin $out/crashes/<file>   (full log: $log)"
	exit 1
fi
echo "fuzz: clean: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') executions in ${seconds}s, corpus $(find "$out/corpus" -type f | wc -l) inputs"

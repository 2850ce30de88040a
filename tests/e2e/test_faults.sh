#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_faults.sh - the preload under faults it cannot prevent. In every case the
# program's exit status and stdout must equal a native run's, and nothing may hang:
#   unwritable LEAK_OUT   a missing directory, a path through a regular file, and a read-only
#                         mount: exactly one libleak line on stderr, no trace, no change.
#   planted paths         a symlink and an existing file at LEAK_OUT: neither is followed or
#                         overwritten (O_NOFOLLOW|O_EXCL); traces are mode 0600.
#   disk full             a 64 KiB tmpfs (ENOSPC; skipped with a note where mount is not
#                         allowed) and RLIMIT_FSIZE with SIGXFSZ ignored (EFBIG, always): one
#                         stderr line, and the trace up to the fault reads (exit 0).
#   ring overflow         16 threads allocating flat out with a 60 s interval: dropped events
#                         are counted and reported; with none dropped the counts are exact.
#   SIGKILL mid-write     killed at random moments while writing a snapshot every 10 ms: the
#                         trace reads up to its last complete chunk; and a complete trace cut
#                         at every chunk boundary and inside every chunk reads as truncated.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

mounts=()
_faults_cleanup() {
	local rc=$? m
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	return "$rc"
}
trap '_faults_cleanup; _lk_cleanup' EXIT

# The command lkr_pair runs: the preload (leak run only) with LEAK_OUT=$1 and an optional
# file-size limit in KiB ($2, "-" for none; SIGXFSZ ignored so write fails with EFBIG), then
# exec the program. Both runs get the same limit.
# shellcheck disable=SC2016 # expanded by that bash
WITH_OUT='out=$1 fsize=$2; shift 2
if [ "$fsize" != - ]; then trap "" XFSZ; ulimit -f "$fsize"; fi
if [ "$LKR_MODE" = leak ]; then export LD_PRELOAD=$LEAK_SO LEAK_OUT=$out; fi
exec "$@"'

# traced OUT CMD...: CMD under the preload (LEAK_OUT=OUT, a snapshot every 10 ms), bounded;
# the preload goes on inside timeout(1) so that only CMD is traced.
# shellcheck disable=SC2016 # expanded by that bash
traced() {
	local out=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout -k 5 "$T_LIMIT" bash -c 'export LD_PRELOAD=$1 LEAK_OUT=$2 LEAK_INTERVAL_MS=10
		shift 2; exec "$@"' traced "$LEAK_SO" "$out" "$@"
}

loop=$(prog gcc fault_alloc_loop)
need "$loop"

# --- unwritable LEAK_OUT ------------------------------------------------------------------
touch "$TMP/a-file"
unwritable=("$TMP/no/such/dir/leak.%p.lkt" "$TMP/a-file/leak.%p.lkt")
if mkdir -p "$TMP/ro" && mount -t tmpfs -o ro,size=64k tmpfs "$TMP/ro" 2>/dev/null; then
	mounts+=("$TMP/ro")
	unwritable+=("$TMP/ro/leak.%p.lkt") # root ignores mode bits: only a read-only mount stops it
else
	note "cannot mount tmpfs here: the read-only-mount case is skipped (the other two run)"
fi
for out in "${unwritable[@]}"; do
	LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_STDERR_EXTRA=1 LKR_MIN_TRACES=0 LKR_TRACES_EXACT=0 \
		lkr_pair "unwritable.$(basename "$(dirname "$out")")" bash -c "$WITH_OUT" _ "$out" - "$loop" 100
	note "unwritable $out: $(grep -i libleak "$LKR_LEAK/stderr")"
done

# --- a planted symlink and an existing file at the trace path --------------------------------
# The preload creates traces with O_EXCL|O_NOFOLLOW: it must neither follow the link nor
# overwrite the file (it may pick another name or give up with a warning), and the program
# runs unchanged either way.
expected=$(timeout -k 5 "$T_LIMIT" "$loop" 20)
mkdir -p "$TMP/planted"
echo "victim file" >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/planted/leak.lkt"
echo "existing trace" >"$TMP/planted/existing.lkt"
for name in leak existing; do
	rc=0
	got=$(traced "$TMP/planted/$name.lkt" "$loop" 20 2>"$TMP/planted.$name.err") || rc=$?
	[ "$rc" -eq 0 ] || fail "planted $name: the program exited $rc under libleak"
	assert_eq "$got" "$expected" "planted $name: stdout"
	note "planted $name: stderr: $(head -c 300 "$TMP/planted.$name.err")"
done
assert_eq "$(cat "$TMP/victim")" "victim file" "the symlink's target after a run (O_NOFOLLOW)"
[ -L "$TMP/planted/leak.lkt" ] || fail "the planted symlink was replaced"
assert_eq "$(cat "$TMP/planted/existing.lkt")" "existing trace" "an existing file at LEAK_OUT (O_EXCL)"
for t in "$TMP"/planted/*.lkt; do
	[ -L "$t" ] || [ "$t" = "$TMP/planted/existing.lkt" ] || {
		[ "$(stat -c %a "$t")" = 600 ] || fail "$t: mode $(stat -c %a "$t"), not 600"
		report_json "$t" >/dev/null
		note "planted: the preload wrote $(basename "$t") instead, mode 600, reads"
	}
done

# --- disk full ------------------------------------------------------------------------------
# check_full NAME TRACE_DIR MIN_BYTES: the trace reads (exit 0) and really hit the limit.
check_full() {
	local t size
	t=$(find "$2" -name '*.lkt' | head -n 1)
	[ -n "$t" ] || fail "$1: no trace written before the disk filled"
	size=$(stat -c %s "$t")
	[ "$size" -ge "$3" ] || fail "$1: the trace is only $size bytes: the workload never filled the disk"
	LKR_JSON=$(report_json "$t")
	note "$1: trace of $size bytes reads: $(jq -c '.processes[0] | {snapshots, truncated, truncation}' <<<"$LKR_JSON")"
	assert_jq "$LKR_JSON" '.processes[0].snapshots >= 1' true "$1: snapshots before the fault"
}
# 600 rounds of about 200 changing stacks every 10 ms write far more than 64 KiB.
if mkdir -p "$TMP/small" && mount -t tmpfs -o size=64k tmpfs "$TMP/small" 2>/dev/null; then
	mounts+=("$TMP/small")
	LEAK_INTERVAL_MS=10 LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_STDERR_EXTRA=1 LKR_MIN_TRACES=0 \
		lkr_pair enospc bash -c "$WITH_OUT" _ "$TMP/small/leak.%e.%p.lkt" - "$loop" 600
	check_full enospc "$TMP/small" 32768
else
	note "SKIP ENOSPC on tmpfs: mount not allowed here; the RLIMIT_FSIZE case below covers a full disk"
fi
mkdir -p "$TMP/fsize"
LEAK_INTERVAL_MS=10 LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_STDERR_EXTRA=1 LKR_MIN_TRACES=0 \
	lkr_pair efbig bash -c "$WITH_OUT" _ "$TMP/fsize/leak.%e.%p.lkt" 64 "$loop" 600
check_full efbig "$TMP/fsize" 32768

# --- ring overflow --------------------------------------------------------------------------
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fault_burst)
	need "$p"
	LEAK_INTERVAL_MS=60000 LKR_LIMIT=$((120 * ${LEAK_TEST_TIMEOUT_MULT:-1})) LKR_EXPECT_STATUS=0 \
		LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "burst.$cc" "$p"
	if [ "$LKR_DROPPED" -gt 0 ]; then
		text=$("$LEAK_REPORT" "$LKR_LEAK/traces") || fail "leak-report (text) on the burst trace failed"
		assert_match "$text" "$LKR_DROPPED|[Dd]ropped" "burst.$cc: the text report mentions dropped events"
		note "burst.$cc: $LKR_DROPPED events dropped, counted and reported"
	else
		# The program keeps every leaked block in the global burst_sink, so the exit scan
		# must class all of them "reachable" (none "leak").
		reach='[.processes[].findings[] | select(.kind == "reachable") |
			select(any(.stack[0:4][]; .function == "burst_leak"))]'
		assert_jq "$LKR_JSON" "[${reach}[] | .count] | add // 0" 16000 \
			"burst.$cc: live blocks from burst_leak, all reachable from burst_sink"
		assert_jq "$LKR_JSON" "[${reach}[] | .bytes] | add // 0" 768000 \
			"burst.$cc: live bytes from burst_leak"
		assert_jq "$LKR_JSON" 'count_in("burst_leak")' 0 "burst.$cc: none of them a leak"
		note "burst.$cc: no events dropped (the rings wait), counts exact: 16000 blocks, 768000 bytes"
	fi
done

# --- SIGKILL mid-write ----------------------------------------------------------------------
for i in 1 2 3 4 5 6; do
	d=$TMP/kill$i
	mkdir -p "$d"
	# timeout itself in the background (not the traced function: that would background a
	# subshell): timeout leads its own process group, so killing the group reaches the
	# program. Killing only timeout would orphan the program, which then loops forever.
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout -k 5 "$T_LIMIT" bash -c 'export LD_PRELOAD=$1 LEAK_OUT=$2 LEAK_INTERVAL_MS=10
		shift 2; exec "$@"' traced "$LEAK_SO" "$d/leak.%e.%p.lkt" "$loop" forever \
		>/dev/null 2>"$d/stderr" </dev/null &
	pid=$!
	at_exit "kill -KILL -- -$pid 2>/dev/null || true"
	# 0.3 .. 1.5 s: after the first snapshot, somewhere in the stream of chunks.
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.3 + (r % 1200) / 1000 }')"
	kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for _ in $(seq 40); do # SIGKILL is delivered asynchronously: give it up to 2 s
		pgrep -f "$loop forever" >/dev/null || break
		sleep 0.05
	done
	! pgrep -f "$loop forever" >/dev/null || fail "kill$i: the program outlived its SIGKILL"
	t=$(find "$d" -name '*.lkt' | head -n 1)
	[ -n "$t" ] || fail "kill$i: no trace written"
	LKR_JSON=$(report_json "$t")
	assert_jq "$LKR_JSON" '.processes[0] | (.truncated or .cut_short) and .snapshots >= 1' true \
		"kill$i: a SIGKILLed trace reads, cut short, with its snapshots"
	note "kill$i: $(stat -c %s "$t") bytes: $(jq -c '.processes[0] | {snapshots, truncated, cut_short, truncation}' <<<"$LKR_JSON")"
done

# A complete trace, cut at every chunk boundary and inside every chunk (first 40 chunks).
d=$TMP/cut
mkdir -p "$d"
traced "$d/leak.%e.%p.lkt" "$loop" 100 >/dev/null </dev/null
full=$(find "$d" -name '*.lkt' | head -n 1)
[ -n "$full" ] || fail "cut: no trace written"
size=$(stat -c %s "$full")
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
off=$(($(od -An -tu2 -j 10 -N2 "$full" | tr -d ' ')))
n=0
cuts=0
while [ $((off + 12)) -le "$size" ] && [ "$n" -lt 40 ]; do
	clen=$(u32 "$full" $((off + 4)))
	end=$((off + 12 + clen))
	[ "$end" -le "$size" ] || fail "cut: chunk $n runs past the end of a complete trace"
	for at in $((off + 6)) $((off + 12 + clen / 2)) "$end"; do
		[ "$at" -lt "$size" ] || continue
		head -c "$at" "$full" >"$d/cut.lkt"
		rc=0
		out=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "$d/cut.lkt" 2>"$d/cut.err") || rc=$?
		cuts=$((cuts + 1))
		if [ "$n" -eq 0 ] && [ "$at" -lt "$end" ]; then
			# Before the first complete chunk: nothing to read. Exit 0 or 2, one stderr line.
			[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "cut at $at (inside chunk 0): leak-report exit $rc"
			[ "$rc" -eq 0 ] || [ "$(wc -l <"$d/cut.err")" -eq 1 ] ||
				fail "cut at $at: expected one stderr line, got: $(cat "$d/cut.err")"
			continue
		fi
		[ "$rc" -eq 0 ] || fail "cut at $at (chunk $n of a good trace): leak-report exit $rc: $(cat "$d/cut.err")"
		if [ "$at" -lt "$end" ]; then
			assert_jq "$out" '.processes[0].truncated' true "cut at byte $at, inside chunk $n"
		else
			assert_jq "$out" '.processes[0].cut_short // .processes[0].truncated' true \
				"cut at byte $at, after chunk $n (no END)"
		fi
	done
	off=$end
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "cut: only $n chunks in a 1 s trace at a 10 ms interval"
note "cut: $cuts cuts over the first $n chunks of a $size-byte trace all read as expected"

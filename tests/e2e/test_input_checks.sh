#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_input_checks.sh - inputs checked, with the value. LEAK_* booleans take
# 1/0/yes/no/true/false/on/off and sizes k/m/g (LEAK_DISABLE=yes, LEAK_SAMPLE=512k); a bad
# value gets one line naming it and what is allowed; LEAK_OUT naming an existing file says
# where the trace goes instead and leaves the file alone. leak-report: --diff indices out of
# range, --format pprof to a terminal, a header-only trace under --fail-on are exit 2 with
# one line; leak-run on a missing program says so without bash's line numbers, and on a trace
# directory it cannot create gives one line with mkdir's reason. Every option
# of leak-report and leak-view goes through one parser (collector/parse.c) with one message
# shape, and leak-run -i / leak-soak take the same durations.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_REPORT" "$LEAK_SO"
LEAK_RUN=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-run
prog_c=$(prog gcc heap_inline)
need "$prog_c"
run() { # run OUTDIR [VAR=VALUE...]: heap_exit under the preload, stderr to OUTDIR/err
	local d=$1
	shift
	mkdir -p "$d"
	timeout "$T_LIMIT" env "$@" LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/t.lkt" "$prog_c" >/dev/null 2>"$d/err" || true
}

note "booleans"
for v in yes true on YES 1; do
	run "$TMP/dis-$v" LEAK_DISABLE="$v"
	[ ! -e "$TMP/dis-$v/t.lkt" ] || fail "LEAK_DISABLE=$v still wrote a trace"
	[ ! -s "$TMP/dis-$v/err" ] || fail "LEAK_DISABLE=$v: $(cat "$TMP/dis-$v/err")"
done
for v in no false off 0; do
	run "$TMP/en-$v" LEAK_DISABLE="$v"
	[ -e "$TMP/en-$v/t.lkt" ] || fail "LEAK_DISABLE=$v wrote no trace"
done
run "$TMP/dis-bad" LEAK_DISABLE=maybe
assert_eq "$(cat "$TMP/dis-bad/err")" \
	"libleak: LEAK_DISABLE=maybe is not a boolean (1, 0, yes, no, true, false, on, off); using 0" \
	"bad boolean message"

note "sizes"
run "$TMP/s512k" LEAK_SAMPLE=512k
[ ! -s "$TMP/s512k/err" ] || fail "LEAK_SAMPLE=512k: $(cat "$TMP/s512k/err")"
assert_jq "$("$LEAK_REPORT" --json "$TMP/s512k/t.lkt")" '.processes[0].sample_bytes' 524288 "LEAK_SAMPLE=512k"
run "$TMP/sbad" LEAK_SAMPLE=12x
assert_eq "$(cat "$TMP/sbad/err")" \
	"libleak: LEAK_SAMPLE=12x is not in 0..1073741824 bytes (suffix k, m or g allowed); using 0" \
	"bad size message"
run "$TMP/sbig" LEAK_SAMPLE=2g
assert_match "$(cat "$TMP/sbig/err")" '^libleak: LEAK_SAMPLE=2g is not in 0\.\.1073741824 bytes' "size out of range"

note "LEAK_OUT on an existing file"
mkdir -p "$TMP/exist"
echo "keep me" >"$TMP/exist/t.lkt"
run "$TMP/exist"
assert_eq "$(cat "$TMP/exist/t.lkt")" "keep me" "the existing file is left alone"
assert_eq "$(cat "$TMP/exist/err")" \
	"libleak: LEAK_OUT: $TMP/exist/t.lkt exists; writing $TMP/exist/t.2.lkt instead (the existing file is left alone)" \
	"LEAK_OUT message"
[ -s "$TMP/exist/t.2.lkt" ] || fail "no trace at t.2.lkt"

note "leak-report: --diff out of range"
trace=$TMP/en-0/t.lkt
n=$("$LEAK_REPORT" --json "$trace" | jq '.processes[0].snapshots')
for args in "999 -1" "0 -$((n + 1))" "$n 0"; do
	rc=0
	# shellcheck disable=SC2086 # two operands
	"$LEAK_REPORT" --diff $args "$trace" >/dev/null 2>"$TMP/err" || rc=$?
	assert_eq "$rc" 2 "--diff $args: exit status"
	assert_match "$(cat "$TMP/err")" "^leak-report: .*t\.lkt: --diff -?[0-9]+: the trace has $n snapshots \(0\.\.$((n - 1)), or -$n\.\.-1\)$" "--diff $args: message"
done
"$LEAK_REPORT" --diff 0 -1 "$trace" >/dev/null || fail "--diff 0 -1 refused"
rc=0
"$LEAK_REPORT" --diff 0 999s "$trace" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "--diff 0 999s: exit status"

note "leak-report: pprof to a terminal"
if command -v script >/dev/null; then
	out=$(script -qec "$LEAK_REPORT --format pprof $trace; echo rc=\$?" /dev/null </dev/null | tr -d '\r')
	assert_match "$out" 'leak-report: --format pprof writes binary data: give -o FILE' "pprof to a tty: message"
	assert_match "$out" 'rc=2' "pprof to a tty: exit status"
else
	echo "SKIP: pprof to a terminal: script(1) not installed (Debian package bsdutils)"
fi

note "leak-report: a header-only trace under --fail-on"
head -c 16 "$trace" >"$TMP/header.lkt"
rc=0
"$LEAK_REPORT" --fail-on leak "$TMP/header.lkt" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "header-only trace under --fail-on: exit status"
assert_match "$(cat "$TMP/err")" 'header.lkt: no process record .*nothing for --fail-on to check' "header-only message"

note "leak-run: a missing program"
rc=0
(cd "$TMP" && "$LEAK_RUN" -- ./nonexistent >/dev/null 2>"$TMP/err") || rc=$?
assert_eq "$rc" 127 "leak-run ./nonexistent: exit status"
assert_eq "$(cat "$TMP/err")" "leak-run: ./nonexistent: no such file" "leak-run ./nonexistent: message"
ls -d "$TMP"/leak-run.* >/dev/null 2>&1 && fail "leak-run made a trace directory for a missing program"
rc=0
(cd "$TMP" && "$LEAK_RUN" -- no-such-command-here >/dev/null 2>"$TMP/err") || rc=$?
assert_eq "$rc" 127 "leak-run no-such-command: exit status"
assert_eq "$(cat "$TMP/err")" "leak-run: no-such-command-here: command not found" "leak-run missing command: message"

note "leak-run: a trace directory it cannot create, one line with the reason"
touch "$TMP/afile"
for d in "$TMP/afile:File exists" "$TMP/afile/sub:Not a directory"; do
	rc=0
	"$LEAK_RUN" -o "${d%%:*}" -- true >/dev/null 2>"$TMP/err" || rc=$?
	assert_eq "$rc" 125 "leak-run -o ${d%%:*}: exit status"
	assert_eq "$(cat "$TMP/err")" "leak-run: cannot create ${d%%:*}: ${d#*:}" "leak-run -o ${d%%:*}: message"
done

note "leak-view: sizes as leak-report takes them, bad numbers named"
LEAK_VIEW=$BUILD_ABS/leak-view
"$LEAK_VIEW" --min-bytes 64k "$trace" -o "$TMP/v.html" || fail "leak-view --min-bytes 64k refused"
rc=0
"$LEAK_VIEW" --min-bytes 64x "$trace" -o "$TMP/v.html" 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "leak-view --min-bytes 64x: exit status"
assert_eq "$(cat "$TMP/err")" "leak-view: --min-bytes: '64x' is not a size (0..18446744073709551615 bytes; suffix k, m or g allowed)" "leak-view bad size message"

note "options: one parser, one message shape (OPT: 'VALUE' is not a WHAT (ALLOWED))"
bad() { # bad TOOL EXPECTED-STATUS EXPECTED-LINE ARGS...
	local tool=$1 want=$2 line=$3 rc=0
	shift 3
	"$tool" "$@" >/dev/null 2>"$TMP/err" || rc=$?
	assert_eq "$rc" "$want" "$(basename "$tool") $*: exit status"
	assert_eq "$(cat "$TMP/err")" "$line" "$(basename "$tool") $*: message"
}
R=$LEAK_REPORT
bad "$R" 2 "leak-report: --top: 'x' is not a count (0..4294967295)" --top x "$trace"
bad "$R" 2 "leak-report: --frames: '-1' is not a count (0..100000)" --frames -1 "$trace"
bad "$R" 2 "leak-report: --pid: '0' is not a count (1..4294967295)" --pid 0 "$trace"
bad "$R" 2 "leak-report: --min-bytes: '1.5k' is not a size (0..18446744073709551615 bytes; suffix k, m or g allowed)" --min-bytes 1.5k "$trace"
bad "$R" 2 "leak-report: --limit: '0' is not a size (1..18446744073709551615 bytes; suffix k, m or g allowed)" --limit 0 "$trace"
bad "$R" 2 "leak-report: --every: '0.01' is not a duration (0.05..86400 seconds; suffix s, m, h or d allowed)" --every 0.01 "$trace"
bad "$R" 2 "leak-report: --every: '5ms' is not a duration (0.05..86400 seconds; suffix s, m, h or d allowed)" --every 5ms "$trace"
bad "$R" 2 "leak-report: --window: '1x:' is not START:END (durations from the start, negative from the end, either side empty; e.g. 10:, -60:, 5:30, 1m:2m)" --window 1x: "$trace"
bad "$R" 2 "leak-report: --diff: '3x' is not a snapshot (an index, negative from the end, or a time like 10s, 2m, 1h)" --diff 3x 0 "$trace"
# Forms accepted before and the ones every tool now shares.
"$R" --min-bytes 64K --limit 1G --top 0 --frames 3 --window 0.5s: --every 2s "$trace" >/dev/null ||
	fail "leak-report refused sizes/durations it takes"
"$R" --window -1m: --diff 0 0s --fail-on 'leak>1.5k,growth>1m/h,fd>10' "$trace" >/dev/null 2>&1 ||
	[ $? -eq 3 ] || fail "leak-report refused --window -1m: / --diff 0s / --fail-on limits"
bad "$LEAK_VIEW" 2 "leak-view: --top: 'x' is not a count (0..4294967295)" --top x "$trace" -o "$TMP/v.html"
bad "$LEAK_VIEW" 2 "leak-view: --points: '0' is not a count (1..4294967295)" --points 0 "$trace" -o "$TMP/v.html"
bad "$LEAK_VIEW" 2 "leak-view: --pid: 'abc' is not a count (1..4294967295)" --pid abc "$trace" -o "$TMP/v.html"

note "leak-run, leak-soak: the same durations, one clean line for a bad one"
bad "$LEAK_RUN" 125 "leak-run: -i: '1x' is not a duration (seconds, e.g. 1, 0.25, 2s, 500ms)" -i 1x -- true
LEAK_SOAK=$(dirname "$LEAK_RUN")/leak-soak
bad "$LEAK_SOAK" 125 "leak-soak: --interval: '1 s' is not a duration (seconds, e.g. 30, 0.5, 30s, 2m, 1h, 1d, 500ms)" --duration 1 --interval '1 s' -- true
bad "$LEAK_SOAK" 125 "leak-soak: --top: 'x' is not a count (0..999999999)" --duration 1 --top x -- true
for i in 0.25 0.25s 250ms; do
	(cd "$TMP" && "$LEAK_RUN" -o "$TMP/run-$i" -i "$i" --json -- true >"$TMP/run.json" 2>"$TMP/err") ||
		fail "leak-run -i $i refused: $(cat "$TMP/err")"
done

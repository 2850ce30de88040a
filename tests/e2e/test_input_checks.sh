#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_input_checks.sh - inputs checked, with the value. LEAK_* booleans take
# 1/0/yes/no/true/false/on/off and sizes k/m/g (LEAK_DISABLE=yes, LEAK_SAMPLE=512k); a bad
# value gets one line naming it and what is allowed; LEAK_OUT naming an existing file says
# where the trace goes instead and leaves the file alone. leak-report: --diff indices out of
# range, --format pprof to a terminal, a header-only trace under --fail-on are exit 2 with
# one line; leak-run on a missing program says so without bash's line numbers.
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

note "leak-view: sizes as leak-report takes them, bad numbers named"
LEAK_VIEW=$BUILD_ABS/leak-view
"$LEAK_VIEW" --min-bytes 64k "$trace" -o "$TMP/v.html" || fail "leak-view --min-bytes 64k refused"
rc=0
"$LEAK_VIEW" --min-bytes 64x "$trace" -o "$TMP/v.html" 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "leak-view --min-bytes 64x: exit status"
assert_eq "$(cat "$TMP/err")" "leak-view: --min-bytes: '64x' is not a size (0..18446744073709551615 bytes; suffix k, m or g allowed)" "leak-view bad size message"

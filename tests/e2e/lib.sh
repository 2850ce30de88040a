# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# lib.sh - helpers shared by every tests/e2e/test_*.sh. Source it first thing:
#
#   set -euo pipefail
#   # shellcheck source=tests/e2e/lib.sh
#   . "$(dirname "$0")/lib.sh"
#
# It sets:
#   LEAK_SO, LEAK_REPORT  absolute paths of build/libleak.so and build/leak-report
#   PROGS_DIR             $BUILD_ABS/progs (progs are $PROGS_DIR/{gcc,clang}/NAME)
#   COMPILERS             (gcc clang): loop over it to test both builds of a prog
#   TMP                   a fresh directory under $BUILD_ABS/e2e-tmp, removed when the test
#                         passes and kept (path printed) when it fails
#   T_LIMIT               seconds any one program may run (60 x LEAK_TEST_TIMEOUT_MULT)
# and defines the functions below (at_exit adds to the EXIT trap; do not set your own). Every program runs under `timeout`. A failed assertion
# prints "FAIL: what: expected X, got Y" (plus the JSON it looked at) and exits 1.
# Works when run.sh runs the test (BUILD, BUILD_ABS set) and when run by hand from the repo
# top (BUILD defaults to build).

BUILD=${BUILD:-build}
BUILD_ABS=${BUILD_ABS:-$(cd "$BUILD" 2>/dev/null && pwd || echo "$PWD/$BUILD")}
LEAK_SO=$BUILD_ABS/libleak.so
LEAK_REPORT=$BUILD_ABS/leak-report
PROGS_DIR=$BUILD_ABS/progs
# shellcheck disable=SC2034 # used by the tests that source this file
COMPILERS=(gcc clang)
T_LIMIT=$((60 * ${LEAK_TEST_TIMEOUT_MULT:-1}))
export BUILD BUILD_ABS LEAK_SO LEAK_REPORT PROGS_DIR T_LIMIT

mkdir -p "$BUILD_ABS/e2e-tmp"
TMP=$(mktemp -d "$BUILD_ABS/e2e-tmp/$(basename "$0" .sh).XXXXXX")
_lk_runs=0

_lk_at_exit=()

# at_exit COMMAND: run COMMAND (a string, eval'd) when the test ends, before the temp dir is
# handled, e.g. `at_exit 'kill -KILL "$server_pid" 2>/dev/null || true'`. Use this instead
# of a trap of your own: a second EXIT trap would replace the cleanup.
at_exit() {
	_lk_at_exit+=("$1")
}

_lk_cleanup() {
	local rc=$? c
	for c in "${_lk_at_exit[@]}"; do
		eval "$c" || true
	done
	if [ "$rc" -eq 0 ]; then
		rm -rf "$TMP"
	else
		echo "e2e: test failed (exit $rc); its files are kept in $TMP" >&2
	fi
	return "$rc"
}
trap _lk_cleanup EXIT

# fail MESSAGE...: print "FAIL: MESSAGE" on stderr and end the test with exit 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# note MESSAGE...: progress line in the test log.
note() {
	echo "--- $*"
}

# need FILE...: fail unless each file exists and is executable (a missing tool or prog is a
# failure, never a silent skip).
need() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || fail "missing $f (run make all progs)"
	done
}

# prog CC NAME: path of test program NAME built by compiler CC (gcc or clang).
prog() {
	echo "$PROGS_DIR/$1/$2"
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
}

# assert_match TEXT REGEX WHAT (extended regex, grep -E)
assert_match() {
	grep -Eq -- "$2" <<<"$1" || fail "$3: '$1' does not match /$2/"
}

# jq definitions every jq_get/assert_jq filter may use:
#   leaks                 all "leak" findings of every process
#   leaks_in($f)          the "leak" findings with function $f among their first 4 frames
#   count_in($f)          sum of .count over leaks_in($f) (0 if none)
#   bytes_in($f)          sum of .bytes over leaks_in($f) (0 if none)
# shellcheck disable=SC2016 # jq variables, not shell ones
LK_JQ_DEFS='
def leaks: [.processes[].findings[] | select(.kind == "leak")];
def leaks_in($f): [leaks[] | select(any(.stack[0:4][]; .function == $f))];
def count_in($f): [leaks_in($f)[].count] | add // 0;
def bytes_in($f): [leaks_in($f)[].bytes] | add // 0;
'

# jq_get JSON FILTER: print jq -r FILTER applied to JSON (with the definitions above).
jq_get() {
	jq -r "$LK_JQ_DEFS $2" <<<"$1" || fail "jq filter failed: $2"
}

# assert_jq JSON FILTER EXPECTED [WHAT]: jq -r FILTER on JSON must print exactly EXPECTED.
assert_jq() {
	local got
	got=$(jq -r "$LK_JQ_DEFS $2" <<<"$1") || fail "jq filter failed: $2"
	if [ "$got" != "$3" ]; then
		echo "JSON was:" >&2
		{ jq . <<<"$1" || printf "%s\n" "$1"; } | head -n 200 >&2 || true
		fail "${4:-$2}: expected '$3', got '$got'"
	fi
}

# assert_jq_file FILE FILTER EXPECTED WHAT: as assert_jq, on a report in a file (a Python
# process's report holds thousands of findings: too large to pass around in shell variables).
assert_jq_file() {
	local got
	got=$(jq -r "$LK_JQ_DEFS $2" "$1") || fail "jq filter failed: $2"
	[ "$got" = "$3" ] || fail "$4: expected '$3', got '$got'"
}

# need_python311: set PY to /usr/bin/python3 if that is CPython 3.11 (the layout the Python
# tests expect); otherwise print a SKIP line and end the test (status 0).
need_python311() {
	# shellcheck disable=SC2034 # used by the tests that call this
	PY=/usr/bin/python3
	if ! [ -x "$PY" ] || ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
		echo "SKIP: $PY is not Python 3.11 (apt-get install python3)"
		exit 0
	fi
}

# run_native PROG ARGS...: run without the preload (under timeout). Sets RUN_STATUS and
# RUN_STDOUT / RUN_STDERR (paths of files holding the output). Never fails by itself.
run_native() {
	_lk_runs=$((_lk_runs + 1))
	local d=$TMP/run$_lk_runs
	mkdir -p "$d"
	RUN_STDOUT=$d/stdout
	RUN_STDERR=$d/stderr
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" "$@" >"$RUN_STDOUT" 2>"$RUN_STDERR" </dev/null || RUN_STATUS=$?
}

# run_traced OUTVAR PROG ARGS...: run PROG under LD_PRELOAD=$LEAK_SO with
# LEAK_OUT=<fresh dir>/leak.%e.%p.lkt (other LEAK_* from the caller's environment, e.g.
# `LEAK_INTERVAL_MS=100 run_traced t prog`). Sets OUTVAR to the one trace written (fails if
# there is not exactly one), and RUN_STATUS, RUN_STDOUT, RUN_STDERR as run_native does.
# The program's exit status is not checked: compare RUN_STATUS yourself.
run_traced() {
	local outvar=$1
	shift
	_lk_runs=$((_lk_runs + 1))
	local d=$TMP/run$_lk_runs
	mkdir -p "$d/out"
	RUN_STDOUT=$d/stdout
	RUN_STDERR=$d/stderr
	RUN_STATUS=0
	# env, not a prefix assignment: timeout itself must not run under the preload.
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/out/leak.%e.%p.lkt" "$@" \
		>"$RUN_STDOUT" 2>"$RUN_STDERR" </dev/null || RUN_STATUS=$?
	local traces=("$d"/out/*.lkt)
	[ -e "${traces[0]}" ] || fail "$* wrote no trace in $d/out (status $RUN_STATUS; stderr: $(head -c 500 "$RUN_STDERR"))"
	[ ${#traces[@]} -eq 1 ] || fail "$* wrote ${#traces[@]} traces, expected 1: ${traces[*]}"
	printf -v "$outvar" '%s' "${traces[0]}"
}

# wait_for FILE REGEX [SECONDS]: wait (default 10 s x LEAK_TEST_TIMEOUT_MULT) until a line of
# FILE matches REGEX (grep -E); fail if it never does. For programs started in the background.
wait_for() {
	local tries=$((${3:-10} * ${LEAK_TEST_TIMEOUT_MULT:-1} * 20))
	while [ "$tries" -gt 0 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "no line matching /$2/ in $1 after ${3:-10}s"
}

# report_json TRACE...: print leak-report --json for the traces; fails (with leak-report's
# stderr) unless it exits 0.
report_json() {
	local rc=0 err=$TMP/report.stderr
	timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "$@" 2>"$err" || rc=$?
	[ "$rc" -eq 0 ] || fail "leak-report --json $* exited $rc: $(head -c 500 "$err")"
}

# soak_bg NAME ARGS...: scripts/leak-soak ARGS -o $TMP/NAME in the background, under a timeout
# of twice T_LIMIT; its status goes to $TMP/NAME.rc, its stdout and stderr to $TMP/NAME.out
# and $TMP/NAME.err. `wait` for it before reading them.
soak_bg() {
	local name=$1 soak
	shift
	soak=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/leak-soak
	(
		_lk_st=0
		timeout -k 5 "$((T_LIMIT * 2))" "$soak" -o "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || _lk_st=$?
		echo "$_lk_st" >"$TMP/$name.rc"
	) &
}

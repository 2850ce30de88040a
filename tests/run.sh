#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - run test executables (cmocka binaries, e2e scripts), each under a timeout, with one
# PASS/FAIL line per test and the closing line "N passed, N failed". Logs go to
# $BUILD/test-logs/NAME.log; a failing test's last lines are shown.
# LEAK_TEST_TIMEOUT (seconds, default 300) times LEAK_TEST_TIMEOUT_MULT (default 1) bounds each;
# a script may ask for another bound with a line "# leak-test-timeout: SECONDS".
set -uo pipefail

BUILD=${BUILD:-build}
export BUILD
BUILD_ABS=$(cd "$BUILD" 2>/dev/null && pwd || echo "$PWD/$BUILD")
export BUILD_ABS
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
limit=$((${LEAK_TEST_TIMEOUT:-300} * ${LEAK_TEST_TIMEOUT_MULT:-1}))

passed=0
failed=0
failed_names=()
for t in "$@"; do
	name=$(echo "$t" | sed -e "s|^$BUILD/||" -e 's|/|_|g' -e 's|\.sh$||')
	log="$logdir/$name.log"
	start=$(date +%s)
	this_limit=$limit
	own=$(grep -m1 -oE '^# leak-test-timeout: [0-9]+' "$t" 2>/dev/null | grep -oE '[0-9]+$' || true)
	[ -z "$own" ] || this_limit=$((own * ${LEAK_TEST_TIMEOUT_MULT:-1}))
	timeout --kill-after=10 "$this_limit" "$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		printf 'PASS %-50s %3ds\n' "$name" "$secs"
		passed=$((passed + 1))
	else
		why="exit $rc"
		[ $rc -eq 124 ] && why="timed out after ${this_limit}s"
		printf 'FAIL %-50s %3ds (%s, log: %s)\n' "$name" "$secs" "$why" "$log"
		tail -n 25 "$log" | sed 's/^/    | /'
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
done
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

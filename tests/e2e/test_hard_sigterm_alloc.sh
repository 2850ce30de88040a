#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_sigterm_alloc.sh - SIGTERM to a process whose threads (the main one too) malloc
# and free without pause: the signal mostly lands inside a heap hook, with a block table
# shard's spinlock held, which the final snapshot needs. Every run must die of the signal
# promptly and still write its final snapshot (END reason signal), never hang or end after
# the handler's 2 s wait without one.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

RUNS=12
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_sigterm_alloc)
	need "$p"
	note "SIGTERM while every thread allocates ($cc, $RUNS runs)"
	for run in $(seq "$RUNS"); do
		d=$TMP/$cc.$run
		mkdir -p "$d"
		LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/leak.%p.lkt" "$p" >"$d/stdout" 2>"$d/stderr" \
			</dev/null &
		pid=$!
		at_exit "kill -KILL $pid 2>/dev/null || true"
		wait_for "$d/stdout" '^ready$' 10
		sleep "0.0$((RANDOM % 10))"
		kill -TERM "$pid"
		# Well under the handler's 2 s wait for a snapshot that cannot come.
		tries=$((30 * ${LEAK_TEST_TIMEOUT_MULT:-1}))
		while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
			sleep 0.05
			tries=$((tries - 1))
		done
		kill -0 "$pid" 2>/dev/null && fail "run $run ($cc): still running 1.5 s after SIGTERM"
		rc=0
		wait "$pid" || rc=$?
		assert_eq "$rc" 143 "run $run ($cc): exit status (SIGTERM)"
		traces=("$d"/*.lkt)
		assert_eq "${#traces[@]}" 1 "run $run ($cc): traces written"
		j=$(report_json "${traces[0]}")
		assert_jq "$j" '.processes[0].end_reason' signal "run $run ($cc): end reason"
	done
done

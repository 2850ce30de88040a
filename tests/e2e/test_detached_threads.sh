#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_detached_threads.sh - a growing count of detached threads is a leak in a C program too:
# grow_detached starts a thread every 50 ms and pthread_detach()es it; in "leak" mode each one
# blocks forever, so the live count grows over the snapshots and the report has one "thread"
# finding, state "detached", growing, at spawn_worker with every thread counted, and
# --fail-on thread exits 3; in "ok" mode the workers end at once and there is no thread
# finding. gcc and clang builds, all four runs at once (3 s each).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

note "detached threads that never end: growing; ones that end: nothing"
for cc in "${COMPILERS[@]}"; do
	need "$(prog "$cc" grow_detached)"
	for mode in leak ok; do
		mkdir -p "$TMP/$cc.$mode"
		timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=200 \
			LEAK_OUT="$TMP/$cc.$mode/leak.%p.lkt" "$(prog "$cc" grow_detached)" "$mode" 3 \
			>"$TMP/$cc.$mode/stdout" 2>"$TMP/$cc.$mode/stderr" </dev/null &
	done
done
wait
for cc in "${COMPILERS[@]}"; do
	n=$(sed -n 's/^threads //p' "$TMP/$cc.leak/stdout")
	[ "${n:-0}" -ge 20 ] || fail "$cc: only ${n:-0} threads started"
	j=$(report_json "$TMP/$cc.leak"/*.lkt)
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "thread")] | length' 1 "$cc leak: thread findings"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "thread")][0] | [.state, .growing, .stack[0].function] | @json' \
		'["detached",true,"spawn_worker"]' "$cc leak: the finding"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "thread")][0].count' "$n" "$cc leak: every thread counted"
	rc=0
	"$LEAK_REPORT" --fail-on thread "$TMP/$cc.leak"/*.lkt >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 3 "$cc leak: --fail-on thread"
	out=$("$LEAK_REPORT" "$TMP/$cc.leak"/*.lkt)
	assert_match "$out" "threads running detached, tid [0-9]+" "$cc leak: text line"
	j=$(report_json "$TMP/$cc.ok"/*.lkt)
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "thread")] | length' 0 "$cc ok: thread findings"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_many.sh - a final snapshot larger than one chunk: 300,000 leaked and 200,000
# reachable blocks at exit (about 6 MB of BLOCK records, written in chunks of 4 MiB after the
# final SNAPSHOT). The report must count every block, classify each one, and read the trace
# as complete.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
t='' # set by run_traced
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_many)
	need "$p"
	# One snapshot, the final one: kept blocks that grow over periodic snapshots are a leak
	# by design (a cache that never evicts; test_growth_reachable), and a run slowed enough
	# to get its tenth snapshot (CI at load 20: 1.3 s) had its growth tested.
	LEAK_INTERVAL_MS=3600000 run_traced t "$p" 300000 200000
	assert_eq "$RUN_STATUS" 0 "heap_many ($cc): exit status"
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0].truncated' false "$cc: trace complete"
	assert_jq "$j" '.processes[0].end_reason' exit "$cc: END"
	# shellcheck disable=SC2016 # jq variables
	AT='def at($k; $f): [.processes[0].findings[] | select(.kind == $k and any(.stack[0:3][]; .function == $f))];'
	assert_jq "$j" "$AT at(\"leak\"; \"lose_block\") | [length, .[0].count, .[0].bytes] | @json" \
		'[1,300000,7200000]' "$cc: leaks at lose_block"
	assert_jq "$j" "$AT at(\"reachable\"; \"keep_block\") | [length, .[0].count, .[0].bytes] | @json" \
		'[1,200000,8000000]' "$cc: reachable blocks at keep_block"
done
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_threads.sh - blocks malloc'd by one thread and freed by another while both run
# (heap_threads.c): all freed leaves no leak at the producer's stack; half freed leaves
# exactly 500 blocks of 333 bytes there. "busy" adds 300,000 malloc/free pairs on each thread,
# so both threads keep the processors busy and drain their own rings (writer.c): the same 500
# blocks are left, no event is dropped, and every one of the 600,000 allocations at
# churn_block is counted. gcc and clang builds.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_threads)
	need "$p"
	for round in 1 2 3; do # the race between the two threads differs from run to run
		note "$cc: consumer frees all (run $round)"
		run_traced trace "$p" all
		assert_eq "$RUN_STATUS" 0 "$cc heap_threads all: exit status"
		assert_eq "$(cat "$RUN_STDOUT")" "0 blocks left" "$cc heap_threads all: stdout"
		json=$(report_json "$trace")
		assert_jq "$json" 'leaks_in("producer_alloc_block") | length' 0 \
			"$cc: leak findings at producer_alloc_block when all were freed"
		assert_jq "$json" '[.processes[0].findings[] | select(any(.stack[]; .function == "producer_alloc_block"))] | length' 0 \
			"$cc: findings of any kind at producer_alloc_block when all were freed"

		note "$cc: consumer frees half (run $round)"
		run_traced trace "$p" half
		assert_eq "$RUN_STATUS" 0 "$cc heap_threads half: exit status"
		assert_eq "$(cat "$RUN_STDOUT")" "500 blocks left" "$cc heap_threads half: stdout"
		json=$(report_json "$trace")
		assert_jq "$json" 'leaks_in("producer_alloc_block") | length' 1 "$cc: findings at producer_alloc_block"
		assert_jq "$json" 'count_in("producer_alloc_block")' 500 "$cc: blocks left at producer_alloc_block"
		assert_jq "$json" 'bytes_in("producer_alloc_block")' 166500 "$cc: bytes left at producer_alloc_block"
		assert_jq "$json" '.processes[0].dropped_events' 0 "$cc: dropped events"

		note "$cc: both threads busy (run $round)"
		run_traced trace "$p" busy
		assert_eq "$RUN_STATUS" 0 "$cc heap_threads busy: exit status"
		assert_eq "$(cat "$RUN_STDOUT")" "500 blocks left" "$cc heap_threads busy: stdout"
		json=$(report_json "$trace")
		assert_jq "$json" 'count_in("producer_alloc_block")' 500 "$cc busy: blocks left at producer_alloc_block"
		assert_jq "$json" 'bytes_in("producer_alloc_block")' 166500 "$cc busy: bytes left at producer_alloc_block"
		assert_jq "$json" 'leaks_in("churn_block") | length' 0 "$cc busy: leaks at churn_block"
		assert_jq "$json" '.processes[0].dropped_events' 0 "$cc busy: dropped events"
		allocs=$(timeout "$T_LIMIT" "$LEAK_REPORT" --format collapsed --metric allocs "$trace" |
			awk '/churn_block/ { n += $NF } END { print n + 0 }')
		assert_eq "$allocs" 600000 "$cc busy: allocations counted at churn_block"
	done
done
echo "ok"

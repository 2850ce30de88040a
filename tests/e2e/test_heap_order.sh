#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_order.sh - the live-block table follows the program's heap operations in their
# order (heap_order.c): 1 M malloc/free pairs that reuse each address at once, blocks
# realloc'd in place, moved, shrunk and freed by realloc(p, 0), then a second thread, after
# 1.3 M events, that frees half of 2000 blocks the first thread allocated while that one reuses
# their addresses. The blocks left must be exactly the ones the program keeps, nothing dropped;
# "threaded" (an idle thread first) must give the same totals and leaks as "alone"; "timer"
# starts the second thread inside libc (a SIGEV_THREAD timer), past the pthread_create hook,
# while the first keeps allocating. gcc and clang builds.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
# The findings and totals that must not depend on the mode.
SUMMARY='.processes[0] | [.total_allocs, .total_alloc_bytes, .dropped_events,
	([.findings[] | select(.kind == "leak") | [.stack[0].function, .count, .bytes]] | sort)]'
# live($f): [count, bytes] of the blocks left at $f, leaks and reachable alike ("timer": glibc's
# timer thread blocks the exit scan's stop signal, so its blocks are counted reachable).
# shellcheck disable=SC2016 # jq variables, not shell ones
LIVE='def live($f): [.processes[0].findings[] | select(.kind == "leak" or .kind == "reachable")
	| select(any(.stack[0:4][]; .function == $f))] | [(map(.count) | add // 0), (map(.bytes) | add // 0)];'
check_live() { # json label
	assert_jq "$1" "$LIVE"' live("reuse_block") | tojson' '[1000,48000]' "$2: left at reuse_block"
	assert_jq "$1" "$LIVE"' live("realloc_shrink") | tojson' '[1000,8000]' "$2: left at realloc_shrink"
	assert_jq "$1" "$LIVE"' live("cross_block") | tojson' '[1000,200000]' "$2: left at cross_block"
	assert_jq "$1" "$LIVE"' live("thread_leak") | tojson' '[300,29700]' "$2: left at thread_leak"
	assert_jq "$1" "$LIVE"' live("realloc_start") | tojson' '[0,0]' "$2: left at realloc_start"
	assert_jq "$1" '.processes[0].dropped_events' 0 "$2: dropped events"
}
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_order)
	need "$p"
	declare -A got=()
	for mode in alone threaded timer; do
		note "$cc: $mode"
		run_traced trace "$p" "$mode"
		assert_eq "$RUN_STATUS" 0 "$cc heap_order $mode: exit status"
		assert_eq "$(cat "$RUN_STDOUT")" "done" "$cc heap_order $mode: stdout"
		json=$(report_json "$trace")
		check_live "$json" "$cc $mode"
		if [ "$mode" != timer ]; then
			assert_jq "$json" 'count_in("reuse_block")' 1000 "$cc $mode: leaks at reuse_block"
			assert_jq "$json" 'count_in("cross_block")' 1000 "$cc $mode: leaks at cross_block"
		fi
		got[$mode]=$(jq -c "$SUMMARY" <<<"$json")
	done
	assert_eq "${got[alone]}" "${got[threaded]}" "$cc: totals and leaks, alone against threaded"
	unset got
done
echo "ok"

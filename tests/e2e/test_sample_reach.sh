#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sample_reach.sh - with LEAK_SAMPLE the exit scan takes the heap the table does not
# cover ([heap], glibc's arena heaps) as roots, all but the sampled blocks' own bytes: a big
# sampled block that only small unsampled nodes point to (from a global, in the main heap and
# in a thread's arena heap) is reachable, not a leak; a big block whose last pointer was
# overwritten is still a leak. Full tracking, for contrast, gives the same verdicts.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
# shellcheck disable=SC2016 # jq variables
KIND='def kinds($f): [.processes[].findings[] | select(.bytes >= 8000000 and .stack[0].function == "keep_big" and any(.stack[0:3][]; .function == $f)) | .kind] | sort | join(",");'
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" sample_reach)
	need "$p"
	for mode in sampled full; do
		note "$cc: $mode"
		if [ "$mode" = sampled ]; then
			LEAK_SAMPLE=524288 run_traced trace "$p"
		else
			run_traced trace "$p"
		fi
		assert_eq "$RUN_STATUS" 0 "$cc, $mode: exit status ($(head -c 300 "$RUN_STDERR"))"
		json=$(report_json "$trace")
		assert_jq "$json" '.processes[0].scan.partial' false "$cc, $mode: the scan is whole"
		# 8 MiB each, sampled with p = 1 - e^-16: found, and reachable through the nodes
		assert_jq "$json" "$KIND kinds(\"main\")" reachable "$cc, $mode: kept from main"
		assert_jq "$json" "$KIND kinds(\"thread_main\")" reachable \
			"$cc, $mode: kept from a thread's arena"
		assert_jq "$json" 'count_in("keep_big")' 0 "$cc, $mode: no leak at keep_big"
		assert_jq "$json" 'count_in("drop_big")' 1 "$cc, $mode: the dropped block is a leak"
	done
done
echo "ok"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sample_alloc_fns.sh - LEAK_SAMPLE through every C allocation function (heap_alloc_fns.c),
# at both ends of the sampling paths the heap hooks take. With a mean of 1 byte every
# allocation crosses its thread's sample point (the hooks' at-point paths: malloc, calloc,
# realloc of an unsampled and of a sampled block, the aligned allocators), each one stands for
# itself (p = 1 - e^-s is 1 for s >= 16), so counts and bytes are the exact ones of full
# tracking. With a mean of 1 GiB nothing is sampled: every call takes the unsampled fast path
# straight to glibc (including free and realloc of blocks the filter never saw, and a failed
# realloc), nothing is reported, and the program prints what it prints natively (errno too).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

page=$(getconf PAGESIZE)
pvalloc_bytes=$((2 * ((1700 + page - 1) / page) * page))
# function count bytes, as in test_heap_alloc_fns.sh
expect="
leak_via_malloc 3 3000
leak_via_calloc 4 4400
leak_via_realloc 1 5000
leak_via_reallocarray 5 6000
leak_via_posix_memalign 6 7800
leak_via_aligned_alloc 7 9856
leak_via_memalign 8 12000
leak_via_valloc 9 14400
leak_via_pvalloc 2 $pvalloc_bytes
leak_big_blocks 14 4200000
leak_after_failed_realloc 15 13635
"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_alloc_fns)
	need "$p"
	run_native "$p"
	native_stdout=$RUN_STDOUT

	note "$cc: every allocation sampled (LEAK_SAMPLE=1)"
	LEAK_SAMPLE=1 run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc, LEAK_SAMPLE=1: exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "$(cat "$native_stdout")" "$cc, LEAK_SAMPLE=1: stdout vs native"
	json=$(report_json "$trace")
	assert_jq "$json" '.processes[0].sample_bytes' 1 "$cc: sample_bytes"
	while read -r fn count bytes; do
		[ -n "$fn" ] || continue
		assert_jq "$json" "count_in(\"$fn\")" "$count" "$cc, LEAK_SAMPLE=1: count of $fn"
		assert_jq "$json" "bytes_in(\"$fn\")" "$bytes" "$cc, LEAK_SAMPLE=1: bytes of $fn"
	done <<<"$expect"

	note "$cc: nothing sampled (LEAK_SAMPLE=1g)"
	LEAK_SAMPLE=1g run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc, LEAK_SAMPLE=1g: exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "$(cat "$native_stdout")" "$cc, LEAK_SAMPLE=1g: stdout vs native"
	json=$(report_json "$trace")
	# (not leak_big_blocks: its 4.2 MB hold a sample point once in about 250 runs)
	assert_jq "$json" '[leaks[] | select(any(.stack[0:4][]; .function | tostring | startswith("leak_via_")))] | length' \
		0 "$cc, LEAK_SAMPLE=1g: findings in leak_via_* functions"
done
echo "ok"

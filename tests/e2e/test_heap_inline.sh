#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_inline.sh - a malloc two inlining levels deep (heap_inline.c): the stack shows
# inline_inner and inline_middle (both inlined) then outer_leaker, each at its own source line,
# with exact count and bytes, for gcc and clang builds.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

src=$(dirname "$0")/progs/heap_inline.c
line_of() { grep -n "LINE-$1 " "$src" | cut -d: -f1; }

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_inline)
	need "$p"
	note "$cc: heap_inline"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc heap_inline exit status"
	json=$(report_json "$trace")
	assert_jq "$json" 'leaks_in("outer_leaker") | length' 1 "$cc: findings at outer_leaker"
	assert_jq "$json" 'count_in("outer_leaker")' 3 "$cc: count at outer_leaker"
	assert_jq "$json" 'bytes_in("outer_leaker")' 12963 "$cc: bytes at outer_leaker"
	stack='leaks_in("outer_leaker")[0].stack'
	i=0
	for fn in inline_inner inline_middle outer_leaker; do
		inl=true
		[ "$fn" != outer_leaker ] || inl=false
		assert_jq "$json" "${stack}[$i].function" "$fn" "$cc: function of frame $i"
		assert_jq "$json" "${stack}[$i].inlined" "$inl" "$cc: frame $i ($fn) inlined"
		assert_jq "$json" "${stack}[$i].line" "$(line_of "$fn")" "$cc: line of frame $i ($fn)"
		assert_jq "$json" "${stack}[$i].file | split(\"/\") | last" heap_inline.c "$cc: file of frame $i ($fn)"
		i=$((i + 1))
	done
	assert_jq "$json" "${stack}[3].function" main "$cc: function of frame 3"
done
echo "ok"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_alloc_fns.sh - every interposed allocation function, C and C++ (new, new[] through
# libstdc++, aligned new), gcc and clang builds: the leaking function's name, exact count and
# bytes, one finding per leaking call site, and the text report names them too. Also mmap-sized
# blocks, a block kept by a failed realloc, and errno as the program sees it.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

page=$(getconf PAGESIZE)
pvalloc_bytes=$((2 * ((1700 + page - 1) / page) * page)) # pvalloc rounds up to whole pages

# function count bytes: the leaks heap_alloc_fns.c makes (see its header).
c_expect="
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
cxx_expect="
leak_via_new 10 18000
leak_via_new_array 11 20900
leak_via_new_aligned 12 7680
"

check_leaks() { # JSON EXPECT-LINES LABEL
	local json=$1 fn count bytes
	while read -r fn count bytes; do
		[ -n "$fn" ] || continue
		assert_jq "$json" "leaks_in(\"$fn\") | length" 1 "$3: findings for $fn"
		assert_jq "$json" "count_in(\"$fn\")" "$count" "$3: count of $fn"
		assert_jq "$json" "bytes_in(\"$fn\")" "$bytes" "$3: bytes of $fn"
		assert_jq "$json" "leaks_in(\"$fn\")[0].stack[0:4] | map(select(.function == \"$fn\"))[0].file | split(\"/\") | last" \
			"$4" "$3: source file of $fn's frame"
	done <<<"$2"
}

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_alloc_fns)
	need "$p"
	note "$cc: C allocation functions"
	run_native "$p"
	native_stdout=$RUN_STDOUT
	assert_eq "$(tail -n 1 "$native_stdout")" leaked "$cc heap_alloc_fns native stdout"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc heap_alloc_fns exit status"
	# Also shows errno after a failed realloc and after a successful malloc+free.
	assert_eq "$(cat "$RUN_STDOUT")" "$(cat "$native_stdout")" "$cc heap_alloc_fns stdout vs native"
	json=$(report_json "$trace")
	assert_jq "$json" '.version' 1 "JSON version"
	assert_jq "$json" '.processes | length' 1 "$cc: processes in one trace"
	assert_jq "$json" ".processes[0].exe" "$p" "$cc: exe"
	assert_jq "$json" '.processes[0].truncated' false "$cc: truncated"
	check_leaks "$json" "$c_expect" "$cc" heap_alloc_fns.c
	# Every leak this program makes is one of the above: nothing may be counted twice.
	total=$(awk '{ c += $2 } END { print c }' <<<"$c_expect")
	assert_jq "$json" '[leaks[] | select(any(.stack[0:4][]; .function | tostring | startswith("leak_")))] | map(.count) | add' \
		"$total" "$cc: total leaked blocks from leak_* functions"
	text=$(timeout "$T_LIMIT" "$LEAK_REPORT" "$trace")
	for fn in leak_via_malloc leak_via_pvalloc leak_via_realloc; do
		assert_match "$text" "$fn" "$cc: text report names $fn"
	done

	p=$(prog "$cc" heap_new)
	need "$p"
	note "$cc: C++ new and new[]"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc heap_new exit status"
	assert_eq "$(cat "$RUN_STDOUT")" 75000 "$cc heap_new stdout"
	json=$(report_json "$trace")
	check_leaks "$json" "$cxx_expect" "$cc" heap_new.cc
	assert_jq "$json" 'count_in("no_leak_cxx")' 0 "$cc: leaks in no_leak_cxx (it frees all)"
	# new reached malloc through libstdc++: the innermost frame is operator new in libstdc++.
	for fn in leak_via_new leak_via_new_array leak_via_new_aligned; do
		assert_jq "$json" "leaks_in(\"$fn\")[0].stack[0] | (.module | test(\"/libstdc\\\\+\\\\+\\\\.so\")) and (.function | startswith(\"operator new\"))" \
			true "$cc: $fn's innermost frame is operator new in libstdc++"
	done
done
echo "ok"

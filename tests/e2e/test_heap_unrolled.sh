#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_unrolled.sh - one source line with several call sites (heap_unrolled.c: loops the
# compiler unrolls, so one malloc line is several return addresses): its stacks read the same
# (function, file:line of every frame), so the report has one finding for the line with the
# whole count and bytes (8 blocks), and another for the next leaking line (2 blocks), never
# one per call site. The JSON, text, collapsed stacks and leak-view agree; --no-symbols, whose
# frames read as addresses, keeps one finding per call site. For gcc and clang builds (clang
# unrolls both loops).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

src=$(dirname "$0")/progs/heap_unrolled.c
line_of() { grep -n "/\* LINE-$1 \*/" "$src" | cut -d: -f1; }
l8=$(line_of eight)
l2=$(line_of two)
at_line() { echo "[leaks[] | select(.stack[0].function == \"unrolled_leaker\" and .stack[0].line == $1)]"; }

LEAK_VIEW=$BUILD_ABS/leak-view
trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_VIEW"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_unrolled)
	need "$p"
	note "$cc: heap_unrolled"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc heap_unrolled exit status"

	# Frames as addresses: one finding per call site, as the program was compiled.
	raw=$(report_json --no-symbols "$trace")
	sites=$(jq_get "$raw" 'leaks | length')
	assert_jq "$raw" '[leaks[].count] | add' 10 "$cc --no-symbols: blocks leaked"
	if [ "$cc" = clang ]; then
		[ "$sites" -gt 2 ] || fail "clang: $sites call sites, expected the loops unrolled (more than 2)"
	fi

	json=$(report_json "$trace")
	assert_jq "$json" 'leaks | length' 2 "$cc: leak findings (one per line, $sites call sites)"
	assert_jq "$json" "$(at_line "$l8") | length" 1 "$cc: findings at line $l8"
	assert_jq "$json" "$(at_line "$l8")[0] | \"\(.count) \(.bytes)\"" "8 512" "$cc: count and bytes at line $l8"
	assert_jq "$json" "$(at_line "$l2") | length" 1 "$cc: findings at line $l2"
	assert_jq "$json" "$(at_line "$l2")[0] | \"\(.count) \(.bytes)\"" "2 128" "$cc: count and bytes at line $l2"

	text=$(timeout "$T_LIMIT" "$LEAK_REPORT" "$trace")
	assert_eq "$(grep -c 'leak  *512 B in 8 blocks' <<<"$text")" 1 "$cc: text finding of line $l8"
	assert_eq "$(grep -c 'leak  *128 B in 2 blocks' <<<"$text")" 1 "$cc: text finding of line $l2"
	assert_eq "$(grep -c ' leak ' <<<"$text")" 2 "$cc: text leak findings"

	# Collapsed stacks come from the same findings: live objects sum to the blocks.
	folded=$(timeout "$T_LIMIT" "$LEAK_REPORT" --format collapsed --metric live-count "$trace")
	assert_eq "$(grep ';unrolled_leaker ' <<<"$folded" | awk '{ s += $NF } END { print s + 0 }')" 10 \
		"$cc: collapsed live-count at unrolled_leaker"

	# leak-view runs the same analysis: the page carries the same two findings.
	timeout "$T_LIMIT" "$LEAK_VIEW" "$trace" -o "$TMP/$cc.html" 2>"$TMP/$cc.view.err" ||
		fail "$cc: leak-view failed: $(cat "$TMP/$cc.view.err")"
	python3 - "$TMP/$cc.html" >"$TMP/$cc.embedded.json" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
print(m.group(1))
PY
	assert_eq "$(jq -c '[.processes[].findings[] | select(.kind == "leak") | {count, bytes, stack_id}]' "$TMP/$cc.embedded.json")" \
		"$(jq -c '[.processes[].findings[] | select(.kind == "leak") | {count, bytes, stack_id}]' <<<"$json")" \
		"$cc: leak-view's findings vs leak-report --json"
done
echo "ok"

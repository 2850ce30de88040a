#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_leak_indirect.sh - a leaked block's own blocks are "indirect" findings, not leaks of
# their own (leak_indirect.c), for gcc and clang builds: a dropped list of records with names
# and tags is one leak (its head) and three indirect findings (the other records, the names,
# the tags); a cycle nothing points to is one leak and one indirect block of the same stack; a
# lone block is a leak; a global cache is reachable. Each leak says what it holds (JSON
# held_bytes, held_count; text "holding ... in N more blocks") and ranks by it: the list's
# 40-byte head first. Byte and block totals are valgrind's "definitely" and "indirectly lost"
# for the same program, and its "4,870 (40 direct, 4,830 indirect) bytes in 1 blocks" for the
# list. The text report folds indirect
# findings into one line unless --show indirect lists them; --fail-on leak still trips on the
# direct ones, --fail-on indirect>N on the others; --show of another kind is refused.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
# shellcheck disable=SC2016 # jq variables
KIND='def kind_in($k; $f): [.processes[0].findings[] | select(.kind == $k and .stack[0].function == $f)] | map("\(.count) \(.bytes)") | join(",");'
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" leak_indirect)
	need "$p"
	note "$cc: leak_indirect"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc leak_indirect exit status"
	json=$(report_json "$trace")
	# struct record is 40 bytes; 40 records, names "record-0".."record-39" (390 bytes with
	# their NULs), 3 tags of 24 bytes each.
	assert_jq "$json" "$KIND kind_in(\"leak\"; \"make_records\")" "1 40" "$cc: the list's head is leaked directly"
	assert_jq "$json" "$KIND kind_in(\"indirect\"; \"make_records\")" "39 1560" "$cc: the other records, through it"
	assert_jq "$json" "$KIND kind_in(\"indirect\"; \"record_tags\")" "120 2880" "$cc: the tags, through them"
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "indirect" and any(.stack[0:3][]; .function == "record_name")) | "\(.count) \(.bytes)"] | join(",")' \
		"40 390" "$cc: the names, through them"
	assert_jq "$json" "$KIND kind_in(\"leak\"; \"make_cycle\")" "1 64" "$cc: a cycle keeps one block leaked directly"
	assert_jq "$json" "$KIND kind_in(\"indirect\"; \"make_cycle\")" "1 64" "$cc: and the other through it"
	assert_jq "$json" "$KIND kind_in(\"leak\"; \"make_alone\")" "1 100" "$cc: a lone block"
	assert_jq "$json" "$KIND kind_in(\"reachable\"; \"cache_entry\")" "16 768" "$cc: the cache is held"
	# shellcheck disable=SC2016 # jq variables
	HELD='[.processes[0].findings[] | select(.kind == "leak") | "\(.stack[0].function) \(.bytes) \(.held_bytes) \(.held_count)"] | join(",")'
	assert_jq "$json" "$HELD" "make_records 40 4830 199,make_cycle 64 64 1,make_alone 100 0 0" \
		"$cc: what each leak holds, and the ranking by it"
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "leak")] | map(.bytes) | add' 204 \
		"$cc: leaked directly (valgrind: definitely lost 204 bytes in 3 blocks)"
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "indirect")] | "\(map(.bytes) | add) \(map(.count) | add)"' \
		"4894 200" "$cc: leaked through them (valgrind: indirectly lost 4,894 bytes in 200 blocks)"

	text=$(timeout "$T_LIMIT" "$LEAK_REPORT" "$trace")
	assert_match "$text" "leaked only through other leaks: 4.78 KiB in 200 blocks from 4 stacks; --show indirect lists them" \
		"$cc: the text report folds them into one line"
	assert_eq "$(grep -c '^  #[0-9]* *leak ' <<<"$text")" 3 "$cc: three leak findings in the text report"
	assert_match "$text" "#1   leak             40 B in 1 block, holding 4.72 KiB in 199 more blocks" \
		"$cc: the list's head, first, with what it holds"
	assert_eq "$(grep -c '^  #[0-9]* *indirect ' <<<"$text")" 0 "$cc: no indirect finding listed by default"
	text=$(timeout "$T_LIMIT" "$LEAK_REPORT" --show indirect "$trace")
	assert_eq "$(grep -c '^  #[0-9]* *indirect ' <<<"$text")" 4 "$cc: --show indirect lists the four"
	assert_match "$text" "reachable at exit: " "$cc: --show indirect keeps reachable folded"
	text=$(timeout "$T_LIMIT" "$LEAK_REPORT" --show indirect,reachable "$trace")
	assert_eq "$(grep -c '^  #[0-9]* *\(indirect\|reachable\) ' <<<"$text")" 6 "$cc: --show indirect,reachable lists both"

	rc=0
	timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on leak "$trace" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 3 "$cc: --fail-on leak trips on the direct leaks"
	rc=0
	timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on 'indirect>2k' "$trace" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 3 "$cc: --fail-on indirect>2k trips on the tags (2,880 bytes)"
	rc=0
	timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on 'indirect>3k' "$trace" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 0 "$cc: --fail-on indirect>3k does not"
done

rc=0
err=$(timeout "$T_LIMIT" "$LEAK_REPORT" --show leak "$trace" 2>&1 >/dev/null) || rc=$?
assert_eq "$rc" 2 "--show leak exit status"
assert_eq "$err" "leak-report: --show wants reachable or indirect, not 'leak'" "--show leak message"
echo "ok"

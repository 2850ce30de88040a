#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_unwind_modes.sh - the default walker (cached .eh_frame rules and the per-thread memo of
# remembered walks) attributes every allocation exactly as libunwind does. unwind_paths makes
# 2 x 100,000 allocations through 3 callers at recursion depths 0-8, over frames of three
# shapes (RSP-based, RBP-based with alloca, RBP as a callee-saved register), from two
# threads; built with gcc and clang, -O2 -g, no frame pointers. The allocations per stack
# (--format collapsed --metric allocs) and the leak findings (function:line of every frame,
# count, bytes) must be identical under LEAK_UNWIND=dwarf (the default) and libunwind.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
ITER=100000
dw='' lu='' # set by run_traced
# shellcheck disable=SC2016 # jq variables
LEAKS='[.processes[0].findings[] | select(.kind == "leak" or .kind == "reachable")
	| {k: ([.stack[] | "\(.function):\(.line)"] | join(" ")), c: .count, b: .bytes}] | sort_by(.k)'

for cc in "${COMPILERS[@]}"; do
	note "unwind_paths ($cc)"
	p=$(prog "$cc" unwind_paths)
	need "$p"
	run_traced dw "$p" "$ITER"
	assert_eq "$RUN_STATUS" 0 "unwind_paths (dwarf): exit status"
	LEAK_UNWIND=libunwind run_traced lu "$p" "$ITER"
	assert_eq "$RUN_STATUS" 0 "unwind_paths (libunwind): exit status"

	for t in "$dw" "$lu"; do
		timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --format collapsed --metric allocs "$t" |
			sort >"$t.allocs"
	done
	total=$(awk '{ s += $NF } END { print s }' "$dw.allocs")
	# Two threads' allocations, plus the few the runtime makes (thread start, stdio).
	if [ "$total" -lt $((2 * ITER)) ] || [ "$total" -ge $((2 * ITER + 100)) ]; then
		fail "$cc: $total allocations in the trace, expected 2 x $ITER and a few"
	fi
	stacks=$(grep -c 'keep' "$dw.allocs")
	[ "$stacks" -ge 40 ] || fail "$cc: only $stacks stacks through keep()"
	diff -u "$lu.allocs" "$dw.allocs" >&2 ||
		fail "$cc: allocations per stack differ between libunwind and the default walker"

	a=$(jq -c "$LEAKS" <<<"$(report_json "$dw")")
	b=$(jq -c "$LEAKS" <<<"$(report_json "$lu")")
	assert_jq "$a" 'length > 20' true "$cc: leak findings through keep()"
	[ "$a" == "$b" ] || fail "$cc: leak findings differ between libunwind and the default walker"
done
echo ok

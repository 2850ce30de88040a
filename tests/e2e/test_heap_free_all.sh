#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_free_all.sh - a program that frees everything it allocates (through every
# allocation function, realloc(p, 0) included) has no "leak" finding, for gcc and clang
# builds; --fail-on leak exits 0 on its trace and 3 on a leaking program's trace.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_free_all)
	need "$p"
	note "$cc: heap_free_all"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc heap_free_all exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "freed everything" "$cc heap_free_all stdout"
	json=$(report_json "$trace")
	assert_jq "$json" '.processes | length' 1 "$cc: processes"
	assert_jq "$json" '.processes[0].exit_status' 0 "$cc: exit_status in the report"
	assert_jq "$json" 'leaks | length' 0 "$cc: leak findings of a program that frees everything"
	rc=0
	timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on leak "$trace" >/dev/null || rc=$?
	assert_eq "$rc" 0 "$cc: leak-report --fail-on leak exit status without leaks"

	p=$(prog "$cc" heap_exit)
	need "$p"
	note "$cc: --fail-on leak on a leaking program"
	run_traced trace "$p" out
	rc=0
	out=$(timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on leak "$trace") || rc=$?
	assert_eq "$rc" 3 "$cc: leak-report --fail-on leak exit status with a leak"
	assert_match "$out" exit_leak_block "$cc: the --fail-on report still names the leak"
	rc=0
	timeout "$T_LIMIT" "$LEAK_REPORT" --json --fail-on leak "$trace" >/dev/null || rc=$?
	assert_eq "$rc" 3 "$cc: leak-report --json --fail-on leak exit status with a leak"
done
echo "ok"

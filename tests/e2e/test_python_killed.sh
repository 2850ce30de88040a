#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_killed.sh - a Python process killed with SIGKILL while its dict cache grows
# (py/killed_cache.py) has no final snapshot and no exit scan. Its last snapshot's heap is
# the interpreter's (modules, types, every small object: some 2,500 stacks), which is no
# finding, as at finalization: the report must list no leak and name the growing cache
# first, at remember's line, in JSON and in the text's top findings.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/killed_cache.py
line=$(grep -n 'LINE remember' "$src" | cut -d: -f1)
secs=$((2 * ${LEAK_TEST_TIMEOUT_MULT:-1}))

t= # set by run_traced
run_traced t "$PY" "$src" "$secs"
assert_eq "$RUN_STATUS" 137 "status of the killed interpreter (timeout reports SIGKILL as 137)"
j=$(report_json "$t")
assert_jq "$j" '.processes[0].heap_source' last_snapshot "heap taken from the last snapshot"
assert_jq "$j" '.processes[0].growth_test.status' ran "growth test ran"
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "leak" or .kind == "reachable")] | length' 0 \
	"leak or reachable findings from the interpreter's heap"
assert_jq "$j" ".processes[0].findings[0] | .kind == \"growth\" and any(.stack[]; .lang == \"python\" and .function == \"remember\" and .line == $line)" \
	true "first finding: the cache's growth at remember:$line"

txt=$("$LEAK_REPORT" "$t") || fail "leak-report (text) failed"
assert_match "$txt" "no final snapshot \(trace cut short\): the interpreter's heap at the last snapshot is not listed" \
	"text says why no heap is listed"
assert_match "$txt" "remember killed_cache.py:$line \[py\]" "text names the cache's line"
note "killed Python process: $(jq -r '[.processes[0].findings[].kind] | join(",")' <<<"$j")"

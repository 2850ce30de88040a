#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sym_gap.sh - a frame in code without debug information (crt1's _start) gets its symbol
# name and no file or line, even where it lies in a gap between two line-table sequences of a
# CU that has them (sym_crt_gap.c, gcc -O2: main in .text.startup, then _start, then the
# rest of the CU). gcc and clang builds.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" sym_crt_gap)
	need "$p"
	note "$cc: sym_crt_gap"
	LEAK_FOLLOW_FORK=0 run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc sym_crt_gap exit status"
	json=$(report_json "$trace")
	frames='[.processes[0].findings[].stack[] | select(.function == "_start")]'
	n=$(jq_get "$json" "$frames | length")
	[ "$n" -gt 0 ] || fail "$cc: no _start frame in any finding"
	assert_jq "$json" "[${frames}[] | select(.file != null or .line != null)] | length" 0 \
		"$cc: _start frames with a file or line"
	assert_jq "$json" "[.processes[0].findings[].stack[] | select(.function == \"main\")][0].file" \
		sym_crt_gap.c "$cc: main keeps its file"
done
echo "ok"

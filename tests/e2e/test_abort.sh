#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_abort.sh - a program that dies of SIGABRT gets its final snapshot: a failed assert, an
# uncaught C++ exception (std::terminate), and glibc aborting inside free on a double free,
# with and without a second thread allocating meanwhile. Each dies within milliseconds of
# its start, before any periodic snapshot (without the handler: a header-only trace). The
# status and stderr are the native run's (134, glibc's or libstdc++'s message), the trace
# ends "signal 6" and names the 100 lost blocks at lose_records and, in C, the descriptor on
# /etc/hostname. glibc's double-free check aborts in the real free, which libleak's free
# hook calls after its bookkeeping: that abort gets the final snapshot too.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
ulimit -c 0 # no core files
t= # set by run_traced
# check CC MODE PROG ARGS...: run natively and traced, compare, read the report.
check() {
	local what=$1 fd=$2
	shift 2
	run_native "$@"
	local native=$RUN_STATUS native_err
	native_err=$(sed 's/[0-9]\{2,\}/N/g' "$RUN_STDERR")
	run_traced t "$@"
	assert_eq "$RUN_STATUS" "$native" "$what: status under the preload"
	assert_eq "$RUN_STATUS" 134 "$what: killed by SIGABRT"
	assert_eq "$(sed 's/[0-9]\{2,\}/N/g' "$RUN_STDERR")" "$native_err" "$what: stderr as native"
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0] | [.end_reason, .signal, .heap_source, .cut_short] | tojson' \
		'["signal",6,"final_snapshot",false]' "$what: trace ends with the signal"
	# gcc names the C++ function lose_records, clang lose_records().
	local at='[leaks[] | select(any(.stack[0:4][]; .function | test("^lose_records(\\(\\))?$")))]'
	assert_jq "$j" "$at | map(.count) | add" 100 "$what: the 100 lost blocks are leaks at lose_records"
	assert_jq "$j" "$at | map(.bytes) | add" 100000 "$what: 100,000 bytes at lose_records"
	if [ "$fd" = fd ]; then
		assert_jq "$j" '[.processes[0].findings[] | select(.kind == "fd" and (.path // "" | test("/etc/hostname")))] | length' 1 \
			"$what: the descriptor on /etc/hostname"
	fi
}

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" abort_leak)
	need "$p" "$(prog "$cc" abort_throw)"
	for mode in assert doublefree spin; do
		check "$mode ($cc)" fd "$p" "$mode"
	done
	check "uncaught exception ($cc)" nofd "$(prog "$cc" abort_throw)"
	assert_match "$(cat "$RUN_STDERR")" "terminate called after throwing an instance of 'std::runtime_error'" \
		"uncaught exception ($cc): libstdc++'s message"
done
echo ok

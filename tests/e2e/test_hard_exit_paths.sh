#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_exit_paths.sh - every way out other than returning from main: _exit, _Exit,
# quick_exit, abort (SIGABRT), a real SIGSEGV, raise(SIGTERM) (the preload's handler must
# re-raise SIGTERM and SIGABRT), SIGKILL, and _exit from an atexit handler. The status (or killing signal) and
# stdout must match the native run, and the trace must read. A process killed by a signal the
# preload cannot catch leaves a truncated trace, which is allowed; the log says which were.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

ulimit -c 0 # abort and SIGSEGV must not leave core files behind
declare -A want=([_exit]=5 [_Exit]=6 [quick_exit]=4 [abort]=134 [segv]=139 [sigterm]=143
	[sigkill]=137 [atexit_exit]=9)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_exit_paths)
	need "$p"
	for mode in _exit _Exit quick_exit abort segv sigterm sigkill atexit_exit; do
		# timeout(1) reports a child killed by signal N as 128+N.
		LKR_EXPECT_STATUS=${want[$mode]} LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
			LKR_ALLOW_TRUNCATED=1 lkr_pair "exit_paths.$mode.$cc" "$p" "$mode"
		# _exit, _Exit and quick_exit are hooked (quick_exit through at_quick_exit), and
		# SIGTERM and SIGABRT are caught (final snapshot, then re-raised): those traces are
		# complete, with the status. SIGSEGV and SIGKILL are not caught.
		case $mode in
		_exit | _Exit | quick_exit | sigterm | abort | atexit_exit)
			assert_jq "$LKR_JSON" '.processes[0].truncated' false "trace of a process ended by $mode is complete"
			;;
		esac
		case $mode in
		_exit | _Exit | quick_exit | atexit_exit)
			assert_jq "$LKR_JSON" '.processes[0].exit_status' "${want[$mode]}" "exit status of $mode in the report"
			;;
		esac
		note "$mode ($cc): trace truncated: $(jq -r '.processes[0].truncated' <<<"$LKR_JSON")," \
			"exit_status in the report: $(jq -r '.processes[0].exit_status' <<<"$LKR_JSON")"
	done
done

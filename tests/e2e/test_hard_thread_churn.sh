#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_thread_churn.sh - 3600 short-lived threads (joinable, detached, pthread_exit)
# while the preload writes a snapshot every 10 ms (LEAK_INTERVAL_MS=10): a dead thread's ring
# and table entries must stay valid while the writer drains them. No crash, no hang, output
# unchanged, a complete trace.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_thread_churn)
	need "$p"
	LEAK_INTERVAL_MS=10 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
		lkr_pair "thread_churn.$cc" "$p"
	assert_jq "$LKR_JSON" '.processes[0].snapshots > 1' true "several snapshots were written"
done

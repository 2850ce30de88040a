#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_signal_alloc.sh - a SIGALRM handler that mallocs, reallocs and frees, firing every
# 100 us while the program opens, closes and pipes (hooked calls). A preload thread
# that does not block signals would run the handler inside the profiler. No hang, output
# unchanged, the trace reads.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_signal_alloc)
	need "$p"
	LEAK_INTERVAL_MS=10 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
		lkr_pair "signal_alloc.$cc" "$p"
done

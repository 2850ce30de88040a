#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_close_fds.sh - daemons that clean up descriptors at start: close(0..1023),
# close_range(0, ~0U), closefrom(0) and dup2(/dev/null) over every fd 0..1023, then reuse the
# low numbers for their own files while snapshots are due every 10 ms. If the preload kept
# writing to a number the program reused, its bytes would land in out.txt, which must match
# the native run byte for byte; the trace must still read, complete.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_close_fds)
	need "$p"
	for mode in close close_range closefrom dup2; do
		LEAK_INTERVAL_MS=10 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
			LKR_ARTIFACTS="out.txt tmp0 tmp1 tmp2 tmp3" \
			lkr_pair "close_fds.$mode.$cc" "$p" "$mode" @DIR@/work
		note "$mode ($cc): trace truncated: $(jq -r '.processes[0].truncated' <<<"$LKR_JSON"), snapshots: $(jq -r '.processes[0].snapshots' <<<"$LKR_JSON")"
	done
done

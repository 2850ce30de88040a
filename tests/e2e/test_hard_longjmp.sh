#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_longjmp.sh - longjmp out of a recursion that allocates at every level, out of a qsort
# comparator (through libc frames) and siglongjmp out of a signal handler. Every block
# is freed after the jump, so besides unchanged output the report must show no leak from them.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_longjmp)
	need "$p"
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "longjmp.$cc" "$p"
	assert_jq "$LKR_JSON" '[leaks_in("dive"), leaks_in("cmp"), leaks_in("main")] | map(length) | add' 0 \
		"leaks attributed to the longjmp program's own functions"
done

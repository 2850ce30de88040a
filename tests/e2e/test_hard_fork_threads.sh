#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_fork_threads.sh - 200 forks while four threads allocate flat out. A child that
# deadlocks on a lock some other thread held at fork time is reported hung by the program itself
# (10 s per child) and the whole run is bounded. Half the children keep a block of their own
# and so write their own trace (LEAK_FOLLOW_FORK=1), half free everything and write none: 101
# traces must read, all complete (of each half, half leave with exit(), half with _exit()).
# With LEAK_FOLLOW_FORK=0 only the parent's.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_fork_threads)
	need "$p"
	# The 100 odd children leave with _exit, which the preload hooks: complete traces too.
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=101 lkr_pair "fork_threads.$cc" "$p"
done
LEAK_FOLLOW_FORK=0 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
	lkr_pair fork_threads.nofollow "$(prog gcc hard_fork_threads)"

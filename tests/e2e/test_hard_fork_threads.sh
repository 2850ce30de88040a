#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_fork_threads.sh - 200 forks while four threads allocate flat out. A child that
# deadlocks on a lock some other thread held at fork time is reported hung by the program itself
# (10 s per child) and the whole run is bounded. Half the children keep a block of their own
# and so write their own trace (LEAK_FOLLOW_FORK=1), half free everything and write none: 101
# traces must read, all complete (of each half, half leave with exit(), half with _exit()).
# A freeing child that lives past its first snapshot (100 ms after the fork: a loaded machine)
# has written one, so its trace stays (README: LEAK_FOLLOW_FORK): such an extra trace must be
# a forked child's with no finding and a snapshot before its final one.
# With LEAK_FOLLOW_FORK=0 only the parent's.
# Six runs, each bounded (T_LIMIT) and each child too (by the program): on a loaded 2-core
# machine (load 20) a run takes 25-46 s and the whole test over 300 s.
# leak-test-timeout: 600
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
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_MIN_TRACES=101 lkr_pair "fork_threads.$cc" "$p"
	# The parent and the 100 keeping children, each with its block; any other trace is a
	# freeing child's that wrote a periodic snapshot before its exit.
	assert_jq "$LKR_JSON" '[.processes[] | select(.forked | not)] | length' 1 \
		"fork_threads.$cc: traces of the parent"
	assert_jq "$LKR_JSON" '[.processes[] | select(.forked and (.findings | length) > 0)] | length' \
		100 "fork_threads.$cc: traces of the children that keep a block"
	assert_jq "$LKR_JSON" '[.processes[] | select(.forked and (.findings | length) == 0 and
		(.snapshots < 2 or .duration < 0.1)) | .pid] | @json' '[]' \
		"fork_threads.$cc: freeing children with a trace but no snapshot before exit"
	note "fork_threads.$cc: $((LKR_N_TRACES - 101)) freeing child(ren) lived past a snapshot"
done
LEAK_FOLLOW_FORK=0 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
	lkr_pair fork_threads.nofollow "$(prog gcc hard_fork_threads)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_vfork_spawn.sh - vfork + exec (or _exit) and posix_spawn/posix_spawnp with file
# actions. The vfork child borrows the parent's memory until exec, and glibc's posix_spawn
# is clone(CLONE_VM|CLONE_VFORK): the preload must not touch its state there. Statuses and
# stdout unchanged; the parent's and every exec'd child's traces read.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_vfork_exec)
	need "$p"
	# 30 vforks: 20 exec the program again (20 traces), 10 _exit at once (no exec, no trace
	# required), plus the parent. Every trace written must be complete.
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_MIN_TRACES=21 lkr_pair "vfork_exec.$cc" "$p"
	p=$(prog "$cc" hard_posix_spawn)
	need "$p"
	# 20 posix_spawn of itself, 20 posix_spawnp of sh, plus the parent.
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_MIN_TRACES=41 lkr_pair "posix_spawn.$cc" "$p"
done

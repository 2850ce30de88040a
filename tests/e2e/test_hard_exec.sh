#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_exec.sh - exec from a multithreaded program: stage 1 has three threads
# allocating and execs itself (same pid, same exe name: leak.%e.%p.lkt names the same file
# twice), stage 2 execs /bin/sh. Three images, three traces, all readable; stdout unchanged.
# All three must be complete: END reason exec, exec, then exit (dash leaves with _exit).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_exec_threads)
	need "$p"
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=3 lkr_pair "exec_threads.$cc" "$p"
done

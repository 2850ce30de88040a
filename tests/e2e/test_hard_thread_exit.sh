#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_thread_exit.sh - the process ends from a thread other than main: a worker
# calls exit(7) while main is blocked in pthread_join and another thread allocates; and main
# calls pthread_exit so the process ends when its last thread returns. Status, stdout and
# stderr unchanged; the trace reads and is complete (exit is a normal exit).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" hard_thread_exit)
	need "$p"
	LKR_EXPECT_STATUS=7 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "thread_exit.$cc" "$p" exit
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "mainexit.$cc" "$p" mainexit
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_own_alloc.sh - programs whose memory mostly bypasses malloc:
# hard_bump_alloc takes it from its own mmap arena (plus mremap growth) with one malloc call;
# hard_own_malloc defines malloc/free/calloc/realloc/memalign/... itself (as a statically
# linked jemalloc or tcmalloc does) and aborts on a pointer it did not hand out, which catches
# a profiler that mixes libc's malloc with the program's free. Output unchanged, trace reads.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	for name in hard_bump_alloc hard_own_malloc; do
		p=$(prog "$cc" "$name")
		need "$p"
		LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "$name.$cc" "$p"
	done
done

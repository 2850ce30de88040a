#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_stacks_held.sh - a native stack that Python frames were merged into is written only
# if a record names it: the bench workload (every allocation under Python frames) run small
# writes about one STACK record per stack its SITE and BLOCK records name (before, also each
# native stack a merge replaced: half as many again), and none of the named ones is missing.
# The exit snapshot, taken as Python finalization begins, writes no BLOCK of a reached block.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
if ! command -v zstd >/dev/null; then
	echo "SKIP: no zstd command (apt-get install zstd)"
	exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)

note "STACK records: the named stacks, not the native ones merges replaced"
mkdir -p "$TMP/t"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	PYTHONMALLOC=malloc "$PY" "$here/../../bench/py_workload.py" 1000 </dev/null >/dev/null
read -r stacks named missing reached unreached < <("$PY" "$here/py/trace_stacks.py" "$TMP"/t/*.lkt)
note "$stacks STACK records, $named stacks named by SITE/BLOCK, $missing of them undefined"
assert_eq "$missing" 0 "every stack a SITE or BLOCK names has its STACK record"
# At Python finalization a block the scan reached is the interpreter's, no finding: not written.
note "BLOCK records: $reached of reached blocks, $unreached of others"
assert_eq "$reached" 0 "no BLOCK record of a reached block at Python finalization"
[ "$named" -gt 1000 ] || fail "only $named stacks named: the workload did not run"
# Other records (FD_OPEN, THREAD) name a few more; the replaced native stacks were ~45% more.
[ "$stacks" -le $((named + named / 20 + 50)) ] ||
	fail "$stacks STACK records for $named named stacks: replaced native stacks written"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_demo.sh - what `make demo` shows, checked: examples/demo.c built like the Makefile
# builds it (-O2 -g; gcc, then clang) and run through scripts/leak-run. Its two bugs must be
# named with the counts valgrind --leak-check=full agrees on: cache_put 1665 blocks /
# 78148 bytes (overwritten cache values), parse_request 285 blocks of 12 bytes (the scratch
# copy of each malformed request). cache_put and parse_request are inlined into main, and
# the malloc is in copy_string inlined into them: two levels of inlining.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT=$LEAK_REPORT
need "$LEAK_SO" "$LEAK_REPORT" "$top/scripts/leak-run"
for cc in gcc clang; do
	note "$cc: demo"
	"$cc" -O2 -g -o "$TMP/demo-$cc" "$top/examples/demo.c"
	rc=0
	timeout "$T_LIMIT" "$top/scripts/leak-run" --json -o "$TMP/out-$cc" -- "$TMP/demo-$cc" \
		>"$TMP/$cc.out" 2>"$TMP/$cc.err" </dev/null || rc=$?
	assert_eq "$rc" 0 "$cc: demo exit status through leak-run"
	# --json: stdout is the JSON document alone, the demo's own output went to stderr.
	assert_eq "$(grep -m1 -x "done" "$TMP/$cc.err")" "done" "$cc: demo's last line of output"
	json=$(cat "$TMP/$cc.out")
	assert_jq "$json" '.processes[0].snapshots >= 2' true "$cc: snapshots in a 2.5 s run"
	assert_jq "$json" 'count_in("cache_put")' 1665 "$cc: count at cache_put"
	assert_jq "$json" 'bytes_in("cache_put")' 78148 "$cc: bytes at cache_put"
	assert_jq "$json" 'count_in("parse_request")' 285 "$cc: count at parse_request"
	assert_jq "$json" 'bytes_in("parse_request")' 3420 "$cc: bytes at parse_request"
	assert_jq "$json" 'count_in("render_item")' 0 "$cc: count at render_item (freed)"
done
echo "ok"

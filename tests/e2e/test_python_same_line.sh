#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_same_line.sh - stacks that read the same are one finding: py/same_line.py opens
# 3 sockets on one Python line from two instruction offsets (two stacks in the trace); the
# report has one fd finding of count 3 naming that line, not two findings with identical text.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/same_line.py
line=$(grep -n '# LINE opener$' "$src" | cut -d: -f1)

note "two offsets on one line: one finding, counts summed"
mkdir -p "$TMP/t"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	"$PY" "$src" 3 </dev/null >/dev/null 2>"$TMP/err"
j=$(report_json "$TMP"/t/*.lkt)
# shellcheck disable=SC2016 # jq program
q='[.processes[].findings[] | select(.kind == "fd" and any(.stack[]; .function == "opener"))
   | [.count, ([.stack[] | select(.lang == "python") | "\(.function):\(.line)"] | index("opener:'"$line"'") != null)]]'
assert_jq "$j" "$q | @json" '[[3,true]]' "one fd finding of 3 sockets on opener's line"

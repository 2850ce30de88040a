#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_frames_reuse.sh - each capture of Python frames names every frame's own line and
# function, whatever the capture before it read: py/frames_reuse.py opens N sockets from each
# of two call lines of one helper, N from a generator resumed from each of two lines, one from
# each of N functions compiled in turn (each freed before the next, so code objects' addresses
# come back), and 3N from a recursion 1, 2 and 3 deep in turn. Every socket is counted under
# exactly the Python frames of its own call path.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/frames_reuse.py
line_of() { grep -n "# LINE $1\$" "$src" | cut -d: -f1; }
n=20

note "frames_reuse.py $n: every finding names its own call path"
mkdir -p "$TMP/t"
st=0
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	"$PY" "$src" "$n" </dev/null >/dev/null 2>"$TMP/err" || st=$?
assert_eq "$st" 0 "frames_reuse.py exit status"
j=$TMP/r.json
report_json "$TMP"/t/*.lkt >"$j"
# The fd findings as "count path", path = their Python frames below socket.__init__, innermost
# first, as function@file:line; findings whose native frames differ (the interpreter calls
# next() one way, then another once the call is specialized) are summed.
# shellcheck disable=SC2016 # jq program
q='[.processes[].findings[] | select(.kind == "fd")
   | {c: .count, p: ([.stack[] | select(.lang == "python" and .function != "socket.__init__")
     | "\(.function)@\(.file | split("/") | last):\(.line)"] | join(" "))}]
   | group_by(.p) | map("\(map(.c) | add) \(.[0].p)") | sort | .[]'
got=$(jq -r "$q" "$j")
want=$(
	top() { echo "<module>@frames_reuse.py:$(grep -n "^$1(" "$src" | cut -d: -f1)"; }
	echo "$n opener@frames_reuse.py:$(line_of opener) two_callers@frames_reuse.py:$(line_of first_call) $(top two_callers)"
	echo "$n opener@frames_reuse.py:$(line_of opener) two_callers@frames_reuse.py:$(line_of second_call) $(top two_callers)"
	echo "$n gen@frames_reuse.py:$(line_of gen_open) resume_from_two@frames_reuse.py:$(line_of resume_a) $(top resume_from_two)"
	echo "$n gen@frames_reuse.py:$(line_of gen_open) resume_from_two@frames_reuse.py:$(line_of resume_b) $(top resume_from_two)"
	for ((i = 0; i < n; i++)); do
		echo "1 made_$i@gen_$i.py:2 run_compiled@frames_reuse.py:$(line_of run_made) $(top run_compiled)"
	done
	for k in 0 1 2; do
		p="down@frames_reuse.py:$(line_of down_open)"
		for ((i = 0; i < k; i++)); do p+=" down@frames_reuse.py:$(line_of down_self)"; done
		echo "$n $p depths@frames_reuse.py:$(line_of depths) $(top depths)"
	done
)
want=$(sort <<<"$want")
[ "$got" = "$want" ] || fail "fd findings' Python frames:
--- got
$got
--- want
$want"
echo "ok: $(wc -l <<<"$got") findings, each with its own call path"

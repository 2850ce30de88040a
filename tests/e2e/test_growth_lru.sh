#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_lru.sh - a bounded LRU cache with eviction, serving ~1000 requests/s for a
# minute (LEAK_INTERVAL_MS=200, 300 snapshots): the heap fills during the first second and
# then holds at 400 entries of random size, so no growth may be reported (the warm-up is
# outside the tested part of the window, and the plateau has no trend). One build (gcc): a
# minute is what the plateau needs to be convincing; the unbounded mode of the same program
# is the positive control (test_growth_killed.sh, test_growth_exit.sh).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
p=$(prog gcc grow_cache)
need "$p"
note "gcc: LRU cache for 60 s"
# run_traced's limit is T_LIMIT (60 s): this one needs a little more.
mkdir -p "$TMP/out"
status=0
timeout -k 5 "$((T_LIMIT + 40))" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=200 \
	LEAK_OUT="$TMP/out/leak.%e.%p.lkt" "$p" lru 60 >"$TMP/stdout" 2>"$TMP/stderr" </dev/null || status=$?
assert_eq "$status" 0 "grow_cache lru: exit status"
assert_eq "$(tail -n 1 "$TMP/stdout")" "entries 400" "grow_cache lru: entries at the end"
traces=("$TMP"/out/*.lkt)
assert_eq "${#traces[@]}" 1 "traces written"
trace=${traces[0]}
json=$(report_json "$trace")
assert_jq "$json" '.processes[0].snapshots > 250' true "snapshots over a minute at 200 ms"
assert_jq "$json" '[.processes[0].findings[] | select(.kind == "growth" or .kind == "rss")] | length' 0 \
	"growth or rss findings for a bounded LRU"
# The cache itself is still live at exit (400 values at cache_store_value): the analysis saw
# it, it just did not grow.
assert_jq "$json" '[.processes[0].findings[] | select(any(.stack[0:4][]; .function == "cache_store_value")) | .count] | add' 400 \
	"live values at cache_store_value at exit"
# Also over the last 30 s only, and as text.
json=$(report_json --window -30: "$trace")
assert_jq "$json" '[.processes[0].findings[] | select(.kind == "growth")] | length' 0 "growth in the last 30 s"
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" "$trace")
if grep -q ' growth ' <<<"$text"; then
	fail "text report shows a growth finding for the LRU cache: $text"
fi
echo ok

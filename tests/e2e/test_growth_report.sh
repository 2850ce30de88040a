#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_report.sh - the options around growth on one finished trace: an unbounded
# cache (grow_cache unbounded, ~1 MB/s) that serves 400 ticks of requests (~4 s) and exits
# with the cache still referenced from a global. Checks the growth finding at exit, --limit's eta_s, --window
# (a short window has too few snapshots for a verdict; an early one has its own bounds),
# --diff by index and by time (JSON and text), --fail-on growth, and the text line.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
p=$(prog clang grow_cache)
need "$p"
LEAK_INTERVAL_MS=100 run_traced trace "$p" unbounded 60 -400
assert_eq "$RUN_STATUS" 0 "grow_cache unbounded: exit status"
# shellcheck disable=SC2016 # jq variables
G='[.processes[0].findings[] | select(.kind == "growth" and any(.stack[0:4][]; .function == "cache_store_value"))]'

note "growth at exit, ranked first among the kinds other than leak"
json=$(report_json "$trace")
assert_jq "$json" "$G | length" 1 "growth findings at cache_store_value"
assert_jq "$json" '[.processes[0].findings[] | select(.kind != "leak")][0].kind' growth "first finding after the leaks"
assert_jq "$json" "${G}[0] | .eta_s" null "eta_s without --limit"
# Growth wins over reachability: the cache's stack is a leak, not merely reachable.
assert_jq "$json" '[.processes[0].findings[] | select(.kind == "reachable" and any(.stack[0:4][]; .function == "cache_store_value"))] | length' 0 \
	"reachable findings at a growing stack"

note "--limit 1g"
json=$(report_json --limit 1g "$trace")
assert_jq "$json" "${G}[0] | (.eta_s > 0 and ((.eta_s - (1073741824 - .last_bytes) / .bytes_per_sec) | fabs) < 1)" true \
	"eta_s = (limit - last_bytes) / bytes_per_sec"
json=$(report_json --limit 1k "$trace")
assert_jq "$json" "${G}[0] | .eta_s" 0 "eta_s when already above the limit"

note "--window"
json=$(report_json --window 0:2 "$trace")
assert_jq "$json" "${G}[0] | (.window[1] <= 2.0 and .window[0] >= 0 and .last_bytes < .bytes_per_sec * 3)" true \
	"window 0:2 bounds and last value inside it"
json=$(report_json --window -0.5: "$trace")
assert_jq "$json" '[.processes[0].findings[] | select(.kind == "growth")] | length' 0 \
	"growth over the last 0.5 s (too few snapshots for a verdict)"
rc=0
"$LEAK_REPORT" --window 5 "$trace" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "--window without a colon: exit status"
assert_match "$(cat "$TMP/err")" 'START:END' "--window error message"

note "--diff"
json=$(report_json --diff 1s 3s "$trace")
assert_jq "$json" '.processes[0].diff_from.t <= 1.0 and .processes[0].diff_to.t <= 3.0 and .processes[0].diff_to.t > 2.5' true "diff bounds by time"
assert_jq "$json" '[.processes[0].diff[] | select(.change == "grew" and any(.stack[0:4][]; .function == "cache_store_value"))] | length' 1 \
	"diff: cache_store_value grew"
assert_jq "$json" '[.processes[0].diff[] | select(any(.stack[0:4][]; .function == "cache_store_value"))][0] | (.delta_bytes == .bytes_b - .bytes_a and .delta_bytes > 1000000 and .delta_count > 1000)' true \
	"diff: deltas of cache_store_value over 2 s"
json=$(report_json --diff 0 -1 "$trace")
assert_jq "$json" '.processes[0].diff_from.snapshot == 0 and .processes[0].diff_to.snapshot == .processes[0].snapshots - 1' true "diff by index, -1 = last"
assert_jq "$json" '[.processes[0].diff[] | .change] - ["grew", "shrank", "appeared", "disappeared"] | length' 0 "diff change names"
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --diff 1s 3s "$trace")
assert_match "$text" 'diff: snapshot [0-9]+ \([0-9.]+ s\) -> snapshot [0-9]+' "text diff header"
assert_match "$text" 'grew +\+[0-9.]+ (KiB|MiB).*' "text diff line"
assert_match "$text" 'cache_store_value' "text diff stack"

note "text and --fail-on growth"
rc=0
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --fail-on growth --limit 1g "$trace") || rc=$?
assert_eq "$rc" 3 "--fail-on growth: exit status"
assert_match "$text" '#[0-9]+ +growth .* grows [0-9.]+ (KiB|MiB)/s.*tau [0-9.]+, p .*reaches --limit in' "text growth line"
assert_match "$(grep -m1 -A1 '#[0-9]* *growth' <<<"$text" | tail -n 1)" 'cache_store_value' "text growth stack"
echo ok

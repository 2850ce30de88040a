#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_reachable.sh - the exit-time reachability scan (preload/reach.c) as a user sees
# it: grow_reach_globals keeps a config, a 10-node list and a table in globals and loses 5
# blocks of 100 bytes in lose_blocks(). Only those 5 are "leak" findings; everything held by
# the globals is "reachable", also when exit() is called from deep inside the program after an
# atexit handler left the lost addresses all over the dead stack below (gcc and clang builds; clang may turn a malloc stored once in a
# global into static storage, so counts are checked where neither compiler does). And
# reachable memory whose stack grows is a leak after all: grow_cache unbounded exits with its
# cache still referenced from a global; its stack is a growth and a leak, never reachable.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
# shellcheck disable=SC2016 # jq variables
AT='def at($k; $f): [.processes[0].findings[] | select(.kind == $k and any(.stack[0:2][]; .function == $f))];'

# traced PROG ARGS...: run under libleak (only PROG, not the timeout wrapper), set $trace.
n=0
traced() {
	n=$((n + 1))
	mkdir -p "$TMP/r$n"
	local rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=100 \
		LEAK_OUT="$TMP/r$n/leak.%e.%p.lkt" "$@" >"$TMP/r$n/stdout" 2>"$TMP/r$n/stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "$* exit status"
	local t=("$TMP/r$n"/*.lkt)
	assert_eq "${#t[@]}" 1 "$*: traces written"
	trace=${t[0]}
}

for mode in main-returns exit-deep; do for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" grow_reach_globals)
	need "$p"
	note "$cc: globals at exit ($mode)"
	if [ "$mode" = exit-deep ]; then traced "$p" exit-deep; else traced "$p"; fi
	j=$(report_json "$trace")
	assert_jq "$j" "$AT [at(\"leak\"; \"lose_blocks\")[].count] | add" 5 "$cc: leaked blocks at lose_blocks"
	assert_jq "$j" "$AT [at(\"leak\"; \"lose_blocks\")[].bytes] | add" 500 "$cc: leaked bytes at lose_blocks"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "leak" and .stack[0].function != "lose_blocks")] | length' 0 \
		"$cc: every leak finding is at lose_blocks"
	assert_jq "$j" "$AT [at(\"reachable\"; \"list_push\")[].count] | add" 10 "$cc: list nodes reachable"
	assert_jq "$j" "$AT [at(\"reachable\"; \"table_fill\")[].count] | add >= 15" true "$cc: table blocks reachable"
	assert_jq "$j" "$AT [at(\"reachable\"; \"config_load\")[].count] | add >= 1" true "$cc: config (name string) reachable"
	rc=0
	"$LEAK_REPORT" --fail-on leak "$trace" >/dev/null || rc=$?
	assert_eq "$rc" 3 "$cc: --fail-on leak (the 5 lost blocks)"
done; done

note "reachable but growing is a leak"
p=$(prog gcc grow_cache)
need "$p"
traced "$p" unbounded 60 -300
j=$(report_json "$trace")
assert_jq "$j" "$AT at(\"growth\"; \"cache_store_value\") | length" 1 "growth at cache_store_value"
assert_jq "$j" "$AT at(\"leak\"; \"cache_store_value\") | length" 1 "leak at cache_store_value"
assert_jq "$j" "$AT at(\"reachable\"; \"cache_store_value\") | length" 0 "reachable at cache_store_value"
# The same program's bounded mode keeps its cache reachable and flat: reachable, no leak.
traced "$p" lru 3
j=$(report_json "$trace")
assert_jq "$j" "$AT [at(\"reachable\"; \"cache_store_value\")[].count] | add" 400 "LRU values reachable at exit"
assert_jq "$j" "$AT at(\"leak\"; \"cache_store_value\") | length" 0 "LRU values reported as leaks"
echo ok

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_follow_dead.sh - a process that dies without an END record. grow_realloc runs under
# the preload with 100 ms snapshots; while it runs, leak-report says "still running (no END
# record yet)" (not "cut short"), and --follow reports "running". Then it is killed with
# SIGKILL: --follow notices the pid is gone, says so once, and exits by itself (it used to
# say "running" forever), and the plain report says "no END record (cut short)".
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
p=$(prog gcc grow_realloc)
need "$p"
mkdir -p "$TMP/out"
env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=100 LEAK_OUT="$TMP/out/leak.%e.%p.lkt" \
	"$p" 60 >"$TMP/stdout" 2>"$TMP/stderr" </dev/null &
pid=$!
at_exit "kill -9 $pid 2>/dev/null"
wait_for "$TMP/stdout" '^ready$'
trace=$(echo "$TMP"/out/*.lkt)
[ -f "$trace" ] || fail "no trace in $TMP/out"
sleep 0.5

note "while it runs"
"$LEAK_REPORT" "$trace" >"$TMP/live.txt"
grep -q 'still running (no END record yet)' "$TMP/live.txt" || fail "live process not said to be running: $(head -3 "$TMP/live.txt")"
grep -q 'cut short' "$TMP/live.txt" && fail "a live process reported as cut short"

note "--follow, then SIGKILL"
timeout 60 "$LEAK_REPORT" --follow --every 0.2 "$trace" >"$TMP/follow.txt" 2>"$TMP/follow.err" &
follow=$!
at_exit "kill -9 $follow 2>/dev/null"
wait_for "$TMP/follow.txt" '^--- .*, running$'
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
rc=0
wait "$follow" || rc=$?
assert_eq "$rc" 0 "--follow exit status after the process died"
grep -q "^--- .*: process $pid is gone without an END record (killed or crashed); this was its last report$" "$TMP/follow.txt" ||
	fail "--follow did not say the process is gone: $(grep '^---' "$TMP/follow.txt" | tail -3)"
assert_eq "$(cat "$TMP/follow.err")" "leak-report: $trace: process $pid is gone without an END record" "--follow stderr"

note "after"
"$LEAK_REPORT" "$trace" >"$TMP/dead.txt"
grep -q 'no END record (cut short)' "$TMP/dead.txt" || fail "a killed process not said to be cut short: $(head -3 "$TMP/dead.txt")"

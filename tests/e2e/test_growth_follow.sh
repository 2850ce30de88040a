#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_follow.sh - leak-report --follow on a trace that is being written, with
# snapshots forced by SIGUSR2: the profiled program (grow_realloc) runs with a 100 s interval,
# so every snapshot in the trace before its exit is one we forced. --follow must report again
# after each (snapshot counts rising), report the growth at log_append once there is enough
# data, and stop by itself when SIGTERM makes the program write END. A second --follow is
# stopped by SIGINT while the trace is still open.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
p=$(prog gcc grow_realloc)
need "$p"
mkdir -p "$TMP/out"
env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=100000 LEAK_OUT="$TMP/out/leak.%e.%p.lkt" \
	"$p" 60 >"$TMP/stdout" 2>"$TMP/stderr" </dev/null &
pid=$!
follow=
# shellcheck disable=SC2317 # called from the EXIT trap
stop_all() {
	kill -9 "$pid" 2>/dev/null || true
	[ -z "$follow" ] || kill -9 "$follow" 2>/dev/null || true
}
trap 'rc=$?; stop_all; (exit $rc); _lk_cleanup' EXIT
wait_for "$TMP/stdout" '^ready$'
trace=$(echo "$TMP"/out/*.lkt)
[ -f "$trace" ] || fail "no trace in $TMP/out"

# usr2 N: force N snapshots, 0.25 s apart.
usr2() {
	local i
	for ((i = 0; i < $1; i++)); do
		kill -USR2 "$pid"
		sleep 0.25
	done
}

note "SIGUSR2 forces snapshots"
usr2 2
json=$(report_json "$trace")
assert_jq "$json" '.processes[0].snapshots' 2 "snapshots after two SIGUSR2 (interval 100 s)"

note "--follow --every 0.2 while the program runs"
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --follow --every 0.2 --json "$trace" >"$TMP/follow.json" 2>"$TMP/follow.err" &
follow=$!
usr2 12
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
# grow_realloc does not handle SIGTERM: libleak writes its final snapshot and END, then the
# default action ends it.
assert_eq "$rc" 143 "grow_realloc status after SIGTERM"
rc=0
wait "$follow" || rc=$?
follow=
assert_eq "$rc" 0 "--follow exit status once the trace has END"
n=$(jq -s 'length' "$TMP/follow.json")
[ "$n" -ge 4 ] || fail "--follow wrote $n reports, expected one per forced snapshot batch (>= 4)"
assert_jq "$(jq -s '[.[].processes[0].snapshots]' "$TMP/follow.json")" '. == (. | sort) and .[0] < .[-1]' true \
	"snapshot counts rise from report to report"
last=$(jq -s '.[-1]' "$TMP/follow.json")
assert_jq "$last" '.processes[0].end_reason' signal "last report: ended by the signal"
assert_jq "$last" '[.processes[0].findings[] | select(.kind == "growth" and any(.stack[0:4][]; .function == "log_append"))] | length' 1 \
	"last report: growth at log_append"

note "--follow stops on SIGINT"
env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=100 LEAK_OUT="$TMP/out/b.%p.lkt" \
	"$p" 60 >"$TMP/stdout2" 2>&1 </dev/null &
pid=$!
wait_for "$TMP/stdout2" '^ready$'
sleep 0.5
t2=$(echo "$TMP"/out/b.*.lkt)
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --follow --every 0.2 "$t2" >"$TMP/follow2.txt" 2>&1 &
follow=$!
sleep 1
kill -INT "$follow"
rc=0
wait "$follow" || rc=$?
follow=
assert_eq "$rc" 0 "--follow exit status after SIGINT"
assert_match "$(head -n 1 "$TMP/follow2.txt")" '^--- .*b\.[0-9]+\.lkt: [0-9]+ snapshots?, [0-9.]+ s, running$' "text --follow header"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo ok

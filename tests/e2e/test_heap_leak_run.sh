#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_leak_run.sh - scripts/leak-run around heap_exit.c (5 x 2222 bytes leaked from
# exit_leak_block): CMD's stdout and exit status pass through, the report follows (text or
# --json, with stdout holding only the JSON document), -o DIR and -i SECONDS take effect, SIGTERM/SIGINT reach CMD, stdin reaches CMD,
# and leak-run's own failures exit 125.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_RUN=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-run
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT=$LEAK_REPORT # this build's tools, whatever is installed
BG_PID=
# On a failure midway: TERM first, which leak-run forwards, so CMD does not outlive the test.
kill_bg() {
	[ -n "$BG_PID" ] || return 0
	kill -TERM "$BG_PID" 2>/dev/null || return 0
	sleep 1
	kill -KILL "$BG_PID" 2>/dev/null || true
}
at_exit kill_bg
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_RUN"

p=$(prog gcc heap_exit)
need "$p"
run_native "$p" out
native_stdout=$RUN_STDOUT
native_lines=$(wc -l <"$native_stdout")

note "text report after CMD's output, CMD's exit status"
rc=0
timeout "$T_LIMIT" "$LEAK_RUN" -o "$TMP/text" -- "$p" out >"$TMP/text.out" 2>"$TMP/text.err" </dev/null || rc=$?
assert_eq "$rc" 42 "leak-run exit status (CMD's)"
head -n "$native_lines" "$TMP/text.out" | cmp -s - "$native_stdout" || fail "CMD's stdout did not pass through unchanged"
assert_match "$(tail -n +"$((native_lines + 1))" "$TMP/text.out")" exit_leak_block "text report names exit_leak_block"
assert_eq "$(cd "$TMP/text" && find . -name 'leak.heap_exit.*.lkt' | wc -l)" 1 "traces in -o DIR"
assert_match "$(cat "$TMP/text.err")" 'a line on stderr' "CMD's stderr passed through"

note "--json, and only this run's traces are reported"
rc=0
timeout "$T_LIMIT" "$LEAK_RUN" --json -o "$TMP/text" -- "$p" pid >"$TMP/json.out" 2>"$TMP/json.err" </dev/null || rc=$?
assert_eq "$rc" 0 "leak-run --json exit status"
# stdout is the JSON document alone (jq reads it whole); CMD's stdout went to stderr.
jq -e . "$TMP/json.out" >/dev/null || fail "leak-run --json stdout is not one JSON document: $(head -c 300 "$TMP/json.out")"
pid=$(head -n 1 "$TMP/json.err")
json=$(cat "$TMP/json.out")
assert_jq "$json" '.processes | length' 1 "processes reported (the earlier trace in DIR is not this run's)"
assert_jq "$json" '.processes[0].pid' "$pid" "pid of the reported process"
assert_jq "$json" 'count_in("exit_leak_block")' 5 "count at exit_leak_block"
assert_jq "$json" 'bytes_in("exit_leak_block")' 11110 "bytes at exit_leak_block"

note "stdin passes through"
out=$(echo "through the pipe" | timeout "$T_LIMIT" "$LEAK_RUN" -o "$TMP/stdin" -- head -n 1 2>/dev/null)
assert_eq "$(head -n 1 <<<"$out")" "through the pipe" "CMD's stdin"

for sig in TERM INT; do
	note "SIGTERM/SIGINT to leak-run reach CMD; -i 0.1"
	d=$TMP/sig$sig
	mkdir -p "$d"
	# Start leak-run with SIGINT at its default (a background job of a script ignores it).
	(
		trap - INT
		exec "$LEAK_RUN" --json -i 0.1 -o "$d/out" -- "$p" wait >"$d/stdout" 2>"$d/stderr" </dev/null
	) &
	BG_PID=$!
	wait_for "$d/stderr" '^ready$' # --json: CMD's stdout goes to stderr
	sleep 0.8
	kill -"$sig" "$BG_PID"
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	expect=143
	[ "$sig" == TERM ] || expect=130
	assert_eq "$rc" "$expect" "leak-run exit status after SIG$sig (CMD's)"
	json=$(cat "$d/stdout")
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "count at exit_leak_block after SIG$sig"
	assert_jq "$json" '.processes[0].snapshots >= 3' true "several snapshots in 0.8 s with -i 0.1"
done

note "an existing LD_PRELOAD is kept, libleak first (its hooks must win over another preloaded allocator)"
other=$(prog gcc lib_heap_plugin.so) # any harmless library
out=$(LD_PRELOAD=$other timeout "$T_LIMIT" "$LEAK_RUN" -o "$TMP/preload" -- printenv LD_PRELOAD 2>/dev/null)
assert_eq "$(head -n 1 <<<"$out")" "$LEAK_SO:$other" "LD_PRELOAD seen by CMD"

note "leak-run's own failures"
rc=0
LIBLEAK_SO=$TMP/nonexistent.so timeout "$T_LIMIT" "$LEAK_RUN" -o "$TMP/x" -- true 2>"$TMP/err" || rc=$?
assert_eq "$rc" 125 "exit status with a missing LIBLEAK_SO"
assert_match "$(cat "$TMP/err")" '^leak-run: ' "message for a missing LIBLEAK_SO"
rc=0
timeout "$T_LIMIT" "$LEAK_RUN" -i soon -- true 2>/dev/null || rc=$?
assert_eq "$rc" 125 "exit status for a bad -i"
timeout "$T_LIMIT" "$LEAK_RUN" --help | grep -q '^usage: leak-run' || fail "leak-run --help"
echo "ok"

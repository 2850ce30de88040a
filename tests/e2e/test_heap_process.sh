#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_process.sh - what the preload must leave alone and what must survive an abrupt end,
# with heap_exit.c (5 blocks of 2222 bytes leaked from exit_leak_block), gcc and clang builds:
#   - stdout, stderr and exit status are the same as without the preload;
#   - LEAK_DEPTH bounds the frames per stack; LEAK_OUT expands %e and %p, and a LEAK_OUT
#     naming a directory (existing, or ending in '/') gets the default name in it;
#     LEAK_DISABLE=1 writes nothing;
#   - an unwritable LEAK_OUT costs one "libleak:" line on stderr and nothing else;
#   - SIGKILL after a few snapshots: the trace still lists the leak (from the last snapshot);
#   - SIGTERM with the default disposition: the final snapshot is written and the exit status
#     is still "killed by SIGTERM".
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# start_bg DIR PROG ARGS...: start PROG under the preload in the background (no timeout
# wrapper: the signal must reach PROG itself), LEAK_OUT in DIR; sets BG_PID.
start_bg() {
	local d=$1
	shift
	mkdir -p "$d/out"
	LD_PRELOAD=$LEAK_SO LEAK_OUT=$d/out/leak.%e.%p.lkt "$@" >"$d/stdout" 2>"$d/stderr" </dev/null &
	BG_PID=$!
}
BG_PID=
kill_bg() { [ -z "$BG_PID" ] || kill -KILL "$BG_PID" 2>/dev/null || true; }
at_exit kill_bg

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_exit)
	need "$p"

	note "$cc: output and exit status unchanged"
	run_native "$p" out
	native_status=$RUN_STATUS
	native_stdout=$RUN_STDOUT
	native_stderr=$RUN_STDERR
	assert_eq "$native_status" 42 "$cc: native exit status"
	run_traced trace "$p" out
	assert_eq "$RUN_STATUS" "$native_status" "$cc: exit status under the preload"
	cmp -s "$RUN_STDOUT" "$native_stdout" || fail "$cc: stdout differs from native: $(diff "$native_stdout" "$RUN_STDOUT" | head -5)"
	cmp -s "$RUN_STDERR" "$native_stderr" || fail "$cc: stderr differs from native: $(diff "$native_stderr" "$RUN_STDERR" | head -5)"
	json=$(report_json "$trace")
	assert_jq "$json" '.processes[0].exit_status' 42 "$cc: exit_status in the report"
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "$cc: count at exit_leak_block"
	assert_jq "$json" 'bytes_in("exit_leak_block")' 11110 "$cc: bytes at exit_leak_block"
	assert_jq "$json" '.processes[0].argv | join(" ")' "$p out" "$cc: argv in the report"

	note "$cc: LEAK_DEPTH=2"
	LEAK_DEPTH=2 run_traced trace "$p" out
	json=$(report_json "$trace")
	# LEAK_DEPTH counts return addresses; inlined frames expand one of them into several.
	assert_jq "$json" '[.processes[0].findings[].stack | map(select(.inlined | not)) | length] | max' 2 \
		"$cc: most non-inlined frames in a stack with LEAK_DEPTH=2"
	assert_jq "$json" '[leaks_in("exit_leak_block")[].stack | map(.function) | join(" ")] | unique | join(",")' \
		"exit_leak_block main" "$cc: stacks at exit_leak_block with LEAK_DEPTH=2"
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "$cc: count at exit_leak_block with LEAK_DEPTH=2"

	note "$cc: LEAK_OUT with %e and %p"
	d=$TMP/$cc-pattern
	mkdir -p "$d"
	timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/trace-%e-%p.lkt" "$p" pid >"$d/stdout" </dev/null
	pid=$(cat "$d/stdout")
	assert_match "$pid" '^[0-9]+$' "$cc: pid printed by heap_exit pid"
	assert_eq "$(cd "$d" && echo *.lkt)" "trace-heap_exit-$pid.lkt" "$cc: trace name from LEAK_OUT=trace-%e-%p.lkt"
	json=$(report_json "$d/trace-heap_exit-$pid.lkt")
	assert_jq "$json" '.processes[0].pid' "$pid" "$cc: pid in the report"
	json=$(report_json "$d") # a directory: every trace in it
	assert_jq "$json" '[.processes[].pid] | join(",")' "$pid" "$cc: pids in the report of the directory"
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "$cc: count at exit_leak_block, report of the directory"
	timeout "$T_LIMIT" "$LEAK_REPORT" --json -o "$d/report.json" "$d/trace-heap_exit-$pid.lkt" >"$d/report.stdout"
	assert_eq "$(wc -c <"$d/report.stdout")" 0 "$cc: leak-report -o FILE: bytes on stdout"
	assert_jq "$(cat "$d/report.json")" 'bytes_in("exit_leak_block")' 11110 "$cc: bytes at exit_leak_block in leak-report -o FILE"

	note "$cc: LEAK_OUT naming a directory"
	d=$TMP/$cc-outdir
	mkdir -p "$d/traces" "$d/sub"
	timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/traces" "$p" pid >"$d/stdout" </dev/null
	pid=$(cat "$d/stdout")
	assert_eq "$(cd "$d" && find . -name '*.lkt' | sort)" "./traces/leak.heap_exit.$pid.lkt" \
		"$cc: traces with LEAK_OUT=an existing directory"
	assert_jq "$(report_json "$d/traces")" 'count_in("exit_leak_block")' 5 \
		"$cc: count at exit_leak_block, trace in LEAK_OUT's directory"
	(cd "$d/sub" && timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT=../traces/ "$p" pid) \
		>"$d/stdout" </dev/null
	assert_eq "$(cd "$d" && find . -name '*.lkt' | wc -l)" 2 "$cc: traces after LEAK_OUT=../traces/"
	[ -f "$d/traces/leak.heap_exit.$(cat "$d/stdout").lkt" ] ||
		fail "$cc: LEAK_OUT=../traces/ (relative, trailing slash): no trace in the directory"
	rc=0
	timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/missing/" "$p" out \
		>"$d/stdout" 2>"$d/stderr" </dev/null || rc=$?
	assert_eq "$rc" 42 "$cc: exit status with LEAK_OUT=a missing directory/"
	assert_match "$(grep -vxFf "$native_stderr" "$d/stderr")" \
		"^libleak: cannot write trace $d/missing/leak.heap_exit.[0-9]+.lkt: No such file" \
		"$cc: the one line for LEAK_OUT=a missing directory/"
	[ ! -e "$d/missing" ] || fail "$cc: LEAK_OUT=a missing directory/ created something"

	note "$cc: LEAK_DISABLE=1"
	d=$TMP/$cc-disable
	mkdir -p "$d"
	rc=0
	timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_DISABLE=1 LEAK_OUT="$d/leak.%p.lkt" "$p" out \
		>"$d/stdout" 2>"$d/stderr" </dev/null || rc=$?
	assert_eq "$rc" 42 "$cc: exit status with LEAK_DISABLE=1"
	cmp -s "$d/stdout" "$native_stdout" || fail "$cc: stdout with LEAK_DISABLE=1 differs from native"
	assert_eq "$(cd "$d" && find . -name '*.lkt')" "" "$cc: traces written with LEAK_DISABLE=1"

	note "$cc: unwritable LEAK_OUT"
	d=$TMP/$cc-unwritable
	mkdir -p "$d"
	touch "$d/not-a-dir" # a path under a regular file is unwritable even for root
	rc=0
	timeout "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/not-a-dir/leak.%p.lkt" "$p" out \
		>"$d/stdout" 2>"$d/stderr" </dev/null || rc=$?
	assert_eq "$rc" 42 "$cc: exit status with an unwritable LEAK_OUT"
	cmp -s "$d/stdout" "$native_stdout" || fail "$cc: stdout with an unwritable LEAK_OUT differs from native"
	assert_eq "$(grep -cvxFf "$native_stderr" "$d/stderr")" 1 "$cc: extra stderr lines with an unwritable LEAK_OUT"
	assert_match "$(grep -vxFf "$native_stderr" "$d/stderr")" '^libleak: ' "$cc: the extra line is libleak's"
	assert_eq "$(grep -cxFf "$native_stderr" "$d/stderr")" "$(wc -l <"$native_stderr")" \
		"$cc: the program's own stderr lines are still there"

	note "$cc: SIGKILL after a few snapshots"
	d=$TMP/$cc-sigkill
	LEAK_INTERVAL_MS=100 start_bg "$d" "$p" wait
	wait_for "$d/stdout" '^ready$'
	# The leak is made before "ready". Wait (bounded) until the trace, read while it is being
	# written, has two snapshots that include it, so a loaded machine cannot make this flaky.
	for _ in $(seq 200); do
		live=$("$LEAK_REPORT" --json "$d"/out/*.lkt 2>/dev/null |
			jq -r "$LK_JQ_DEFS"' (.processes[0].snapshots >= 2) and (count_in("exit_leak_block") == 5)' || true)
		[ "$live" != true ] || break
		sleep 0.05
	done
	kill -KILL "$BG_PID"
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	assert_eq "$rc" 137 "$cc: exit status after SIGKILL"
	traces=("$d"/out/*.lkt)
	assert_eq "${#traces[@]}" 1 "$cc: traces after SIGKILL"
	json=$(report_json "${traces[0]}")
	assert_jq "$json" '.processes[0].snapshots >= 2' true "$cc: at least 2 snapshots before SIGKILL"
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "$cc: count at exit_leak_block after SIGKILL"
	assert_jq "$json" 'bytes_in("exit_leak_block")' 11110 "$cc: bytes at exit_leak_block after SIGKILL"

	note "$cc: SIGTERM, default disposition"
	d=$TMP/$cc-sigterm
	# No periodic snapshot can happen before the kill: any findings come from the final one.
	LEAK_INTERVAL_MS=600000 start_bg "$d" "$p" wait
	wait_for "$d/stdout" '^ready$'
	kill -TERM "$BG_PID"
	rc=0
	wait "$BG_PID" || rc=$?
	BG_PID=
	assert_eq "$rc" 143 "$cc: exit status after SIGTERM"
	traces=("$d"/out/*.lkt)
	assert_eq "${#traces[@]}" 1 "$cc: traces after SIGTERM"
	json=$(report_json "${traces[0]}")
	assert_jq "$json" 'count_in("exit_leak_block")' 5 "$cc: count at exit_leak_block after SIGTERM"
	assert_jq "$json" 'bytes_in("exit_leak_block")' 11110 "$cc: bytes at exit_leak_block after SIGTERM"
	assert_jq "$json" '.processes[0].truncated' false "$cc: truncated after SIGTERM"
done
echo "ok"

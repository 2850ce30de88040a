#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_report.sh - leak-attach with the real libleak.so, end to end, on programs started
# without it:
#  - a multithreaded malloc/free loop (progs/attach_loop.c) attached for a 2 s window: its
#    output and exit status are those of an unattached run; the report of the window has the
#    blocks leaked in leak_in_window (stack through worker), their growth, and the
#    descriptors opened in the window (from main), and --diff over the window shows the
#    growth; the descriptor and the threads that
#    existed before the attach are listed as pre-existing and are not findings, and the report
#    says which window it covers;
#  - a server blocked in accept/epoll_wait (progs/attach_server.c) attached while it serves
#    (the clang build through scripts/leak-run --pid):
#    same output (no EINTR) and status as unattached, and the window's allocations in
#    remember_line are in the report;
# (test_attach_cycles.sh repeats windows on one process; test_attach_stub.sh tests the
# tool's mechanics alone.)
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/attach_lib.sh
. "$(dirname "$0")/attach_lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)

for cc in "${COMPILERS[@]}"; do
	need "$(prog "$cc" attach_loop)" "$(prog "$cc" attach_server)"

	loop_start "$cc" "$TMP/$cc-plain"
	sleep 0.3
	loop_stop "$TMP/$cc-plain"

	d=$TMP/$cc-win
	loop_start "$cc" "$d"
	sleep 0.3
	rc=0
	timeout 30 "$ATTACH" --json -o "$d/t" -i 0.2 --for 2 "$LPID" >"$d/report.json" 2>"$d/attach.err" || rc=$?
	assert_eq "$rc" 0 "$cc: leak-attach status ($(cat "$d/attach.err"))"
	grep -q "^leak-attach: detached from $LPID" "$d/attach.err" || fail "$cc: no detach: $(cat "$d/attach.err")"
	loop_stop "$d"
	assert_eq "$(cat "$d/out")" "$(cat "$TMP/$cc-plain/out")" "$cc: output and status attached vs not"
	j=$(cat "$d/report.json")
	assert_jq "$j" '.processes | length' 1 "$cc: processes in the report"
	assert_jq "$j" "[leaks_in(\"leak_in_window\")[] | select(any(.stack[0:3][]; .function == \"worker\"))] | length > 0" true \
		"$cc: a leak in leak_in_window through worker"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth") | select(.stack[0].function == "leak_in_window")] | length' 1 \
		"$cc: growth of leak_in_window"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "fd" and .path == "/dev/null") | select(any(.stack[0:2][]; .function == "main" or .function == "open_in_window"))] | length' 1 \
		"$cc: descriptors opened in the window"
	# fd 3 was opened before the attach, the idle thread started before it: never findings.
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "fd") | .fds[] | select(. == 3)] | length' 0 \
		"$cc: the pre-existing descriptor among the findings"
	assert_jq "$j" '[.processes[0].findings[] | select(any(.stack[]?; .function == "idle"))] | length' 0 \
		"$cc: the pre-existing thread among the findings"
	# ... and listed as pre-existing, with the window the report covers.
	assert_jq "$j" '.processes[0].end_reason' detach "$cc: end reason"
	assert_jq "$j" '.processes[0].attached.detached' true "$cc: attached.detached"
	assert_jq "$j" '.processes[0].attached.window | test("^[0-9:]+-[0-9:]+, [0-9.]+ s$")' true "$cc: the window"
	assert_jq "$j" '[.processes[0].preexisting[] | select(.type == "file" and .fd == 3 and .path == "/dev/null")] | length' 1 \
		"$cc: the descriptor from before the attach listed as pre-existing"
	assert_jq "$j" '[.processes[0].preexisting[] | select(.type == "thread")] | length' 4 \
		"$cc: the threads from before the attach (main, idle, 2 workers) listed as pre-existing"
	# --diff works on the window: from the snapshot a second before its end (at least 0.8 s
	# in, snapshots every 0.2 s: leak_in_window has leaked by then, one block per thread every
	# 100 ms; the first snapshot may come before the first leak) to its last, it grew.
	dj=$(timeout 30 "$LEAK_REPORT" --json --diff -1s -1 "$d"/t/*.lkt) || fail "$cc: leak-report --diff on the window"
	assert_jq "$dj" '[.processes[0].diff[] | select(.change == "grew" and any(.stack[0:2][]; .function == "leak_in_window"))] | length' 1 \
		"$cc: --diff -1s -1 on the window: leak_in_window grew"
	assert_jq "$dj" '.processes[0].diff[] | select(any(.stack[0:2][]; .function == "leak_in_window")) | .count_a > 0' true \
		"$cc: --diff -1s -1: leak_in_window had blocks at the first snapshot compared"
	note "$cc: loop window: $(jq_get "$j" 'count_in("leak_in_window")') blocks leaked in leak_in_window, fds $(jq_get "$j" '[.processes[0].findings[] | select(.kind == "fd") | .fds[]] | join(" ")') opened; $(grep -E 'attached|detached' "$d/attach.err" | sed 's/; traces.*//' | tr '\n' ' ')"

	# The server, blocked in accept and epoll_wait while attached.
	for mode in plain attached; do
		s=$TMP/$cc-srv-$mode
		mkdir -p "$s"
		"$(prog "$cc" attach_server)" "$s/port" >"$s/out" 2>"$s/err" &
		spid=$!
		at_exit "kill -KILL $spid 2>/dev/null || true"
		for _ in $(seq 200); do [ -s "$s/port" ] && break; sleep 0.05; done
		port=$(cat "$s/port")
		if [ "$mode" = attached ]; then
			# clang's run goes through leak-run --pid (the same leak-attach behind it).
			if [ "$cc" = clang ]; then
				timeout 30 "$top/scripts/leak-run" --pid "$spid" -i 0.5 --json -o "$s/t" \
					>"$s/report.json" 2>"$s/attach.err" &
			else
				timeout 30 "$ATTACH" --json -o "$s/t" "$spid" >"$s/report.json" 2>"$s/attach.err" &
			fi
			apid=$!
			wait_for "$s/attach.err" "^leak-attach: attached to $spid" 20
		fi
		for i in 1 2 3; do
			exec 3<>"/dev/tcp/127.0.0.1/$port"
			printf 'line %s a\nline %s b\n' "$i" "$i" >&3
			head -n 2 <&3 >>"$s/replies"
			exec 3>&-
		done
		if [ "$mode" = attached ]; then
			sleep 0.2
			kill -INT "$apid"
			rc=0
			wait "$apid" || rc=$?
			assert_eq "$rc" 0 "$cc: leak-attach on the server ($(cat "$s/attach.err"))"
		fi
		exec 3<>"/dev/tcp/127.0.0.1/$port"
		echo quit >&3
		exec 3>&-
		rc=0
		wait "$spid" || rc=$?
		echo "status $rc" >>"$s/out"
	done
	assert_eq "$(cat "$TMP/$cc-srv-attached/out")" "$(cat "$TMP/$cc-srv-plain/out")" "$cc: server output and status"
	assert_eq "$(cat "$TMP/$cc-srv-attached/replies")" "$(cat "$TMP/$cc-srv-plain/replies")" "$cc: server replies"
	j=$(cat "$TMP/$cc-srv-attached/report.json")
	assert_jq "$j" '[.processes[0].findings[] | select(any(.stack[0:3][]; .function == "remember_line"))] | length > 0' true \
		"$cc: the window's remember_line blocks in the report"
	note "$cc: server: $(head -n 1 "$TMP/$cc-srv-attached/out"), same attached"
done

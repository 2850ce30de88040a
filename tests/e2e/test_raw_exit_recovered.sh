#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_raw_exit_recovered.sh - a process that ends where no hook can see it. raw_exit_child's
# child A leaves through an inline-asm exit_group(7) after periodic snapshots, child B is
# killed by SIGKILL; neither trace has an END record. Read with the parent's trace (a
# directory), the report takes each child's last snapshot as its final state, says it was
# recovered, and names the end the parent's waitpid saw (exit 7, signal 9), in JSON and text;
# child A's 4321-byte leak is found. Read alone, a child's trace still says recovered, with no
# exit status.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" raw_exit_child)
	need "$p"
	out=$TMP/$cc
	mkdir -p "$out"
	rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=20 \
		LEAK_OUT="$out/leak.%e.%p.lkt" "$p" >"$TMP/$cc.stdout" 2>"$TMP/$cc.stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "$cc: status"
	assert_eq "$(cat "$TMP/$cc.stdout")" "child A: exit 7
child B: signal 9" "$cc: what the parent saw"
	report_json "$out" >"$TMP/$cc.json"
	j=$(cat "$TMP/$cc.json")
	assert_jq "$j" '.processes | length' 3 "$cc: three traces"
	kids='.processes[] | select(.ppid != null and .forked)'
	assert_jq "$j" "[$kids | [.exit_status, .signal, .end_reason, .end_seen_by, .final_state,
		.cut_short] | map(tostring) | join(\",\")] | sort | join(\" \")" \
		"7,null,exit,parent_wait,recovered,true null,9,signal,parent_wait,recovered,true" \
		"$cc: the children's ends, from the parent's wait"
	assert_jq "$j" "[$kids | select(.exit_status == 7) | .findings[] | select(.kind == \"leak\"
		and .bytes == 4321)] | length" 1 "$cc: child A's leak, from its last snapshot"
	assert_jq "$j" '[.processes[] | select(.forked | not) | .final_state, .exit_status]
		| map(tostring) | join(",")' "final,0" "$cc: the parent ended normally"
	"$LEAK_REPORT" "$out" >"$TMP/$cc.txt"
	grep -q "exit 7 (its parent's wait saw it; no END record: final state recovered from its last snapshot)" \
		"$TMP/$cc.txt" || fail "$cc: text does not name child A's exit 7: $(grep -n 'ran' "$TMP/$cc.txt")"
	grep -q "killed by signal 9 (SIGKILL) (its parent's wait saw it; no END record: final state recovered" \
		"$TMP/$cc.txt" || fail "$cc: text does not name child B's signal: $(grep -n 'ran' "$TMP/$cc.txt")"

	# The child's trace alone: recovered, but nobody saw the status.
	pid_a=$(jq -r "$kids | select(.exit_status == 7) | .pid" <<<"$j")
	alone=$(echo "$out"/*."$pid_a".lkt)
	report_json "$alone" >"$TMP/$cc.alone.json"
	assert_jq "$(cat "$TMP/$cc.alone.json")" '.processes[0] | [.exit_status, .end_seen_by,
		.final_state] | map(tostring) | join(",")' "null,null,recovered" "$cc: child A alone"
	"$LEAK_REPORT" "$alone" | grep -q 'no END record (cut short); final state recovered from its last snapshot' ||
		fail "$cc: child A alone: not said to be recovered"
	note "$cc: exit 7 and signal 9 recovered from the parent's wait; $(grep -c . "$TMP/$cc.txt") lines of text"
done

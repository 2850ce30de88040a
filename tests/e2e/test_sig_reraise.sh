#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sig_reraise.sh - a program whose own SIGTERM handler ends it by the default action
# (progs/sig_reraise.c: node's SA_RESETHAND handler that calls raise, the C idiom
# signal(SIG_DFL) + raise, the same with kill) has replaced libleak's handler: the final
# snapshot must still be written, so the trace ends "killed by signal 15" with its exit scan,
# and the 10 blocks it lost are leaks at lose_blocks (without it: no END record, and every
# block live at the last periodic snapshot, if any, a leak). The same for a SIGABRT handler
# that does so after abort() (signal 6). A SIGTERM sent to itself while blocked, for a
# sigwait thread, ends nothing: that program runs on, loses 5 more blocks and exits 0, and
# its trace must say so. Then node itself, stopped with SIGTERM and SIGINT.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" sig_reraise)
	need "$p"
	for mode in resethand dfl kill; do
		run_native "$p" "$mode"
		native=$RUN_STATUS
		run_traced t "$p" "$mode"
		assert_eq "$RUN_STATUS" "$native" "$mode ($cc): status under the preload"
		assert_eq "$RUN_STATUS" 143 "$mode ($cc): killed by SIGTERM"
		j=$(report_json "$t")
		assert_jq "$j" '.processes[0] | [.end_reason, .signal, .heap_source, .cut_short] | tojson' \
			'["signal",15,"final_snapshot",false]' "$mode ($cc): trace ends with the signal"
		assert_jq "$j" '.processes[0].scan != null' true "$mode ($cc): the exit scan ran"
		assert_jq "$j" '[leaks_in("lose_blocks")[] | select(.bytes == .count * 77)] | map(.count) | add' 10 \
			"$mode ($cc): the 10 lost blocks are leaks at lose_blocks"
	done
	run_native "$p" abrt
	native=$RUN_STATUS
	run_traced t "$p" abrt
	assert_eq "$RUN_STATUS" "$native" "abrt ($cc): status under the preload"
	assert_eq "$RUN_STATUS" 134 "abrt ($cc): killed by SIGABRT"
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0] | [.end_reason, .signal, .heap_source, .cut_short] | tojson' \
		'["signal",6,"final_snapshot",false]' "abrt ($cc): trace ends with the signal"
	assert_jq "$j" '[leaks_in("lose_blocks")[] | select(.bytes == .count * 77)] | map(.count) | add' 10 \
		"abrt ($cc): the 10 lost blocks are leaks at lose_blocks"
	run_traced t "$p" sigwait
	assert_eq "$RUN_STATUS" 0 "sigwait ($cc): status"
	assert_eq "$(cat "$RUN_STDOUT")" "sigwait done" "sigwait ($cc): the program ran on"
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0] | [.end_reason, .exit_status] | tojson' '["exit",0]' \
		"sigwait ($cc): a raise taken by sigwait is no end"
	assert_jq "$j" '[leaks_in("lose_blocks")[] | select(.bytes == .count * 99)] | map(.count) | add' 5 \
		"sigwait ($cc): the blocks lost after the raise are in the final snapshot"
done

# node installs its own SIGINT and SIGTERM handlers (SA_RESETHAND, then raise).
if ! command -v node >/dev/null; then
	echo "SKIP: node not installed (the C cases above ran)"
	exit 0
fi
for sig in TERM INT; do
	d=$TMP/node-$sig
	mkdir -p "$d"
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/leak.%e.%p.lkt" node -e \
		'setInterval(() => {}, 1000); console.log("ready");' >"$d/stdout" 2>"$d/stderr" </dev/null &
	pid=$!
	at_exit "kill -KILL $pid 2>/dev/null || true"
	wait_for "$d/stdout" '^ready$' 30
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	signo=$(kill -l "$sig")
	assert_eq "$rc" $((128 + signo)) "node, SIG$sig: status"
	traces=("$d"/*.lkt)
	assert_eq "${#traces[@]}" 1 "node, SIG$sig: traces written"
	j=$(report_json "${traces[0]}")
	assert_jq "$j" '.processes[0] | [.end_reason, .signal, .heap_source] | tojson' \
		"[\"signal\",$signo,\"final_snapshot\"]" "node, SIG$sig: trace ends with the signal"
	note "node, SIG$sig: $(jq -r '[.processes[0].findings[].kind] | group_by(.) | map("\(length) \(.[0])") | join(", ")' <<<"$j")"
done

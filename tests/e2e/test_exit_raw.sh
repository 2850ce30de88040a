#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_exit_raw.sh - ways out that bypass exit() and _exit() end the trace too: libc's
# syscall(SYS_exit_group), syscall(SYS_exit) from the last thread (and not from another one),
# and daemon(), whose parent leaves through glibc's internal _exit. Each trace must be
# complete with the program's exit status; syscall() itself must stay transparent (a
# six-argument mmap, errno on failure), so stdout matches the native run.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

declare -A want=([exit_group]=7 [exit_last]=8 [exit_thread]=3)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" exit_raw)
	need "$p"
	for mode in exit_group exit_last exit_thread; do
		LKR_EXPECT_STATUS=${want[$mode]} LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
			lkr_pair "exit_raw.$mode.$cc" "$p" "$mode"
		assert_jq "$LKR_JSON" '.processes[0].truncated' false "$mode ($cc): trace complete"
		assert_jq "$LKR_JSON" '.processes[0].exit_status' "${want[$mode]}" "$mode ($cc): exit status"
		assert_jq "$LKR_JSON" '[.processes[0].findings[] | select(.bytes == 1000)] | length' 1 "$mode ($cc): the 1000-byte block live at exit"
		note "$mode ($cc): complete, exit ${want[$mode]}"
	done

	# daemon(): the parent's trace ends with status 0, the child writes its own.
	out=$TMP/daemon.$cc
	mkdir -p "$out"
	rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
		"$p" daemon "$out/daemon.txt" >"$out/stdout" 2>"$out/stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "daemon ($cc): the parent's exit status"
	json=
	for _ in $(seq 100); do
		if [ -s "$out/daemon.txt" ]; then
			json=$("$LEAK_REPORT" --json "$out"/*.lkt 2>/dev/null) || json=
			[ -n "$json" ] && [ "$(jq '[.processes[] | select(.truncated)] | length' <<<"$json")" = 0 ] && break
		fi
		sleep 0.1
	done
	[ -n "$json" ] || fail "daemon ($cc): traces do not read"
	assert_jq "$json" '.processes | length' 2 "daemon ($cc): parent and child traced"
	assert_jq "$json" '[.processes[] | .truncated, .exit_status] | map(tostring) | join(",")' \
		"false,0,false,0" "daemon ($cc): both traces complete with status 0"
	note "daemon ($cc): parent and child traces complete"
done

# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# attach_common.sh - for the workloads that attach to a program already running (the
# <program>_attach.sh files): in the leak run, leak-attach loads libleak.so into the running
# process for a window (traces in LKR_TRACES), in the native run nothing happens. The program
# itself always starts without the preload. leak-attach's messages and report go to
# LKR_DIR/attach.err and attach.out, never to the workload's stdout.

# attach_begin PID: leak-attach PID in the background (leak run only); returns once it says
# it attached (at most 20 s), 1 if it did not.
attach_begin() {
	[ "${LKR_MODE:-native}" = leak ] || return 0
	"${BUILD_ABS:?}/leak-attach" -o "${LKR_TRACES:?}" -i 0.2 "$1" \
		>"$LKR_DIR/attach.out" 2>"$LKR_DIR/attach.err" &
	ATTACH_PID=$!
	SERVER_PIDS+=("$ATTACH_PID")
	local i
	for i in $(seq 1 400); do
		grep -q '^leak-attach: attached to' "$LKR_DIR/attach.err" 2>/dev/null && return 0
		if ! kill -0 "$ATTACH_PID" 2>/dev/null; then
			echo "attach_common.sh: leak-attach $1 failed: $(cat "$LKR_DIR/attach.err")" >&2
			return 1
		fi
		[ "$i" -gt 0 ] && sleep 0.05
	done
	echo "attach_common.sh: leak-attach $1 did not attach in 20 s" >&2
	return 1
}

# attach_end: Ctrl-C to leak-attach (leak run only): it detaches and writes the report;
# returns 1 unless it detached and exited 0.
attach_end() {
	[ "${LKR_MODE:-native}" = leak ] || return 0
	kill -INT "$ATTACH_PID"
	local rc=0
	wait "$ATTACH_PID" || rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^leak-attach: detached from' "$LKR_DIR/attach.err"; then
		echo "attach_common.sh: leak-attach ended with $rc: $(cat "$LKR_DIR/attach.err")" >&2
		return 1
	fi
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_passing.sh - descriptors that arrive without an open call, built with gcc and clang:
# received over a unix socket with SCM_RIGHTS (recvmsg with several fds in one message,
# recvmmsg with two messages, a message truncated to one fd) and made by pidfd_open and
# pidfd_getfd. The report must name the receiving function, with the real type (found by
# fstat), path, api and count of each leaked one, and nothing for those closed, discarded by
# the kernel (no control buffer, no room: MSG_CTRUNC) or never sent. A second run ends in an
# exec, so inherited_by_exec shows the close-on-exec flag taken from MSG_CMSG_CLOEXEC (set
# for recv_several, not for recv_two_mmsg) and the one the kernel always sets on pidfds.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# fd findings whose first frames include function $f; one($f; $type) is the single one of
# that type.
# shellcheck disable=SC2016 # jq variables
DEFS='
def fds_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f))];
def one($f; $t): [fds_in($f)[] | select(.fd_type == $t)]
	| if length == 1 then .[0] else error("\(length) \($t) findings in \($f)") end;
def fd_total: [.processes[].findings[] | select(.kind == "fd") | .count] | add // 0;
'

# check_fd JSON FUNCTION TYPE COUNT PATH API [EXEC]: the TYPE finding from FUNCTION, exactly
# so (peer empty); EXEC, if given, is its inherited_by_exec.
check_fd() {
	local j=$1 f=$2 ty=$3
	assert_jq "$j" "$DEFS one(\"$f\"; \"$ty\") | [.count, (.fds | length), .path, .peer, .api] | @json" \
		"[$4,$4,\"$5\",\"\",\"$6\"]" "$f $ty"
	if [ -n "${7:-}" ]; then
		assert_jq "$j" "$DEFS one(\"$f\"; \"$ty\") | .inherited_by_exec" "$7" "$f $ty inherited_by_exec"
	fi
}

# check_all JSON PID PORT [exec]: every finding of fd_passing (process PID, UDP port PORT).
check_all() {
	local j=$1 pid=$2 port=$3 x='' y=''
	if [ "${4:-}" = exec ]; then
		x=false # close-on-exec
		y=true
	fi
	check_fd "$j" recv_several file 1 /etc/hostname recvmsg "$x"
	check_fd "$j" recv_several pipe 1 "" recvmsg "$x"
	check_fd "$j" recv_several socket 1 "udp 127.0.0.1:$port" recvmsg "$x"
	assert_jq "$j" "$DEFS fds_in(\"recv_several\") | length" 3 "recv_several findings (eventfd closed)"
	check_fd "$j" recv_two_mmsg memfd 1 memfd:lk-scm-memfd recvmmsg "$y"
	check_fd "$j" recv_two_mmsg eventfd 1 "" recvmmsg "$y"
	check_fd "$j" recv_two_mmsg dir 1 /etc recvmmsg "$y"
	assert_jq "$j" "$DEFS fds_in(\"recv_two_mmsg\") | length" 3 "recv_two_mmsg findings (pipe closed)"
	check_fd "$j" recv_truncated_partial file 1 /etc/hosts recvmsg "$y"
	assert_jq "$j" "$DEFS fds_in(\"recv_truncated_partial\") | length" 1 "recv_truncated_partial findings"
	check_fd "$j" leak_pidfd other 1 "pidfd:$pid" pidfd_open "$x"
	check_fd "$j" leak_pidfd_getfd file 1 /etc/passwd pidfd_getfd "$x"
	local f
	for f in recv_and_close_all recv_no_fds recv_without_control recv_truncated_empty \
		recv_errors closed_pidfd open_or_die udp_socket; do
		assert_jq "$j" "$DEFS fds_in(\"$f\") | length" 0 "$f must not be reported"
	done
	assert_jq "$j" "$DEFS fd_total" 9 "fd findings in fd_passing"
}

truebin=$(type -P true)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fd_passing)
	need "$p"

	note "SCM_RIGHTS and pidfds ($cc)"
	run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "fd_passing exit status (stderr: $(head -c 300 "$RUN_STDERR"))"
	port=$(sed -n 's/^port //p' "$RUN_STDOUT")
	assert_match "$port" '^[0-9]+$' "UDP port"
	pid=${t##*.fd_passing.}
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0].end_reason' exit "end reason"
	check_all "$j" "${pid%.lkt}" "$port"

	note "close-on-exec of received descriptors, seen at exec ($cc)"
	out=$TMP/exec.$cc
	mkdir -p "$out"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
		"$p" "$truebin" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "fd_passing+exec exit status (stderr: $(head -c 300 "$out/stderr"))"
	mine=("$out"/leak.fd_passing.*.lkt)
	assert_eq "${#mine[@]}" 1 "fd_passing traces"
	pid=${mine[0]##*.fd_passing.}
	port=$(sed -n 's/^port //p' "$out/stdout")
	j=$(report_json "${mine[0]}")
	assert_jq "$j" '.processes[0].end_reason' exec "end reason"
	check_all "$j" "${pid%.lkt}" "$port" exec
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fds.sh - descriptor leaks of every family, built with gcc and clang: files (open,
# openat, creat, fopen, opendir), eventfd/timerfd/epoll/signalfd/inotify/memfd, dup/dup2/dup3/
# fcntl, dup2 over an open descriptor, close_range, reuse of a number, pipes, loopback sockets
# (listener, connect, accept with a NULL address, socketpair, udp, unix), and a daemon that
# closes 3..1023 at start. Each leak comes from its own function: the report must name it,
# with the exact type, path/peer, api and count, and report nothing for what was closed.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# fd findings whose first frames include function $f; fd_in($f; $field) prints one field.
# shellcheck disable=SC2016 # jq variables
DEFS='
def fds_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f))];
def one($f): fds_in($f) | if length == 1 then .[0] else error("\(length) findings in \($f)") end;
def fd_total: [.processes[].findings[] | select(.kind == "fd") | .count] | add // 0;
'

# check_fd JSON FUNCTION COUNT TYPE PATH PEER API: one finding from FUNCTION, exactly so.
check_fd() {
	local j=$1 f=$2
	assert_jq "$j" "$DEFS one(\"$f\") | [.count, (.fds | length), .fd_type, .path, .peer, .api] | @json" \
		"[$3,$3,\"$4\",\"$5\",\"$6\",\"$7\"]" "$f"
}

for cc in "${COMPILERS[@]}"; do
	note "files ($cc)"
	p=$(prog "$cc" fd_files)
	need "$p"
	mkdir -p "$TMP/files.$cc"
	run_traced t "$p" "$TMP/files.$cc"
	assert_eq "$RUN_STATUS" 0 "fd_files exit status"
	j=$(report_json "$t")
	check_fd "$j" leak_open 1 file /etc/hostname "" open
	check_fd "$j" leak_openat 1 file /etc/passwd "" openat
	check_fd "$j" leak_creat 1 file "$TMP/files.$cc/created.txt" "" creat
	check_fd "$j" leak_fopen 1 file /etc/group "" fopen
	check_fd "$j" leak_opendir 1 dir /etc "" opendir
	assert_jq "$j" "$DEFS fds_in(\"closed_properly\") | length" 0 "closed descriptors reported"
	assert_jq "$j" "$DEFS fd_total" 5 "fd findings in fd_files"

	note "other descriptor kinds ($cc)"
	p=$(prog "$cc" fd_kinds)
	need "$p"
	run_traced t "$p"
	j=$(report_json "$t")
	check_fd "$j" leak_eventfd 1 eventfd "" "" eventfd
	check_fd "$j" leak_timerfd 1 timerfd "" "" timerfd_create
	check_fd "$j" leak_epoll 1 epoll "" "" epoll_create1
	check_fd "$j" leak_signalfd 1 signalfd "" "" signalfd
	check_fd "$j" leak_inotify 1 inotify "" "" inotify_init1
	check_fd "$j" leak_memfd 1 memfd memfd:lk-test-memfd "" memfd_create
	assert_jq "$j" "$DEFS fd_total" 6 "fd findings in fd_kinds (epoll_create+close is none)"

	note "dup, dup2 over an open fd, close_range, reuse ($cc)"
	p=$(prog "$cc" fd_dup)
	need "$p"
	run_traced t "$p"
	j=$(report_json "$t")
	check_fd "$j" leak_dup 1 file /etc/hostname "" dup
	check_fd "$j" leak_dup2 1 file /etc/hostname "" dup2
	check_fd "$j" leak_dup3 1 file /etc/hostname "" dup3
	check_fd "$j" leak_fcntl_dup 1 file /etc/hostname "" fcntl
	check_fd "$j" leak_dup2_over_open 1 pipe "" "" dup2
	check_fd "$j" leak_reused_number 1 file /etc/group "" dup2
	assert_jq "$j" "$DEFS one(\"leak_dup2\") | .fds | @json" "[100]" "dup2 target"
	assert_jq "$j" "$DEFS one(\"leak_dup2_over_open\") | .fds | @json" "[102]" "dup2 over open"
	assert_jq "$j" "$DEFS one(\"leak_reused_number\") | .fds | @json" "[400]" "reused number"
	for f in overwritten_open close_range_victims first_use_of_number src_fd; do
		assert_jq "$j" "$DEFS fds_in(\"$f\") | length" 0 "$f must not be reported"
	done
	assert_jq "$j" "$DEFS fd_total" 6 "fd findings in fd_dup"

	note "pipes ($cc)"
	p=$(prog "$cc" fd_pipes)
	need "$p"
	run_traced t "$p"
	j=$(report_json "$t")
	check_fd "$j" leak_pipe 2 pipe "" "" pipe
	check_fd "$j" leak_pipe2 2 pipe "" "" pipe2
	assert_jq "$j" "$DEFS fd_total" 4 "fd findings in fd_pipes"

	note "loopback sockets ($cc)"
	p=$(prog "$cc" sock_loopback)
	need "$p"
	run_traced t "$p" "$TMP/sock.$cc"
	assert_eq "$RUN_STATUS" 0 "sock_loopback exit status"
	port=$(sed -n 's/^port //p' "$RUN_STDOUT")
	assert_match "$port" '^[0-9]+$' "listener port"
	j=$(report_json "$t")
	check_fd "$j" leak_listener 1 socket "tcp 127.0.0.1:$port" "" socket
	client=$(jq -r "$DEFS one(\"leak_client\") | .path" <<<"$j")
	assert_match "$client" '^tcp 127\.0\.0\.1:[0-9]+$' "client local address"
	check_fd "$j" leak_client 1 socket "$client" "127.0.0.1:$port" socket
	# The accepted socket: local is the listener's address, peer the client's.
	check_fd "$j" leak_accepted 1 socket "tcp 127.0.0.1:$port" "${client#tcp }" accept
	check_fd "$j" leak_socketpair 2 socket unix "" socketpair
	assert_jq "$j" "$DEFS one(\"leak_udp\") | .path | test(\"^udp 127\\\\.0\\\\.0\\\\.1:[0-9]+$\")" true "udp address"
	check_fd "$j" leak_unix_listener 1 socket "unix $TMP/sock.$cc" "" socket
	assert_jq "$j" "$DEFS fds_in(\"closed_pair\") | length" 0 "closed sockets reported"
	assert_jq "$j" "$DEFS fd_total" 7 "fd findings in sock_loopback"

	note "daemon closing 3..1023 ($cc)"
	p=$(prog "$cc" daemon_closefds)
	need "$p"
	LEAK_INTERVAL_MS=20 run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "daemon_closefds exit status"
	j=$(report_json "$t")
	assert_jq "$j" '.processes[0].end_reason' exit "daemon trace complete"
	assert_jq "$j" '.processes[0].snapshots > 2' true "periodic snapshots after the close loop"
	check_fd "$j" leak_after_closing 1 file /etc/hostname "" open
	assert_jq "$j" "$DEFS fd_total" 1 "fd findings in daemon_closefds"
done

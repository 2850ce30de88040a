#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_close_unseen.sh - the close hooks mark a descriptor closed before the real close: a
# close() that fails with EBADF because the descriptor was closed already, by a raw system call
# no hook saw, leaves no finding (it is not open), and keeps its EBADF; what stays open is
# reported with its api, type and path.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='def fds_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f))];'
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fd_close_unseen)
	need "$p"
	run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "fd_close_unseen ($cc): exit status (close found EBADF)"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS fds_in(\"closed_unseen\") | length" 0 \
		"fd_close_unseen ($cc): a descriptor closed unseen, then close()d, is no finding"
	assert_jq "$j" "$DEFS fds_in(\"kept_open\") | map(\"\(.fd_type)/\(.api)/\(.count)\") | sort | join(\",\")" \
		"file/open/1,socket/socketpair/2" "fd_close_unseen ($cc): what stays open"
	assert_jq "$j" "$DEFS fds_in(\"kept_open\") | map(select(.fd_type == \"file\") | .path) | join(\",\")" \
		"/etc/hostname" "fd_close_unseen ($cc): the file's path"
	note "fd_close_unseen ($cc): close after an unseen close"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_syscall.sh - descriptors made and closed through libc's syscall() (libuv closes every
# descriptor with syscall(SYS_close, fd)): what was closed that way is not reported, what was
# made that way and left open is, with its stack and api; a failed close keeps its errno.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='def fds_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f))];'
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fd_syscall)
	need "$p"
	run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "fd_syscall ($cc): exit status"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS fds_in(\"closed_by_syscall\") | length" 0 \
		"fd_syscall ($cc): descriptors closed by syscall(SYS_close) are not findings"
	assert_jq "$j" "$DEFS fds_in(\"leak_by_syscall\") | map(\"\(.fd_type)/\(.api)/\(.count)\") | sort | join(\",\")" \
		"pipe/pipe2/2,socket/dup/1,socket/socket/1" "fd_syscall ($cc): what syscall() made and left open"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd")] | length' 3 \
		"fd_syscall ($cc): fd findings"
	note "fd_syscall ($cc): syscall() descriptors seen"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_cwd.sh - relative paths are named against the working directory of their open,
# which libleak caches (preload/fd_cwd.c): after chdir, fchdir and syscall(SYS_chdir) the next
# relative open is named in the new directory, never the remembered one, and a directory
# renamed under the program (which no hook sees) is picked up within a few snapshots. Built
# with gcc and clang.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='def path_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f)) | .path] | join(",");'
for cc in "${COMPILERS[@]}"; do
	d=$TMP/cwd.$cc
	mkdir -p "$d"
	d=$(cd "$d" && pwd -P) # as getcwd names it
	p=$(prog "$cc" fd_cwd)
	need "$p"
	run_traced t LEAK_INTERVAL_MS=50 "$p" "$d"
	assert_eq "$RUN_STATUS" 0 "fd_cwd ($cc): exit status"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS path_in(\"leak_in_a\")" "$d/a/in_a" "fd_cwd ($cc): open in a"
	assert_jq "$j" "$DEFS path_in(\"leak_after_chdir\")" "$d/b/after_chdir" "fd_cwd ($cc): after chdir"
	assert_jq "$j" "$DEFS path_in(\"leak_after_fchdir\")" "$d/c/after_fchdir" "fd_cwd ($cc): after fchdir"
	assert_jq "$j" "$DEFS path_in(\"leak_after_syscall\")" "$d/d/after_syscall" \
		"fd_cwd ($cc): after syscall(SYS_chdir)"
	assert_jq "$j" "$DEFS path_in(\"leak_after_rename\")" "$d/e/after_rename" \
		"fd_cwd ($cc): cwd renamed under the program"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd")] | length' 5 \
		"fd_cwd ($cc): fd findings"
	note "fd_cwd ($cc): relative paths named in the directory of their open"
done

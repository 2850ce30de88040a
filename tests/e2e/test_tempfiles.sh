#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tempfiles.sh - temp files: a mkstemp file and a mkdtemp directory still on disk at exit
# are reported with their exact paths, api and creating function; temp files removed with
# unlink, unlinkat, remove and rmdir, and tmpfile(), are not.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='
def temps: [.processes[].findings[] | select(.kind == "tempfile")];
def in_fn($f): [temps[] | select(any(.stack[0:4][]; .function == $f))];
'

for cc in "${COMPILERS[@]}"; do
	note "temp files ($cc)"
	p=$(prog "$cc" temp_files)
	need "$p"
	d=$TMP/tmp.$cc
	mkdir -p "$d"
	run_traced t "$p" "$d"
	assert_eq "$RUN_STATUS" 0 "temp_files exit status"
	left_file=$(sed -n 's/^left \(.*left-.*\)$/\1/p' "$RUN_STDOUT")
	left_dir=$(sed -n 's/^left \(.*leftdir-.*\)$/\1/p' "$RUN_STDOUT")
	[ -f "$left_file" ] || fail "the program did not leave $left_file"
	[ -d "$left_dir" ] || fail "the program did not leave $left_dir"
	assert_eq "$(find "$d" -mindepth 1 | wc -l)" 2 "entries left in $d"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS in_fn(\"leave_mkstemp\") | map([.count, .path, .api]) | @json" "[[1,\"$left_file\",\"mkstemp\"]]" "mkstemp left"
	assert_jq "$j" "$DEFS in_fn(\"leave_mkdtemp\") | map([.count, .path, .api]) | @json" "[[1,\"$left_dir\",\"mkdtemp\"]]" "mkdtemp left"
	assert_jq "$j" "$DEFS temps | length" 2 "tempfile findings (removed ones must not count)"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd")] | length' 0 "fd findings"
done

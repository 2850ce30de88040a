#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tempfile_groups.sh - temp files left on disk group by creating stack like descriptors:
# five mkstemp files from one site are one finding (count 5, every path, the text report says
# "(5 in all)"), one from another site a second; --fail-on tempfile>N counts files.
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
	note "temp file groups ($cc)"
	p=$(prog "$cc" temp_groups)
	need "$p"
	d=$TMP/tmp.$cc
	mkdir -p "$d"
	run_traced t "$p" "$d"
	assert_eq "$RUN_STATUS" 0 "temp_groups exit status"
	assert_eq "$(find "$d" -mindepth 1 | wc -l)" 6 "files left in $d"
	many=$(sed -n 's/^many //p' "$RUN_STDOUT" | jq -R . | jq -sc .)
	one=$(sed -n 's/^one //p' "$RUN_STDOUT")
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS temps | length" 2 "tempfile findings"
	assert_jq "$j" "$DEFS temps | map(.count) | @json" "[5,1]" "counts, most first"
	assert_jq "$j" "$DEFS in_fn(\"make_temp\") | map([.count, .api, .paths, .path]) | @json" \
		"[[5,\"mkstemp\",$many,$(jq -c ".[0]" <<<"$many")]]" \
		"the five from make_temp"
	assert_jq "$j" "$DEFS in_fn(\"leave_one\") | map([.count, .paths]) | @json" \
		"[[1,[\"$one\"]]]" "the one from leave_one"
	txt=$("$LEAK_REPORT" "$t")
	first=$(jq -r '.[0]' <<<"$many")
	assert_match "$txt" "tempfile +5 left on disk \\(mkstemp\\): $first, [^ ]+, [^ ]+ \\.\\.\\. \\(5 in all\\)" \
		"text line of the group"
	assert_match "$txt" "tempfile +1 left on disk \\(mkstemp\\): $one\$" "text line of the single one"
	rc=0
	"$LEAK_REPORT" --fail-on 'tempfile>5' "$t" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 3 "--fail-on tempfile>5 with 6 files"
	rc=0
	"$LEAK_REPORT" --fail-on 'tempfile>6' "$t" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 0 "--fail-on tempfile>6 with 6 files"
done

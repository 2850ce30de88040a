#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_report_actionable.sh - reports that lead with what to act on:
#   - python3 leaking 3 descriptors: the fd finding is shown in text (default --top) and
#     comes before any reachable finding in JSON, reachable memory is one summary line (listed with --show reachable),
#     and JSON keeps every reachable finding, last;
#   - proc_tree (system("sleep"), system("sh -c"), fork+exec sleep, three rounds): 16 traces
#     (a child that forks only to exec writes none of its own, only the program it execs),
#     the 15 clean children one line of the tree in all; --pid and --exe select processes in
#     leak-report and leak-view; LEAK_FOLLOW_FORK=0 leaves the parent's trace only;
#   - a wrapper script (a descriptor of its own) running a growing program: the text report
#     opens with one line per process with findings, the grower first;
#   - leak-run --json writes nothing but the JSON document on stdout (| jq);
#   - leak-report --fail-on with limits (leak>SIZE, fd>N, bad limits exit 2).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_RUN=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-run
LEAK_VIEW=$BUILD_ABS/leak-view
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_RUN" "$LEAK_VIEW" "$(prog gcc proc_tree)" "$(prog clang proc_tree)"
# The interpreter itself, not a wrapper script (a pyenv shim would be the traced root).
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)
[ -x "$py" ] || fail "python3 is missing (scripts/install-deps installs it)"

note "python3 with 3 leaked descriptors: fd first, nothing cut"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_RUN" -o "$TMP/py" -- "$py" -c \
	'import os; fds=[os.open("/dev/null", 0) for _ in range(3)]' >"$TMP/py.txt" 2>"$TMP/py.err" || rc=$?
assert_eq "$rc" 0 "leak-run python3: exit status"
text=$(cat "$TMP/py.txt")
assert_match "$text" '#[1-9] +fd +3 open +file /dev/null' "python3: the 3 descriptors are shown, among the first"
if grep -Eq '#[0-9]+ +reachable' <<<"$text"; then
	fail "python3: reachable findings listed without --show reachable: $text"
fi
if grep -q 'more finding' <<<"$text"; then
	fail "python3: actionable findings cut by --top: $text"
fi
t=("$TMP"/py/*.lkt)
j=$(report_json "${t[@]}")
assert_jq "$j" '[.processes[0].findings[].kind] | index("fd") < 9' true "python3 JSON: fd among the first"

# A Python trace keeps no reachable findings (the interpreter holds its whole heap at
# finalization); reachable noise comes from a C program that keeps a config, a list and a table
# in globals next to its 5 lost blocks.
note "reachable noise: one summary line, listed with --show reachable, all kept in JSON"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_RUN" -o "$TMP/rg" -- "$(prog gcc grow_reach_globals)" \
	>"$TMP/rg.txt" 2>"$TMP/rg.err" || rc=$?
assert_eq "$rc" 0 "leak-run grow_reach_globals: exit status"
text=$(cat "$TMP/rg.txt")
assert_match "$text" '#1 +leak ' "grow_reach_globals: the lost blocks first"
assert_match "$text" 'reachable at exit: [0-9.]+ (B|KiB|MiB) in [0-9,]+ blocks? from [0-9]+ stacks?; --show reachable lists them' \
	"grow_reach_globals: reachable summary line"
if grep -Eq '#[0-9]+ +reachable' <<<"$text"; then
	fail "grow_reach_globals: reachable findings listed without --show reachable: $text"
fi
rg=("$TMP"/rg/*.lkt)
shown=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --show reachable "${rg[@]}")
assert_match "$shown" '#[0-9]+ +reachable ' "--show reachable lists them"
j=$(report_json "${rg[@]}")
assert_jq "$j" '[.processes[0].findings[].kind] | (index("reachable") // 99) > (index("leak"))' true "JSON: reachable after leak"
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "reachable")] | length >= 3' true "JSON: every reachable finding kept"

note "leak-report --fail-on with limits"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --fail-on 'fd>3' "${t[@]}" >/dev/null 2>"$TMP/f.err" || rc=$?
assert_eq "$rc" 0 "--fail-on fd>3 with 3 descriptors"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --fail-on 'reachable>1g,fd>2' "${t[@]}" >/dev/null 2>"$TMP/f.err" || rc=$?
assert_eq "$rc" 3 "--fail-on fd>2 with 3 descriptors"
assert_eq "$(cat "$TMP/f.err")" "leak-report: --fail-on matched: fd" "the kinds matched, on stderr"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --fail-on 'growth>1m' "${t[@]}" >/dev/null 2>"$TMP/f.err" || rc=$?
assert_eq "$rc" 2 "--fail-on growth>1m (no rate unit): bad usage"
assert_match "$(cat "$TMP/f.err")" "bad limit in 'growth>1m'" "--fail-on bad limit message"
timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --help | grep -q 'growth>1m/h' || fail "--help lacks the growth>1m/h example"

for cc in "${COMPILERS[@]}"; do
	note "$cc: proc_tree, followed"
	rc=0
	timeout -k 5 "$T_LIMIT" "$LEAK_RUN" -o "$TMP/tree.$cc" -- "$(prog "$cc" proc_tree)" >"$TMP/tree.$cc.txt" 2>/dev/null || rc=$?
	assert_eq "$rc" 0 "$cc proc_tree: exit status"
	traces=("$TMP/tree.$cc"/*.lkt)
	[ "${#traces[@]}" -ge 16 ] || fail "$cc proc_tree: only ${#traces[@]} traces"
	text=$(cat "$TMP/tree.$cc.txt")
	lines=$(wc -l <<<"$text")
	# The parent's block (summary, growth test, the fd with its stack, ~12 lines) and one
	# line for all its clean children (shells and sleeps that mostly end before a snapshot:
	# no growth test to speak of, except for one a loaded machine slowed past 0.1 s).
	[ "$lines" -le 16 ] || fail "$cc proc_tree: $lines lines for ${#traces[@]} traces: $text"
	assert_match "$text" 'fd +1 open +file /dev/null' "$cc proc_tree: the parent's fd"
	sh=$(jq -r '[.processes[1:][] | .exe | split("/") | last | select(. != "sleep")] | unique | join(" ")' \
		<<<"$(report_json "${traces[@]}")")
	assert_match "$text" "^   \`- $((${#traces[@]} - 1)) processes with no findings, all exit 0: $sh \(9\), sleep \(6\)(; growth test not run in [0-9]+ \(under 8 snapshots\))?\$" \
		"$cc proc_tree: one line for the children"
	if grep -q 'of 8 snapshots' <<<"$text"; then
		fail "$cc proc_tree: a growth test note for children that ended before a snapshot: $text"
	fi

	note "$cc: --pid and --exe"
	j=$(report_json "${traces[@]}")
	root=$(jq_get "$j" '.processes[0].pid')
	j=$(report_json --pid "$root" "${traces[@]}")
	assert_jq "$j" '[.processes[].pid] | unique | length' 1 "$cc --pid: one process"
	j=$(report_json --exe sleep "${traces[@]}")
	assert_jq "$j" '[.processes[] | .exe | split("/") | last] | unique | @json' '["sleep"]' "$cc --exe sleep: only sleep"
	assert_jq "$j" '.processes | length' 6 "$cc --exe sleep: six sleeps"
	timeout -k 5 "$T_LIMIT" "$LEAK_VIEW" --pid "$root" "${traces[@]}" -o "$TMP/tree.$cc.html" 2>"$TMP/view.err" ||
		fail "leak-view --pid failed: $(cat "$TMP/view.err")"
	# Process pids (a child in the parent's "children" list has "state" next).
	assert_eq "$(awk '/"pid": *[0-9]+/ { p = $0; getline n; if (n !~ /"state"/) print p }' \
		"$TMP/tree.$cc.html" | sort -u | wc -l)" 1 "$cc leak-view --pid: one process in the page"

	note "$cc: proc_tree, LEAK_FOLLOW_FORK=0"
	rc=0
	LEAK_FOLLOW_FORK=0 timeout -k 5 "$T_LIMIT" "$LEAK_RUN" -o "$TMP/tree0.$cc" -- "$(prog "$cc" proc_tree)" \
		>"$TMP/tree0.$cc.txt" 2>/dev/null || rc=$?
	assert_eq "$rc" 0 "$cc proc_tree LEAK_FOLLOW_FORK=0: exit status"
	assert_eq "$(find "$TMP/tree0.$cc" -name '*.lkt' | wc -l)" 1 "$cc LEAK_FOLLOW_FORK=0: traces (no child, forked or exec'd)"
done

note "a program started by a wrapper script: the overview names it first"
# The wrapper keeps a descriptor open (a finding of its own, like a version manager's shim)
# and runs the program, which grows: two processes with findings, the grower listed first.
cat >"$TMP/wrap.sh" <<EOF
#!/bin/sh
exec 9</etc/hostname
"$(prog gcc grow_cache)" unbounded 2 >/dev/null
EOF
chmod +x "$TMP/wrap.sh"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_RUN" -o "$TMP/wrap" -- "$TMP/wrap.sh" >"$TMP/wrap.txt" 2>/dev/null || rc=$?
assert_eq "$rc" 0 "wrapper: exit status"
head -3 "$TMP/wrap.txt" >"$TMP/wrap.head"
assert_match "$(sed -n 1p "$TMP/wrap.head")" '^[0-9]+ of [0-9]+ processes with findings, growth first' \
	"wrapper: the report opens with the overview"
assert_match "$(sed -n 2p "$TMP/wrap.head")" '^  pid [0-9]+ +grow_cache unbounded 2: ran [0-9.]+ s, [0-9]+ findings? \([0-9]+ (leak|growth), ' \
	"wrapper: the growing program first"
assert_match "$(sed -n 3p "$TMP/wrap.head")" '^  pid [0-9]+ +[a-z]+ .*wrap.sh: ran [0-9.]+ s, [0-9]+ findings? \([0-9]+ fd\)' \
	"wrapper: then the script with its descriptor"

note "leak-run --json | jq"
rc=0
timeout -k 5 "$T_LIMIT" "$LEAK_RUN" --json -o "$TMP/j" -- "$(prog gcc proc_tree)" 2>"$TMP/j.err" </dev/null |
	jq -e '.processes[0].findings[0].kind == "fd"' >/dev/null || rc=$?
assert_eq "$rc" 0 "leak-run --json | jq"
assert_match "$(cat "$TMP/j.err")" '^done$' "leak-run --json: CMD's stdout went to stderr"
echo ok

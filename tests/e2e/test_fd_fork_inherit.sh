#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_fork_inherit.sh - with LEAK_FOLLOW_FORK=1 (default) a forked child writes its own
# trace when it has something of its own to report, and what it inherited from the parent
# (descriptors, temp files, threads, children) is not reported there: the parent's trace
# reports it. Children that _exit at once (a), exit closing nothing (b), or were forked while
# the parent had a child not yet reaped (e) have nothing of their own: no trace at all, and
# the parent's JSON lists them with exit status 0; a child that leaks a descriptor of its own
# reports exactly that one (c); a
# child that execs carrying the parent's descriptors without close-on-exec reports them as
# inherited_by_exec, with the parent's creating stack, and not the close-on-exec pipe (d).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

# shellcheck disable=SC2016 # jq variables
DEFS='
def fds: [.processes[].findings[] | select(.kind == "fd")];
def nonheap: [.processes[].findings[] | select(.kind != "leak" and .kind != "reachable")];
def fd_rows: fds | map([.stack[0].function, .fd_type, .count, .inherited_by_exec])
	| sort | @json;
'

truebin=$(type -P true)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fd_fork_inherit)
	need "$p"
	note "fork children and inherited descriptors ($cc)"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out/tmp"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
		"$p" "$out/tmp" "$truebin" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "fd_fork_inherit exit status"
	left=$(sed -n 's/^left //p' "$out/stdout")
	[ -f "$left" ] || fail "the parent did not leave its temp file: $(cat "$out/stdout")"

	# A trace for the parent, c, d and the program d exec'd; none for e, a, b.
	traces=("$out"/*.lkt)
	assert_eq "${#traces[@]}" 4 "traces written ($(ls "$out"))"
	declare -A pid=()
	for m in e a b c d; do
		pid[$m]=$(sed -n "s/^child $m //p" "$out/stdout")
		[ -n "${pid[$m]}" ] || fail "no pid printed for child $m: $(cat "$out/stdout")"
	done
	for m in c d; do
		[ -f "$out/leak.fd_fork_inherit.${pid[$m]}.lkt" ] || fail "child $m wrote no trace: $(ls "$out")"
	done
	for m in e a b; do
		[ ! -e "$out/leak.fd_fork_inherit.${pid[$m]}.lkt" ] || fail "child $m wrote a trace"
	done
	parent=
	for tr in "$out"/leak.fd_fork_inherit.*.lkt; do
		[ "$(jq -r '.processes[0].forked' <<<"$(report_json "$tr")")" = false ] && parent=$tr
	done
	[ -n "$parent" ] || fail "no parent trace: $(ls "$out")"

	j=$(report_json "$parent")
	assert_jq "$j" "$DEFS fd_rows" \
		'[["parent_file","file",1,false],["parent_pipe","pipe",2,false],["parent_socket","socket",1,false]]' \
		"parent's own descriptors"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "tempfile") | .path] | @json' \
		"[\"$left\"]" "parent's temp file"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "thread")] | length' 1 \
		"parent's unjoined thread"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "zombie" or .kind == "child")] | length' \
		0 "parent reaped every child"

	for m in e a b; do
		assert_jq "$j" "[.processes[0].children[] | select(.pid == ${pid[$m]}) | [.state, .exit_status]] | @json" \
			'[["reaped",0]]' "child $m in the parent's children"
	done

	j=$(report_json "$out/leak.fd_fork_inherit.${pid[c]}.lkt")
	assert_jq "$j" "$DEFS fd_rows" '[["child_own_leak","file",1,false]]' "child c's own descriptor"
	assert_jq "$j" "$DEFS fds[0] | [.path, .api] | @json" '["/etc/passwd","open"]' "child c's path"
	assert_jq "$j" "$DEFS nonheap | length" 1 "child c: nothing else"

	# The exec crossing is the exec'ing child's: its trace names the parent's creating stack.
	j=$(report_json "$out/leak.fd_fork_inherit.${pid[d]}.lkt")
	assert_jq "$j" '.processes[0].end_reason' exec "child d end reason"
	assert_jq "$j" "$DEFS fd_rows" \
		'[["parent_file","file",1,true],["parent_socket","socket",1,true]]' \
		"child d: inherited by exec (not the close-on-exec pipe)"
	assert_jq "$j" "$DEFS nonheap | length" 2 "child d: nothing else"
	# The exec'd program sees them as open at start (no stack): not its findings.
	j=$(report_json "$out/leak.true.${pid[d]}.lkt")
	assert_jq "$j" '.processes[0].execed' true "exec'd program's trace"
	assert_jq "$j" "$DEFS nonheap | length" 0 "exec'd program findings"
	unset pid
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_exec.sh - exec: before the program is replaced, its trace gets the descriptors open now
# and an EXEC record, so the report marks a descriptor opened without close-on-exec as
# inherited_by_exec and one opened with O_CLOEXEC as not. The exec'd program keeps the preload
# (its own trace, marked execed). Both a direct exec and fork+exec in the child.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

# shellcheck disable=SC2016 # jq variables
DEFS='
def fd_in($f): [.processes[].findings[] | select(.kind == "fd")
	| select(any(.stack[0:4][]; .function == $f))];
'

# run_all PROG ARGS...: every process writes its own trace into OUT.
run_all() {
	_lk_runs=$((_lk_runs + 1))
	OUT=$TMP/all$_lk_runs
	mkdir -p "$OUT"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$OUT/leak.%e.%p.lkt" "$@" \
		>"$OUT/stdout" 2>"$OUT/stderr" </dev/null || RUN_STATUS=$?
}

# check_exec JSON [after|fork]: the descriptors of exec_cloexec, as reported at its exec
# (with "after": a direct exec, preceded by failed ones, so one more descriptor; with "fork":
# a forked child's exec, whose trace reports only the parent's descriptors that cross the
# exec: the close-on-exec ones stay the parent's, reported in the parent's trace).
check_exec() {
	assert_jq "$1" '.processes[0].end_reason' exec "end reason"
	local f want n=5 extra=
	if [ "${2:-}" = after ]; then
		n=6
		extra=open_after_failed_exec:/etc/shells:true
	fi
	for f in $extra open_inherited:/etc/hostname:true open_cloexec:/etc/passwd:false \
		open_then_setfd:/etc/group:false open_then_range_cloexec:/etc/hosts:false \
		dup2_clears_cloexec:/etc/services:true; do
		want="[[1,\"$(cut -d: -f2 <<<"$f")\",$(cut -d: -f3 <<<"$f")]]"
		if [ "${2:-}" = fork ] && [ "${f##*:}" = false ]; then
			want="[]"
		fi
		assert_jq "$1" "$DEFS fd_in(\"${f%%:*}\") | map([.count, .path, .inherited_by_exec]) | @json" \
			"$want" "${f%%:*}"
	done
	if [ "${2:-}" = fork ]; then
		n=2
	fi
	assert_jq "$1" '[.processes[].findings[] | select(.kind == "fd") | .count] | add' "$n" "fd findings"
}

truebin=$(type -P true)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" exec_cloexec)
	need "$p"

	note "exec ($cc)"
	run_all "$p" "$truebin"
	assert_eq "$RUN_STATUS" 0 "exec_cloexec exit status"
	mine=("$OUT"/leak.exec_cloexec.*.lkt)
	assert_eq "${#mine[@]}" 1 "exec_cloexec traces"
	check_exec "$(report_json "${mine[0]}")" after
	pid=${mine[0]##*.exec_cloexec.}
	pid=${pid%.lkt}
	[ -f "$OUT/leak.true.$pid.lkt" ] || fail "the exec'd program (same pid $pid) wrote no trace: $(ls "$OUT")"
	j=$(report_json "$OUT/leak.true.$pid.lkt")
	assert_jq "$j" '.processes[0] | [.execed, .end_reason] | @json' '[true,"exit"]' "exec'd program's trace"

	note "fork + exec ($cc)"
	run_all "$p" fork "$truebin"
	assert_eq "$RUN_STATUS" 0 "exec_cloexec fork exit status"
	parent=
	child=
	for tr in "$OUT"/leak.exec_cloexec.*.lkt; do
		case $("$LEAK_REPORT" --json "$tr" | jq -r '.processes[0].forked') in
		true) child=$tr ;;
		false) parent=$tr ;;
		esac
	done
	[ -n "$parent" ] || fail "no parent trace: $(ls "$OUT")"
	[ -n "$child" ] || fail "no forked child trace: $(ls "$OUT")"
	check_exec "$(report_json "$child")" fork
	j=$(report_json "$parent")
	assert_jq "$j" '.processes[0].end_reason' exit "parent end reason"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd") | .inherited_by_exec] | @json' \
		'[false,false,false,false,false]' "the parent did not exec"
done

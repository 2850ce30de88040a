#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_vfork_real.sh - on x86_64 vfork is a real vfork under the preload (no copy of the
# parent's page tables per spawn): a child's write before its exec is seen by the parent, as
# natively. Nothing else changes: the child left unreaped is a zombie at the vfork line, an
# exec'd true writes no trace (nothing to report; none at all under LEAK_FOLLOW_FORK=0), and a
# child that would carry one of the parent's descriptors across its exec (no close-on-exec) is
# forked instead, so its trace reports that descriptor inherited_by_exec as before, and the
# true it execs, the same process, continues that trace in one of its own. Then Python's
# subprocess (vfork in _posixsubprocess): its zombie at Popen's line.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

[ "$(uname -m)" = x86_64 ] || {
	echo "SKIP: vfork is served by fork on $(uname -m)"
	exit 0
}

# shellcheck disable=SC2016 # jq variables
DEFS='
def of_kind($k): [.processes[].findings[] | select(.kind == $k)];
'
truebin=$(type -P true)
n=20
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" vfork_spawn)
	need "$p"
	note "vfork+exec, one zombie, a descriptor crossing an exec ($cc)"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
		"$p" "$truebin" "$n" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "vfork_spawn exit status"
	val() { sed -n "s/^$1 //p" "$out/stdout"; }
	# A real vfork: each child's count before its exec landed in the parent's memory.
	assert_eq "$(val shared)" "$n" "children seen by the parent (real vfork)"
	# The carrier (a descriptor crossing its exec) was forked: its count stayed its own.
	assert_eq "$(val shared_after)" "$n" "carrier child forked"
	zombie=$(val zombie)
	carrier=$(val carrier)
	line=$(val line)
	assert_match "$zombie" '^[0-9]+$' "zombie pid printed"

	# The parent, the carrier's own trace, and the carrier's true: the vfork children's trues
	# had nothing to report.
	traces=("$out"/leak.true.*.lkt)
	assert_eq "${#traces[@]}" 1 "exec'd programs' traces ($(ls "$out"))"
	assert_eq "$(report_json "${traces[0]}" | jq -r '.processes[0].pid')" "$carrier" \
		"the one true's trace is the carrier's"
	traces=("$out"/leak.vfork_spawn.*.lkt)
	assert_eq "${#traces[@]}" 2 "vfork_spawn traces (parent, carrier) ($(ls "$out"))"
	parent=
	for tr in "${traces[@]}"; do
		[ "$tr" = "$out/leak.vfork_spawn.$carrier.lkt" ] || parent=$tr
	done
	j=$(report_json "$parent")
	assert_jq "$j" "$DEFS of_kind(\"zombie\") | map([.count, .pids]) | @json" "[[1,[$zombie]]]" \
		"the one zombie"
	assert_jq "$j" "$DEFS of_kind(\"zombie\")[0].stack[0] | [.function, .line] | @json" \
		"[\"spawn_one\",$line]" "zombie at the vfork line"
	assert_jq "$j" "[.processes[0].children[] | select(.state == \"reaped\")] | length" "$n" \
		"reaped children recorded"
	j=$(report_json "$out/leak.vfork_spawn.$carrier.lkt")
	assert_jq "$j" '.processes[0].forked' true "carrier's trace is a forked child's"
	assert_jq "$j" "$DEFS of_kind(\"fd\") | map([.path, .api, .inherited_by_exec]) | @json" \
		'[["/dev/null","open",true]]' "carrier: descriptor inherited by exec"

	note "LEAK_FOLLOW_FORK=0 ($cc)"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_FOLLOW_FORK=0 \
		LEAK_OUT="$out/leak.%e.%p.lkt" "$p" "$truebin" "$n" >"$out/stdout" 2>"$out/stderr" \
		</dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "vfork_spawn exit status (no follow)"
	assert_eq "$(val shared)" "$n" "children seen by the parent (no follow)"
	traces=("$out"/*.lkt)
	assert_eq "${#traces[@]}" 1 "traces without following children ($(ls "$out"))"
	j=$(report_json "${traces[0]}")
	assert_jq "$j" "$DEFS of_kind(\"zombie\") | map(.pids) | @json" "[[$(val zombie)]]" \
		"the one zombie (no follow)"
done

note "Python subprocess"
need_python311
out=$TMP/py
mkdir -p "$out"
cat >"$out/spawn.py" <<'PY'
import os, subprocess, sys
procs = [subprocess.Popen([sys.argv[1]]) for _ in range(10)]
for p in procs[:-1]:
    p.wait()
os.waitid(os.P_PID, procs[-1].pid, os.WEXITED | os.WNOWAIT)
print("zombie", procs[-1].pid, flush=True)
os._exit(0)
PY
RUN_STATUS=0
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
	"$PY" "$out/spawn.py" "$truebin" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
assert_eq "$RUN_STATUS" 0 "python subprocess exit status"
zombie=$(sed -n 's/^zombie //p' "$out/stdout")
traces=("$out"/leak.python3*.lkt)
assert_eq "${#traces[@]}" 1 "python traces (vfork children write none)"
assert_eq "$(find "$out" -name 'leak.true.*.lkt' | wc -l)" 0 "exec'd programs' traces (true: none)"
j=$(report_json "$out"/leak.python3*.lkt)
assert_jq "$j" "$DEFS of_kind(\"zombie\") | map([.count, .pids]) | @json" "[[1,[$zombie]]]" \
	"python's zombie"
assert_jq "$j" "$DEFS any(of_kind(\"zombie\")[0].stack[]; .function == \"Popen._execute_child\")" \
	true "python zombie at Popen._execute_child"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_procs.sh - child processes: zombies (forked, exited, never waited for) are reported with
# their exact pids and the forking function; children reaped by waitpid, wait(NULL) and
# waitid are not; with SIGCHLD ignored (or SA_NOCLDWAIT) exited children are reaped by the
# kernel and are no finding; popen without pclose leaks a pipe and a zombie, popen+pclose
# neither; a program that does everything right has no finding of any kind.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='
def of_kind($k): [.processes[].findings[] | select(.kind == $k)];
def in_fn($k; $f): [of_kind($k)[] | select(any(.stack[0:4][]; .function == $f))];
def nonheap: [.processes[].findings[] | select(.kind != "leak" and .kind != "reachable")];
'

# run_all PROG ARGS...: like run_traced, for programs whose children write traces of their
# own (popen's shell); sets OUT to the directory of traces.
run_all() {
	_lk_runs=$((_lk_runs + 1))
	OUT=$TMP/all$_lk_runs
	mkdir -p "$OUT"
	RUN_STDOUT=$OUT/stdout
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$OUT/leak.%e.%p.lkt" "$@" \
		>"$RUN_STDOUT" 2>"$OUT/stderr" </dev/null || RUN_STATUS=$?
}

for cc in "${COMPILERS[@]}"; do
	note "zombies ($cc)"
	p=$(prog "$cc" proc_zombie)
	need "$p"
	# LEAK_FOLLOW_FORK=0: the children write no trace of their own, the parent's is the one.
	LEAK_FOLLOW_FORK=0 run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "proc_zombie exit status"
	want=$(sed -n 's/^zombie //p' "$RUN_STDOUT" | sort -n | jq -R . | jq -sc 'map(tonumber)')
	assert_match "$want" '^\[[0-9]+,[0-9]+\]$' "zombie pids printed"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS [in_fn(\"zombie\"; \"zombie_maker\")[].count] | add" 2 "zombie count"
	assert_jq "$j" "$DEFS [in_fn(\"zombie\"; \"zombie_maker\")[].pids[]] | sort | @json" "$want" "zombie pids"
	assert_jq "$j" "$DEFS (of_kind(\"zombie\") | length) == (in_fn(\"zombie\"; \"zombie_maker\") | length)" true "only zombie_maker's children are zombies"
	assert_jq "$j" "$DEFS in_fn(\"zombie\"; \"reaped_child\") + in_fn(\"child\"; \"reaped_child\") | length" 0 "reaped children reported"
	running=$(sed -n 's/^running //p' "$RUN_STDOUT")
	assert_match "$running" '^[0-9]+$' "running child pid printed"
	assert_jq "$j" "$DEFS in_fn(\"child\"; \"runaway_child\") | map([.count, .pids]) | @json" "[[1,[$running]]]" "child still running at exit"
	assert_jq "$j" "$DEFS of_kind(\"child\") | length" 1 "running children"

	note "SIGCHLD ignored ($cc)"
	p=$(prog "$cc" proc_sigchld_ign)
	need "$p"
	LEAK_FOLLOW_FORK=0 run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "proc_sigchld_ign exit status"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS of_kind(\"zombie\") + of_kind(\"child\") | length" 0 "auto-reaped children reported"

	note "popen without pclose ($cc)"
	p=$(prog "$cc" proc_popen)
	need "$p"
	run_all "$p"
	assert_eq "$RUN_STATUS" 0 "proc_popen exit status"
	traces=("$OUT"/leak.proc_popen.*.lkt)
	assert_eq "${#traces[@]}" 1 "proc_popen traces"
	j=$(report_json "${traces[0]}")
	assert_jq "$j" "$DEFS in_fn(\"fd\"; \"popen_leak\") | map([.count, .fd_type, .api]) | @json" '[[1,"pipe","popen"]]' "popen pipe"
	assert_jq "$j" "$DEFS in_fn(\"zombie\"; \"popen_leak\") | map(.count) | @json" '[1]' "popen child"
	assert_jq "$j" "$DEFS in_fn(\"zombie\"; \"popen_leak\")[0].pids[0] > 0" true "popen child pid"
	assert_jq "$j" "$DEFS nonheap | length" 2 "popen+pclose must leave nothing"

	note "everything right ($cc)"
	p=$(prog "$cc" proc_everything_right)
	need "$p"
	mkdir -p "$TMP/right.$cc"
	# LEAK_FOLLOW_FORK=0: the fork child writes nothing (popen's shell and the spawned true
	# are new programs and write their own traces, under other names).
	LEAK_FOLLOW_FORK=0 run_all "$p" "$TMP/right.$cc"
	assert_eq "$RUN_STATUS" 0 "proc_everything_right exit status"
	traces=("$OUT"/leak.proc_everything_right.*.lkt)
	assert_eq "${#traces[@]}" 1 "proc_everything_right traces"
	main=${traces[0]}
	j=$(report_json "$main")
	assert_jq "$j" '.processes[0].end_reason' exit "complete trace"
	assert_jq "$j" '[.processes[].findings[] | .kind] | @json' '[]' "findings of a correct program"
	assert_eq "$(find "$TMP/right.$cc" -mindepth 1 | wc -l)" 0 "temp files left by the program"
done

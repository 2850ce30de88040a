#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_spawn_exec.sh - a child that forks only to exec writes no trace of its own before the
# exec (no final snapshot repeating the parent's stacks and modules): each of spawn_exec's 5
# fork+exec children leaves exactly one trace, the exec'd program's, which the report puts
# right under the parent with its argv and its own leak; the scratch block a child allocated
# between fork and exec is no finding anywhere (the exec released it). A forked worker that
# does not exec is still traced fully (its own leak), and so is a child whose exec fails
# (ENOEXEC) and goes on to leak. With python3 present, 5 subprocess.run(['true']) leave no
# trace but python3's (true has nothing to report), and no python3 child trace; a leaking
# program it runs leaves its own.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

# shellcheck disable=SC2016 # jq variables
DEFS='
def procs: .processes;
def leakbytes($f): [.findings[] | select(.kind == "leak")
	| select(any(.stack[0:3][]; .function == $f)) | .bytes] | add // 0;
'

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" spawn_exec)
	need "$p"
	note "fork + exec children and a worker ($cc)"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" "$p" \
		>"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "spawn_exec exit status"
	assert_eq "$(cat "$out/stdout")" "done" "spawn_exec output"
	# Parent, 5 exec'd programs, the worker: 7. Before, each exec'ing child also left its
	# pre-exec trace under the same pid (a ".2.lkt" beside the exec'd program's).
	traces=("$out"/*.lkt)
	assert_eq "${#traces[@]}" 7 "traces written ($(ls "$out"))"
	assert_eq "$(find "$out" -name '*.2.lkt' | wc -l)" 0 "no pre-exec trace beside an exec'd one"

	j=$(report_json "${traces[@]}")
	root=$(jq_get "$j" '.processes[] | select(.forked == false and .execed == false) | .pid')
	assert_jq "$j" "$DEFS [procs[] | select(.execed)] | length" 5 "exec'd children"
	assert_jq "$j" "$DEFS [procs[] | select(.execed) | .ppid == $root] | all" true \
		"each exec'd child's parent is the forking program"
	assert_jq "$j" "$DEFS [procs[] | select(.execed) | .argv[1]] | unique | @json" '["leaker"]' \
		"exec'd children keep their argv"
	assert_jq "$j" "$DEFS [procs[] | select(.execed) | leakbytes(\"spawn_exec_leak\")] | unique | @json" \
		'[3333]' "each exec'd child's own leak"
	assert_jq "$j" "$DEFS [procs[] | select(.forked)] | length" 1 "one forked trace: the worker"
	assert_jq "$j" "$DEFS procs[] | select(.forked) | [.ppid == $root, .end_reason, leakbytes(\"spawn_worker_leak\")] | @json" \
		'[true,"exit",1554]' "the worker is traced fully"
	assert_jq "$j" "$DEFS [procs[] | select(.end_reason == \"exec\")] | length" 0 "no trace ends at an exec"
	assert_jq "$j" '[.processes[].findings[] | select(.bytes == 5555)] | length' 0 \
		"the block allocated between fork and exec is no finding"
	# The text report's tree: each exec'd program one level under the parent.
	text=$("$LEAK_REPORT" "${traces[@]}")
	assert_eq "$(grep -Ec "^ +\`- spawn_exec \[pid [0-9]+\] .* leaker$" <<<"$text")" 5 "tree lines of the exec'd children"

	note "an exec that fails ($cc)"
	printf 'not a program\n' >"$out/bad"
	chmod +x "$out/bad"
	mkdir -p "$out/2"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/2/leak.%e.%p.lkt" "$p" \
		"$out/bad" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "spawn_exec BADEXEC exit status"
	assert_eq "$(cat "$out/stderr")" "" "no warning from libleak"
	traces=("$out"/2/*.lkt)
	assert_eq "${#traces[@]}" 8 "traces written ($(ls "$out/2"))"
	j=$(report_json "${traces[@]}")
	assert_jq "$j" "$DEFS [procs[] | select(.forked) | leakbytes(\"spawn_failed_leak\")] | add" 999 \
		"the child whose exec failed is traced"
done

note "a shell's quiet children, through env"
out=$TMP/sh
mkdir -p "$out"
leaker=$(prog "${COMPILERS[0]}" spawn_exec)
truebin=$(type -P true)
envbin=$(type -P env)
RUN_STATUS=0
# Each command is forked and exec'd; env execs the next program in the same process.
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" sh -c \
	"$truebin; $envbin $truebin; $envbin A=1 $envbin $leaker leaker; $truebin" \
	>"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
assert_eq "$RUN_STATUS" 0 "sh exit status"
assert_eq "$(cat "$out/stderr")" "" "no warning from libleak"
traces=("$out"/*.lkt)
assert_eq "${#traces[@]}" 2 "traces: the shell's and the leaker's ($(ls "$out"))"
j=$(report_json "${traces[@]}")
sh_pid=$(jq_get "$j" '.processes[] | select(.execed | not) | .pid')
assert_jq "$j" "$DEFS [procs[] | select(.execed) | [(.exe | split(\"/\") | last), .ppid == $sh_pid, .end_reason, leakbytes(\"spawn_exec_leak\")]] | @json" \
	'[["spawn_exec",true,"exit",3333]]' "the leaker, under the shell, with its leak"
assert_jq "$j" '[.processes[] | select(.execed | not) | .children[] | .state] | unique | @json' \
	'["reaped"]' "the shell reaped every child"

# The interpreter itself, not a wrapper script (a pyenv shim would be the traced root).
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)
if [ ! -x "$py" ]; then
	echo "SKIP python3 subprocess part: python3 not installed"
else
	note "python3 subprocess.run x5"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out"
	truebin=$(type -P true)
	RUN_STATUS=0
	leaker=$(prog "${COMPILERS[0]}" spawn_exec)
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" "$py" -c \
		"import subprocess
for i in range(5): subprocess.run(['$truebin'], check=True)
subprocess.run(['$leaker', 'leaker'], check=True)" >"$out/stdout" 2>"$out/stderr" </dev/null ||
		RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "python3 exit status"
	# true allocates nothing and opens nothing: with nothing to report it writes no trace.
	traces=("$out"/*.lkt)
	assert_eq "${#traces[@]}" 2 "traces: python3 and the leaker, none of true ($(ls "$out"))"
	j=$(report_json "${traces[@]}")
	assert_jq "$j" '[.processes[] | select(.forked)] | length' 0 "no python3 child trace"
	assert_jq "$j" '[.processes[] | select(.execed) | .exe | split("/") | last] | unique | @json' \
		'["spawn_exec"]' "the exec'd programs"
	assert_jq "$j" "$DEFS [procs[] | select(.execed) | leakbytes(\"spawn_exec_leak\")] | @json" \
		'[3333]' "the exec'd leaker's own leak"
	assert_jq "$j" '.processes[] | select(.execed | not) | [.children[] | [.state, .exit_status]] | unique | @json' \
		'[["reaped",0]]' "python3's children, each reaped with status 0"
	assert_jq "$j" '.processes[] | select(.execed | not) | .children | length' 6 \
		"python3's children, the quiet ones too"
	# Each pre-exec trace was ~0.5 MB (every stack, module and code object of the parent).
	big=$(find "$out" -name '*.lkt' -size +64k | wc -l)
	assert_eq "$big" 1 "only the parent's trace is big"
fi

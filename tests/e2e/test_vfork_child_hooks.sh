#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_vfork_child_hooks.sh - a real vfork's child (x86_64) passes through libleak's hooks
# without touching its parent's state: closing every number up to the limit (the trace's too,
# with close(), syscall(SYS_close), after a failing close_range) only closes its own copy (it
# once recursed through libleak's own syscall hook until the stack ran out, so Python's
# multiprocessing "spawn" pools got no workers), its sigaction on SIGCHLD leaves the parent's
# reaped children "reaped", and its exit() (which runs the atexit list in the parent's
# memory) leaves the parent's final snapshot to the parent. The parent's trace goes on (a
# leak after the children, and its end).
# Then Python: a multiprocessing "spawn" pool, and subprocess with close_fds and pass_fds from
# the main thread and from another.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

[ "$(uname -m)" = x86_64 ] || {
	echo "SKIP: vfork is served by fork on $(uname -m)"
	exit 0
}

truebin=$(type -P true)
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" vfork_child_hooks)
	need "$p"
	note "vfork children closing every descriptor, setting SIGCHLD ($cc)"
	_lk_runs=$((_lk_runs + 1))
	out=$TMP/run$_lk_runs
	mkdir -p "$out"
	RUN_STATUS=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=20 \
		LEAK_OUT="$out/leak.%e.%p.lkt" "$p" "$truebin" >"$out/stdout" 2>"$out/stderr" \
		</dev/null || RUN_STATUS=$?
	assert_eq "$RUN_STATUS" 0 "vfork_child_hooks exit status ($(cat "$out/stdout"))"
	val() { sed -n "s/^$1 //p" "$out/stdout"; }
	assert_eq "$(val shared)" 5 "children ran in the parent's memory (real vfork)"
	reaped=$(val raw_reaped)
	# The exec'd trues had nothing to report: no trace (their ends are the parent's).
	assert_eq "$(find "$out" -name 'leak.true.*.lkt' | wc -l)" 0 "exec'd programs' traces"
	traces=("$out"/leak.vfork_child_hooks.*.lkt)
	assert_eq "${#traces[@]}" 1 "vfork_child_hooks traces ($(ls "$out"))"
	j=$(report_json "${traces[0]}")
	assert_jq "$j" "[.processes[0].children[] | select(.state == \"reaped\")] | length" 6 \
		"every child reaped ($(jq -c '[.processes[0].children[] | [.pid, .state]]' <<<"$j"))"
	assert_jq "$j" ".processes[0].children[] | select(.pid == $reaped) | .state" reaped \
		"the raw-reaped child, after a vfork child's sigaction(SIGCHLD)"
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "leak")
		| [.bytes, .stack[0].function]] | @json' '[[4242,"leak_after"]]' \
		"the parent's leak after its children"
	assert_jq "$j" '.processes[0] | [.exit_status, .end_reason] | @json' '[0,"exit"]' \
		"the parent's end, after a vfork child's exit()"
done

note "Python: multiprocessing spawn pool, subprocess pass_fds"
need_python311
out=$TMP/py
mkdir -p "$out"
cat >"$out/spawn.py" <<'PY'
import multiprocessing as mp, os, subprocess, sys, threading

def square(n):
    return n * n

def passing(tag):
    r, w = os.pipe()
    cp = subprocess.run([sys.executable, "-c", "import os, sys; os.write(int(sys.argv[1]), b'x')",
                         str(w)], close_fds=True, pass_fds=(w,))
    os.close(w)
    got = os.read(r, 1)
    os.close(r)
    print(tag, cp.returncode, got.decode(), flush=True)

if __name__ == "__main__":
    with mp.get_context("spawn").Pool(2) as pool:
        print("pool", pool.map(square, [1, 2, 3, 4]), flush=True)
    passing("main")
    t = threading.Thread(target=passing, args=("thread",))
    t.start()
    t.join()
PY
RUN_STATUS=0
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
	"$PY" "$out/spawn.py" >"$out/stdout" 2>"$out/stderr" </dev/null || RUN_STATUS=$?
assert_eq "$RUN_STATUS" 0 "python exit status ($(tail -c 300 "$out/stderr"))"
assert_eq "$(cat "$out/stdout")" "pool [1, 4, 9, 16]
main 0 x
thread 0 x" "python output"
# The parent, the resource tracker, two workers and two subprocesses, each exec'd from a
# vfork child (which writes no trace of its own).
traces=("$out"/leak.python3*.lkt)
assert_eq "${#traces[@]}" 6 "python traces ($(ls "$out"))"
j=$(report_json "${traces[@]}")
assert_jq "$j" '[.processes[] | select(.signal == 11)] | length' 0 "no process died of SIGSEGV"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_disable_forks.sh - with LEAK_DISABLE=1 the fork hook passes straight through: a
# program that forks (fork_quiet: 22 children) makes the same SIGCHLD sigaction calls as
# natively (the hook asks for SIGCHLD's disposition only when it records the child), prints
# the same, exits the same, and no process writes a trace. Seen with strace.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO"
STRACE=$(type -P strace) || fail "missing strace (scripts/install-deps check)"

p=$(prog gcc fork_quiet)
need "$p"
# run NAME [ENV...]: strace log $TMP/NAME.log, output $TMP/NAME.out, status in RC.
run() {
	local name=$1
	shift
	RC=0
	timeout -k 5 "$T_LIMIT" "$STRACE" -f -qq -e trace=rt_sigaction -o "$TMP/$name.log" \
		env "$@" "$p" >"$TMP/$name.out" 2>&1 </dev/null || RC=$?
}
run native LEAK_UNUSED=1
native_rc=$RC
mkdir -p "$TMP/out"
run disabled LD_PRELOAD="$LEAK_SO" LEAK_DISABLE=1 LEAK_OUT="$TMP/out/leak.%e.%p.lkt"
assert_eq "$RC" "$native_rc" "exit status with LEAK_DISABLE=1"
# The pids differ from run to run: compare what each child did, not its pid.
assert_eq "$(awk '{ print $1, $3 }' "$TMP/disabled.out" | sort)" \
	"$(awk '{ print $1, $3 }' "$TMP/native.out" | sort)" "children and statuses"
n=$(grep -c 'rt_sigaction(SIGCHLD' "$TMP/native.log" || true)
d=$(grep -c 'rt_sigaction(SIGCHLD' "$TMP/disabled.log" || true)
note "SIGCHLD sigaction calls: $n natively, $d with LEAK_DISABLE=1"
assert_eq "$d" "$n" "SIGCHLD sigaction calls with LEAK_DISABLE=1"
assert_eq "$(find "$TMP/out" -name '*.lkt' | wc -l)" 0 "traces written with LEAK_DISABLE=1"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_refuse.sh - leak-attach refuses, with one line on stderr and exit status 3, and
# leaves the target untouched (still running, no tracer, nothing loaded into it) when: the
# process is a zombie, stopped, a vfork child or a parent in vfork, already traced, statically
# linked, on musl, already running libleak (LD_PRELOAD) or already attached by another
# leak-attach, stopped in the dynamic loader, the caller may not ptrace it, or the pid is a
# thread or no process. Cases this machine cannot produce (Yama ptrace_scope, a non-x86-64
# program) print a skip line.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ATTACH=$BUILD_ABS/leak-attach
STUB=$(prog gcc lib_attach_stub.so)
need "$ATTACH" "$(prog gcc attach_loop)" "$(prog gcc attach_tracer)" "$(prog gcc attach_vfork)"
[ -f "$STUB" ] || fail "missing $STUB (run make progs)"

# refused WHAT REGEX PID [loaded]: leak-attach PID exits 3 with one stderr line matching
# REGEX, and PID (when it still exists) has no library of ours mapped afterwards (unless
# "loaded": an earlier attach put it there).
refused() {
	local what=$1 re=$2 pid=$3 loaded=${4:-} rc=0
	LIBLEAK_SO=$STUB timeout 20 "$ATTACH" -o "$TMP/out" --for 1 "$pid" >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
	assert_eq "$rc" 3 "$what: exit status ($(cat "$TMP/a.err"))"
	assert_eq "$(wc -l <"$TMP/a.err")" 1 "$what: lines on stderr ($(cat "$TMP/a.err"))"
	assert_match "$(cat "$TMP/a.err")" "^leak-attach: .*$re" "$what: message"
	[ ! -s "$TMP/a.out" ] || fail "$what: stdout not empty: $(cat "$TMP/a.out")"
	if [ -r "/proc/$pid/status" ]; then
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$pid/status" || [ "$what" = "another tracer" ] ||
			fail "$what: $pid is left traced"
	fi
	if [ -r "/proc/$pid/maps" ] && [ -z "$loaded" ]; then
		! grep -q lib_attach_stub "/proc/$pid/maps" || fail "$what: the stub was loaded into $pid"
	fi
	note "$what: $(cat "$TMP/a.err")"
}

# start_loop: attach_loop with 2 threads in the background; sets LOOP_PID.
start_loop() {
	local d=$TMP/loop$RANDOM
	mkdir -p "$d"
	"$(prog gcc attach_loop)" 2 "$d/ready" "$d/stop" >"$d/out" 2>"$d/err" &
	LOOP_PID=$!
	LOOP_DIR=$d
	at_exit "touch '$d/stop'; kill -KILL $LOOP_PID 2>/dev/null || true"
	for _ in $(seq 200); do [ -e "$d/ready" ] && break; sleep 0.05; done
	[ -e "$d/ready" ] || fail "attach_loop did not start"
}

# stop_loop: end the loop program and check it ran on correctly (status 3, same checksum).
stop_loop() {
	touch "$LOOP_DIR/stop"
	local rc=0
	wait "$LOOP_PID" || rc=$?
	assert_eq "$rc" 3 "attach_loop exit status"
	assert_eq "$(sed -n 2p "$LOOP_DIR/out")" "rounds consistent" "attach_loop rounds"
}

refused "no process" "no process 999999" 999999

# A zombie: sleep 0's parent (exec'd into sleep 30) never reaps it.
sh -c 'sleep 0 & exec sleep 30' &
zparent=$!
at_exit "kill -KILL $zparent 2>/dev/null || true"
zombie=
for _ in $(seq 100); do
	zombie=$(awk '{print $1}' "/proc/$zparent/task/$zparent/children" 2>/dev/null || true)
	[ -n "$zombie" ] && grep -q '^State:.*Z' "/proc/$zombie/status" 2>/dev/null && break
	sleep 0.05
done
[ -n "$zombie" ] || fail "no zombie child appeared"
refused "zombie" "has exited" "$zombie"

start_loop
# A thread id instead of the process id.
tid=
for t in "/proc/$LOOP_PID"/task/*; do
	[ "${t##*/}" = "$LOOP_PID" ] || tid=${t##*/}
done
refused "thread id" "is a thread of process $LOOP_PID" "$tid"

# Stopped by job control.
kill -STOP "$LOOP_PID"
for _ in $(seq 100); do grep -q '^State:.*T' "/proc/$LOOP_PID/status" && break; sleep 0.02; done
refused "stopped" "is stopped" "$LOOP_PID"
kill -CONT "$LOOP_PID"

# Another tracer.
"$(prog gcc attach_tracer)" "$LOOP_PID" "$TMP/traced" &
tracer=$!
at_exit "kill -KILL $tracer 2>/dev/null || true"
for _ in $(seq 100); do [ -e "$TMP/traced" ] && break; sleep 0.05; done
refused "another tracer" "already traced by process $tracer \\(attach_tracer\\)" "$LOOP_PID"
kill -KILL "$tracer"
wait "$tracer" 2>/dev/null || true

# Not permitted: an unprivileged user may not trace root's process.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$TMP"
	rc=0
	LIBLEAK_SO=$STUB setpriv --reuid=65534 --regid=65534 --clear-groups \
		timeout 20 "$ATTACH" -o /tmp "$LOOP_PID" >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
	assert_eq "$rc" 3 "unprivileged: exit status ($(cat "$TMP/a.err"))"
	assert_match "$(cat "$TMP/a.err")" "not permitted" "unprivileged: message"
	assert_eq "$(wc -l <"$TMP/a.err")" 1 "unprivileged: lines on stderr"
	note "unprivileged: $(cat "$TMP/a.err")"
else
	note "SKIP unprivileged caller: needs root and setpriv"
fi

# Already attached by another leak-attach (holds its window open 6 s).
LIBLEAK_SO=$STUB "$ATTACH" -o "$TMP/first" --for 6 "$LOOP_PID" >/dev/null 2>"$TMP/first.err" &
first=$!
at_exit "kill -KILL $first 2>/dev/null || true"
wait_for "$TMP/first.err" "attached to $LOOP_PID" 10
refused "attached twice" "already attached by another leak-attach" "$LOOP_PID" loaded
kill -INT "$first"
rc=0
wait "$first" || rc=$?
grep -q "detached from $LOOP_PID" "$TMP/first.err" || fail "first leak-attach did not detach: $(cat "$TMP/first.err")"
stop_loop

# Already running libleak: started under the preload.
mkdir -p "$TMP/pre"
LD_PRELOAD=$LEAK_SO LEAK_OUT=$TMP/pre/leak.%e.%p.lkt "$(prog gcc attach_loop)" 1 "$TMP/pre/ready" "$TMP/pre/stop" \
	>"$TMP/pre/out" 2>&1 &
pre=$!
at_exit "touch '$TMP/pre/stop'; kill -KILL $pre 2>/dev/null || true"
for _ in $(seq 200); do [ -e "$TMP/pre/ready" ] && break; sleep 0.05; done
refused "preloaded" "already runs libleak" "$pre"
touch "$TMP/pre/stop"
wait "$pre" || true

# Preloaded, with its environment wiped (so /proc/PID/environ does not show it): the library
# itself refuses the window (EALREADY) and leak-attach says so.
LD_PRELOAD=$LEAK_SO LEAK_OUT=$TMP/pre/leak.%e.%p.lkt "$(prog gcc attach_wipeenv)" "$TMP/pre/ready2" "$TMP/pre/stop2" \
	>"$TMP/pre/out2" 2>&1 &
wipe=$!
at_exit "touch '$TMP/pre/stop2'; kill -KILL $wipe 2>/dev/null || true"
for _ in $(seq 200); do [ -e "$TMP/pre/ready2" ] && break; sleep 0.05; done
! grep -qa LD_PRELOAD "/proc/$wipe/environ" || fail "attach_wipeenv left LD_PRELOAD in its environ"
rc=0
timeout 20 "$ATTACH" -o "$TMP/out" "$wipe" >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
assert_eq "$rc" 3 "preloaded, environ wiped: exit status ($(cat "$TMP/a.err"))"
assert_match "$(cat "$TMP/a.err")" "already runs libleak \\(preloaded, or attached by another leak-attach\\): nothing changed" \
	"preloaded, environ wiped: message"
grep -q '^TracerPid:[[:space:]]*0$' "/proc/$wipe/status" || fail "preloaded, environ wiped: left traced"
note "preloaded, environ wiped: $(cat "$TMP/a.err")"
touch "$TMP/pre/stop2"
wait "$wipe" || fail "attach_wipeenv ended badly after the refused attach: $(cat "$TMP/pre/out2")"

# A vfork child and its parent.
"$(prog gcc attach_vfork)" "$TMP/vfork.pid" &
vparent=$!
at_exit "kill -KILL $vparent 2>/dev/null || true"
for _ in $(seq 100); do [ -s "$TMP/vfork.pid" ] && break; sleep 0.05; done
vchild=$(cat "$TMP/vfork.pid")
at_exit "kill -KILL $vchild 2>/dev/null || true"
refused "vfork child" "is a vfork child" "$vchild"
refused "vfork parent" "is waiting in vfork" "$vparent"
kill -KILL "$vchild" 2>/dev/null || true

# Stopped at its first instruction, in the dynamic loader (libc not loaded yet).
"$(prog gcc attach_tracer)" --exec-stopped "$TMP/early.pid" "$(prog gcc attach_vfork)"
early=$(cat "$TMP/early.pid")
at_exit "kill -KILL $early 2>/dev/null || true"
refused "in the loader" "stopped in the dynamic loader" "$early"
kill -KILL "$early"

# Static.
if printf 'int main(void){for(;;)__asm__ volatile("pause");}\n' |
	gcc -static -O2 -x c -o "$TMP/static" - 2>"$TMP/static.err"; then
	"$TMP/static" &
	st=$!
	at_exit "kill -KILL $st 2>/dev/null || true"
	sleep 0.2
	refused "static" "is statically linked" "$st"
	kill -KILL "$st"
else
	note "SKIP static program: gcc -static failed: $(head -n 1 "$TMP/static.err")"
fi

if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
	note "SKIP Yama ptrace_scope: changing it would affect every process on this machine"
else
	note "SKIP Yama ptrace_scope: this kernel has no Yama"
fi
# musl (scripts/install-deps installs musl-tools for make check).
if command -v musl-gcc >/dev/null; then
	printf '#include <unistd.h>\nint main(void){for(;;)pause();}\n' >"$TMP/m.c"
	musl-gcc -O2 -o "$TMP/mprog" "$TMP/m.c"
	"$TMP/mprog" &
	mp=$!
	at_exit "kill -KILL $mp 2>/dev/null || true"
	sleep 0.2
	refused "musl" "runs on musl libc \\(/.*-linux-musl/libc.so\\)" "$mp"
	kill -KILL "$mp"
else
	note "SKIP musl program: no musl-gcc (apt-get install musl-tools)"
fi
note "SKIP non-x86-64 program: none can run here (the ELF machine of /proc/PID/exe is" \
	"checked in attach/target.c)"

# The command line: --version from common/version.h, bad usage exits 2 with one line.
top=$(cd "$(dirname "$0")/../.." && pwd)
want=$(sed -n 's/^#define LEAK_VERSION_STRING "\(.*\)"$/\1/p' "$top/common/version.h")
assert_eq "$("$ATTACH" --version)" "leak-attach $want" "leak-attach --version"
"$ATTACH" --help | grep -q -- '--for DURATION' || fail "--help lacks --for"
for bad in "" "--for" "--for 0 1" "--for x 1" "-i 1ms 1" "abc" "1 2" "--bogus 1"; do
	rc=0
	# shellcheck disable=SC2086 # word splitting wanted: the arguments of one case
	"$ATTACH" $bad >/dev/null 2>"$TMP/u.err" || rc=$?
	assert_eq "$rc" 2 "leak-attach $bad: exit status"
	assert_eq "$(wc -l <"$TMP/u.err")" 1 "leak-attach $bad: lines"
done
rc=0
"$top/scripts/leak-run" --pid 999999 2>"$TMP/u.err" || rc=$?
assert_eq "$rc" 3 "leak-run --pid: leak-attach's status"
assert_eq "$(cat "$TMP/u.err")" "leak-attach: no process 999999" "leak-run --pid: message"
note "command line: --version, usage errors and leak-run --pid as expected"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_stub.sh - leak-attach's own mechanics, with a stand-in library that has nothing
# but leak_attach_begin/end (progs/lib_attach_stub.c), so that only the stopping, calling in,
# restoring and releasing are under test:
#  - a server blocked in accept, epoll_wait, read and nanosleep is attached and detached three
#    times between requests; its output (which counts every EINTR it saw) and exit status are
#    those of an unattached run;
#  - twenty attach/detach cycles on a program in a tight malloc/free loop: it computes the
#    same checksums, and its descriptors and threads are as many afterwards as before;
# (The 64-thread stall is measured with the real library in test_attach_cycles.sh.)
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ATTACH=$BUILD_ABS/leak-attach
need "$ATTACH"
export LIBLEAK_SO

# cycle ERRFILE ARGS...: one leak-attach run; it must attach and detach (the stub writes no
# trace, so leak-attach's final "no trace was written" and exit status 1 are expected).
cycle() {
	local err=$1
	shift
	timeout 20 "$ATTACH" "$@" >/dev/null 2>"$err.1" || true
	cat "$err.1" >>"$err"
	grep -q "^leak-attach: detached from" "$err.1" || fail "leak-attach $*: $(cat "$err.1")"
}

# count DIR: entries of DIR.
count() {
	local e n=0
	for e in "$1"/*; do
		{ [ -e "$e" ] || [ -L "$e" ]; } && n=$((n + 1))
	done
	echo "$n"
}

for cc in "${COMPILERS[@]}"; do
	LIBLEAK_SO=$(prog "$cc" lib_attach_stub.so)
	need "$(prog "$cc" attach_server)" "$(prog "$cc" attach_loop)" "$(prog "$cc" attach_stall)"

	# server_run DIR ATTACH(0|1): requests in three rounds, attaching between them.
	server_run() {
		local d=$1 attach=$2 port i
		mkdir -p "$d"
		"$(prog "$cc" attach_server)" "$d/port" >"$d/out" 2>"$d/err" &
		local pid=$!
		at_exit "kill -KILL $pid 2>/dev/null || true"
		for _ in $(seq 200); do [ -s "$d/port" ] && break; sleep 0.05; done
		port=$(cat "$d/port")
		for i in 1 2 3; do
			if [ "$attach" = 1 ]; then
				cycle "$d/attach.err" -o "$d/t" --for 0.3 "$pid"
			fi
			exec 3<>"/dev/tcp/127.0.0.1/$port"
			printf 'round %s line a\nround %s line b\n' "$i" "$i" >&3
			head -n 2 <&3 >>"$d/replies"
			exec 3>&-
		done
		exec 3<>"/dev/tcp/127.0.0.1/$port"
		echo quit >&3
		exec 3>&-
		local rc=0
		wait "$pid" || rc=$?
		echo "$rc" >"$d/status"
	}
	server_run "$TMP/$cc-plain" 0
	server_run "$TMP/$cc-attached" 1
	assert_eq "$(cat "$TMP/$cc-attached/out")" "$(cat "$TMP/$cc-plain/out")" "$cc: server output"
	assert_eq "$(cat "$TMP/$cc-attached/status")" "$(cat "$TMP/$cc-plain/status")" "$cc: server status"
	assert_eq "$(cat "$TMP/$cc-attached/replies")" "$(cat "$TMP/$cc-plain/replies")" "$cc: replies"
	assert_eq "$(grep -c '^begin' "$TMP/$cc-attached/t/stub.log")" 3 "$cc: begin calls"
	assert_eq "$(grep -c '^end' "$TMP/$cc-attached/t/stub.log")" 3 "$cc: end calls"
	note "$cc: server: $(cat "$TMP/$cc-attached/out") (status $(cat "$TMP/$cc-attached/status")), same as unattached"

	# Twenty cycles on a tight malloc/free loop.
	d=$TMP/$cc-loop
	mkdir -p "$d"
	"$(prog "$cc" attach_loop)" 4 "$d/ready" "$d/stop" >"$d/out" 2>"$d/err" &
	pid=$!
	at_exit "touch '$d/stop'; kill -KILL $pid 2>/dev/null || true"
	for _ in $(seq 200); do [ -e "$d/ready" ] && break; sleep 0.05; done
	sleep 0.2
	fds0=$(count "/proc/$pid/fd")
	thr0=$(count "/proc/$pid/task")
	for i in $(seq 20); do
		cycle "$d/attach.err" -o "$d/t" --for 0.05 "$pid"
	done
	fds1=$(count "/proc/$pid/fd")
	thr1=$(count "/proc/$pid/task")
	assert_eq "$(grep -c '^end' "$d/t/stub.log")" 20 "$cc: detaches"
	# The loop opens one descriptor every 2 s on purpose (its window leak): allow those.
	[ "$fds1" -le $((fds0 + 15)) ] || fail "$cc: descriptors grew from $fds0 to $fds1"
	assert_eq "$thr1" "$thr0" "$cc: threads after 20 cycles"
	touch "$d/stop"
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 3 "$cc: loop exit status"
	assert_eq "$(sed -n 2p "$d/out")" "rounds consistent" "$cc: loop checksums"
	grep -q "^leak-attach: .*restarted" "$d/attach.err" && note "$cc: $(grep -m1 restarted "$d/attach.err")"
	held=$(sed -n 's/.*\(attached\|detached\) .* in \([0-9.]*\) ms.*/\2/p' "$d/attach.err" | sort -n | tail -n 1)
	note "$cc: 20 cycles: fds $fds0 -> $fds1, threads $thr0 -> $thr1; longest hold $held ms"
done

# A target that keeps changing: a thread started every millisecond, SIGALRM every
# millisecond to a handler, malloc/free churn. Ten cycles: no thread left traced, no signal
# lost for good, every thread joined, the program ends as it would. The first detach times out
# twice (as libleak's does when its writer thread waits over a second for a processor):
# leak-attach calls again while the program runs, and the cycle ends detached.
for cc in "${COMPILERS[@]}"; do
	LIBLEAK_SO=$(prog "$cc" lib_attach_stub.so)
	d=$TMP/$cc-busy
	mkdir -p "$d"
	LEAK_STUB_END_TIMEOUTS=2 "$(prog "$cc" attach_busy)" "$d/ready" "$d/stop" >"$d/out" 2>"$d/err" &
	pid=$!
	at_exit "touch '$d/stop'; kill -KILL $pid 2>/dev/null || true"
	for _ in $(seq 200); do [ -e "$d/ready" ] && break; sleep 0.05; done
	for i in $(seq 10); do
		cycle "$d/attach.err" -o "$d/t" --for 0.05 "$pid"
		for t in "/proc/$pid"/task/*; do
			tp=$(sed -n 's/^TracerPid:[[:space:]]*//p' "$t/status" 2>/dev/null || echo 0)
			[ "${tp:-0}" = 0 ] || fail "$cc: cycle $i left thread ${t##*/} traced by $tp"
		done
	done
	touch "$d/stop"
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 4 "$cc: busy program exit status ($(cat "$d/err"))"
	assert_eq "$(cat "$d/out")" ok "$cc: busy program output ($(cat "$d/err"))"
	assert_eq "$(grep -c '^end' "$d/t/stub.log")" 12 "$cc: end calls (the first detach's two timed out)"
	note "$cc: busy program after 10 cycles: $(cat "$d/err")"
done

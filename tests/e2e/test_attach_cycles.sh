#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_cycles.sh - leak-attach with the real libleak.so, windows repeated on one process
# started without it:
#  - twenty attach/detach cycles on a malloc/free loop: no growth of its threads or
#    descriptors (other than the /dev/null the loop itself opens every 2 s), every cycle
#    reported, its output that of an unattached run;
#  - a target that keeps changing (a thread started every millisecond, SIGALRM every
#    millisecond, malloc churn): three windows, it ends as it would;
#  - a 64-thread program's longest stall with the real library under 100 ms.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/attach_lib.sh
. "$(dirname "$0")/attach_lib.sh"

need "$(prog gcc attach_loop)" "$(prog gcc attach_busy)" "$(prog gcc attach_stall)"

# Twenty cycles on one process.
d=$TMP/cycles
loop_start gcc "$d"
sleep 0.3
fds0=$(count "/proc/$LPID/fd")
thr0=$(count "/proc/$LPID/task")
for i in $(seq 20); do
	rc=0
	timeout 30 "$ATTACH" --json -o "$d/t$i" --for 0.1 "$LPID" >"$d/r$i.json" 2>"$d/a$i.err" || rc=$?
	assert_eq "$rc" 0 "cycle $i: leak-attach status ($(cat "$d/a$i.err"))"
	assert_jq "$(cat "$d/r$i.json")" '.processes | length' 1 "cycle $i: report"
done
fds1=$(count "/proc/$LPID/fd")
thr1=$(count "/proc/$LPID/task")
assert_eq "$thr1" "$thr0" "threads after 20 cycles"
assert_eq "$fds1" "$fds0" "descriptors (other than /dev/null) after 20 cycles ($(ls -l "/proc/$LPID/fd"))"
loop_stop "$d"
assert_eq "$(cat "$d/out")" "$(printf 'checksum 2698610772992365986\nrounds consistent\nstatus 3')" "output after 20 cycles"
note "20 cycles: threads $thr0 -> $thr1, descriptors other than the loop's own /dev/null $fds0 -> $fds1"

# 64 threads, the real library: the program's own longest stall over an attach and a detach
# must stay under 100 ms, and so must every stop leak-attach reports (LEAK_ATTACH_DEBUG: all
# threads held, calling thread held). The machine is shared: up to three tries; if none
# passes, the same program unattached shows whether the machine alone stalls it that long
# (then the figures say nothing about leak-attach and the test says so instead of failing).
# stall_run DIR ATTACH(0|1): prints the program's max stall in ms.
stall_run() {
	local d=$1 pid
	mkdir -p "$d"
	"$(prog gcc attach_stall)" 64 "$d/ready" "$d/stop" >"$d/out" &
	pid=$!
	at_exit "touch '$d/stop'; kill -KILL $pid 2>/dev/null || true"
	for _ in $(seq 200); do [ -e "$d/ready" ] && break; sleep 0.05; done
	sleep 0.5
	if [ "$2" = 1 ]; then
		LEAK_ATTACH_DEBUG=1 timeout 30 "$ATTACH" -o "$d/t" --for 1 "$pid" >/dev/null 2>"$d/attach.err" ||
			fail "stall: leak-attach failed: $(cat "$d/attach.err")"
	else
		sleep 1.2
	fi
	sleep 0.5
	touch "$d/stop"
	wait "$pid"
	sed -n 's/^max stall \([0-9.]*\) ms$/\1/p' "$d/out"
}
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
ok=0
for try in 1 2 3; do
	s=$(stall_run "$TMP/stall$try" 1)
	held=$(sed -n 's/.*all threads held \([0-9.]*\) ms, calling thread \([0-9.]*\) ms.*/\1 \2/p' "$TMP/stall$try/attach.err" | tr '\n' ' ')
	note "stall try $try: 64 threads, max stall $s ms; held (all, calling) at attach and detach: $held ms"
	ok=1
	for h in $held $s; do
		below "$h" 100 || ok=0
	done
	[ "$ok" = 0 ] || break
done
if [ "$ok" = 0 ]; then
	base=$(stall_run "$TMP/stall-base" 0)
	if below "$base" 100; then
		fail "64 threads: stall $s ms, stops $held ms attached, $base ms stall unattached (limit 100)"
	fi
	note "stall: the machine alone stalls the unattached program $base ms (load $(cut -d' ' -f1-3 /proc/loadavg)): not a measure of leak-attach here"
fi

# A target that keeps changing (a thread every millisecond, SIGALRM every millisecond,
# malloc churn), three windows with the real library: it ends as it would, every thread
# joined, the handler ran; a window reports at most the two threads not yet joined when it
# ended (the program joins each one a round later).
d=$TMP/busy
bg_start "$d" "$(prog gcc attach_busy)"
pid=$BGPID
for i in 1 2 3; do
	rc=0
	timeout 30 "$ATTACH" --json -o "$d/t$i" --for 0.3 "$pid" >"$d/r$i.json" 2>"$d/a$i.err" || rc=$?
	assert_eq "$rc" 0 "busy window $i: leak-attach status ($(cat "$d/a$i.err"))"
	assert_jq "$(cat "$d/r$i.json")" '[.processes[0].findings[] | select(.kind == "thread") | .count] | add // 0 | . <= 2' true \
		"busy window $i: threads not joined at its end"
done
touch "$d/stop"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 4 "busy program exit status ($(cat "$d/err"))"
assert_eq "$(cat "$d/out")" ok "busy program output ($(cat "$d/err"))"
note "busy program after 3 windows: $(cat "$d/err")"

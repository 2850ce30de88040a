#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_soak.sh - scripts/leak-soak end to end. A leaky and a healthy soak_server (loopback
# TCP, port picked by the kernel and printed) are each driven for 8 s by a bash /dev/tcp
# load loop: the leaky one must get the LEAK verdict (exit 3) with growth at
# session_create, the healthy one OK (exit 0). Also: a thread-per-request leak (grow_threads)
# is LEAK through the thread kind; a healthy socket server whose listening socket is still
# open when it is stopped is OK (fd findings gate only when they grow); a command that
# ignores SIGTERM is killed after --grace; usage errors exit 125.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
soak=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-soak
need "$soak"
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT
srv=$(prog gcc soak_server)
need "$srv" "$(prog clang grow_threads)" "$(prog gcc grow_sockets)"

# One request per connection, 50 per load run; leak-soak reruns it for the whole duration.
# shellcheck disable=SC2016 # expanded by the bash that leak-soak starts
load='port=$(sed -n "s/^listening 127\.0\.0\.1://p" "$LEAK_SOAK_STDOUT")
for ((i = 0; i < 50; i++)); do
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf "GET k%d\n" "$((RANDOM % 100))" >&3
	read -r reply <&3
	[ "${reply#value-of-k}" != "$reply" ] || { echo "bad reply: $reply"; exit 1; }
	exec 3<&-
done'

note "leaky and healthy soak_server, 12 s each; thread leak and socket server, 5 s each"
soak_bg leaky --duration 12s --interval 200ms --warmup 2s --ready '^listening' --load "$load" -- "$srv" leaky
soak_bg healthy --duration 12s --interval 200ms --warmup 2s --ready '^listening' --load "$load" -- "$srv" healthy
soak_bg threads --duration 5s --interval 200ms -- "$(prog clang grow_threads)" leak 0
soak_bg sockets --duration 5s --interval 200ms --fail-on fd -- "$(prog gcc grow_sockets)" ok 0
wait

assert_eq "$(cat "$TMP/leaky.rc")" 3 "leaky server: leak-soak exit status"
out=$(cat "$TMP/leaky.out")
assert_match "$(head -n 1 <<<"$out")" '^leak-soak: LEAK: ' "leaky server: verdict line"
assert_match "$(grep -m1 -A1 '#[0-9]* *growth' <<<"$out" | tail -n 1)" 'session_create' "leaky server: first growth finding's stack"
assert_match "$(cat "$TMP/leaky/stdout")" '^served [0-9]+' "leaky server: stopped by SIGTERM and exited normally"
served=$(sed -n 's/^served //p' "$TMP/leaky/stdout")
[ "$served" -ge 200 ] || fail "leaky server served only $served requests"
if grep -q 'bad reply' "$TMP/leaky/load.log"; then
	fail "load: $(grep -m1 'bad reply' "$TMP/leaky/load.log")"
fi

assert_eq "$(cat "$TMP/healthy.rc")" 0 "healthy server: leak-soak exit status"
out=$(cat "$TMP/healthy.out")
assert_match "$(head -n 1 <<<"$out")" '^leak-soak: OK: ' "healthy server: verdict line"
if grep -q ' growth ' <<<"$out"; then
	fail "healthy server: growth reported: $out"
fi
served=$(sed -n 's/^served //p' "$TMP/healthy/stdout")
[ "$served" -ge 200 ] || fail "healthy server served only $served requests"

assert_eq "$(cat "$TMP/threads.rc")" 3 "thread-per-request: leak-soak exit status"
assert_match "$(cat "$TMP/threads.out")" 'thread .*growing \+[0-9.]+/s' "thread-per-request: growing thread finding"
assert_match "$(cat "$TMP/threads.out")" 'spawn_handler' "thread-per-request: stack"

assert_eq "$(cat "$TMP/sockets.rc")" 0 "healthy socket server: leak-soak exit status"
assert_match "$(cat "$TMP/sockets.out")" ' fd .*open +socket' "healthy socket server: the listening socket is reported, not gated on"

note "a command that ignores SIGTERM is killed after --grace"
mkfifo "$TMP/fifo" # read -t on a FIFO nobody writes: an idle wait without child processes
rc=0
# shellcheck disable=SC2016 # $1 is the inner bash's
timeout -k 5 "$T_LIMIT" "$soak" -o "$TMP/stubborn" --duration 1s --interval 100ms --grace 1s -- \
	bash -c 'trap "" TERM; exec 3<>"$1"; while :; do read -r -t 0.2 _ <&3 || true; done' _ "$TMP/fifo" >"$TMP/stubborn.out" 2>"$TMP/stubborn.err" || rc=$?
assert_eq "$rc" 0 "stubborn command: leak-soak exit status"
assert_match "$(cat "$TMP/stubborn.err")" 'ignored SIGTERM for 1.000 s: killed' "stubborn command: message"

note "a load command still running at the end is stopped with its loop"
rc=0
timeout -k 5 "$T_LIMIT" "$soak" -o "$TMP/lateload" --duration 1s --interval 100ms \
	--load 'sleep 2; echo LATE' -- sleep 60 >/dev/null 2>"$TMP/lateload.err" || rc=$?
assert_eq "$rc" 0 "late load: leak-soak exit status ($(cat "$TMP/lateload.err"))"
sleep 2.5
assert_eq "$(cat "$TMP/lateload/load.log")" "" "late load: nothing ran after the end"

note "usage"
"$soak" --help | grep -q -- '--duration D' || fail "--help does not describe --duration"
rc=0
"$soak" --duration 5x -- true 2>"$TMP/usage.err" || rc=$?
assert_eq "$rc" 125 "bad --duration: exit status"
assert_eq "$(cat "$TMP/usage.err")" "leak-soak: --duration: '5x' is not a duration (seconds, e.g. 30, 0.5, 30s, 2m, 1h, 1d, 500ms)" "bad --duration: message"
rc=0
"$soak" -- true 2>/dev/null || rc=$?
assert_eq "$rc" 125 "missing --duration: exit status"
echo ok

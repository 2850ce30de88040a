#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_node_soak.sh - scripts/leak-soak on a node http server (tests/e2e/node/soak_server.js)
# driven by a bash /dev/tcp load loop: the leaky one, which never destroys its backend
# sockets (nor clears its interval timers, which are V8 objects a preload cannot see), gets
# LEAK with a growing socket finding with its JavaScript stack, the sockets named by the
# function that opened them (openBackend) until V8 inlines it; the fixed one is OK. --fail-on fd: node's own heap moves too much in a few
# seconds for a heap growth gate to mean anything here.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
NODE=$(command -v node || true)
if [ -z "$NODE" ]; then
	echo "SKIP: node not installed (scripts/install-deps installs nodejs)"
	exit 0
fi
soak=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-soak
JS=$(cd "$(dirname "$0")" && pwd)/node/soak_server.js
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT

# shellcheck disable=SC2016 # expanded by the bash that leak-soak starts
load='port=$(sed -n "s/^listening 127\.0\.0\.1://p" "$LEAK_SOAK_STDOUT")
for ((i = 0; i < 20; i++)); do
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf "GET / HTTP/1.0\r\n\r\n" >&3
	reply=$(cat <&3)
	[ "${reply#HTTP/1.1 200}" != "$reply" ] || { echo "bad reply: $reply"; exit 1; }
	exec 3<&-
done'

note "leaky and fixed node servers, 10 s each"
for mode in leaky fixed; do
	soak_bg "$mode" --duration 10s --interval 250ms --warmup 2s --fail-on fd \
		--ready '^listening' --load "$load" -- "$NODE" "$JS" "$mode"
done
wait

for mode in leaky fixed; do
	# (the last request may be cut by the server's stop: a bad reply is not checked)
	served=$(sed -n 's/^served //p' "$TMP/$mode/stdout")
	[ "${served:-0}" -ge 40 ] || fail "$mode server served only ${served:-0} requests"
done
assert_eq "$(cat "$TMP/leaky.rc")" 3 "leaky node server: leak-soak exit status"
# the whole report (leak-soak shows the top 10), over leak-soak's window
j=$("$LEAK_REPORT" --no-symbols --json --window 2: "$TMP/leaky/traces")
# Once V8 optimizes the request handler it inlines openBackend into it, and the perf map names
# only the function the code belongs to: the sockets made before that are named openBackend,
# and the growing finding of the later ones still shows their JavaScript stack.
assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd" and .fd_type == "socket")
	| select(any(.stack[]; .lang == "js" and .function == "openBackend")) | .count] | add // 0 | . >= 20' true \
	"leaky node server: backend sockets named by openBackend"
assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd" and .growing == true and .api == "socket")
	| select(any(.stack[]; .lang == "js" and .function == "Socket.connect"))] | length > 0' true \
	"leaky node server: a growing socket finding with its JavaScript stack"
assert_eq "$(cat "$TMP/fixed.rc")" 0 "fixed node server: leak-soak exit status ($(head -n 1 "$TMP/fixed.out"))"
note "leaky: LEAK named by openBackend; fixed: OK"

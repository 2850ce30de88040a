#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_container.sh - a target in another mount namespace that cannot see the build
# tree (a tmpfs over the repository's top directory, as a container would not have it):
# leak-attach copies libleak.so into the target's /tmp, has it write its traces into a
# directory there and copies them back into -o DIR; the report has the window's leak, the
# program's output is that of an unattached run, and no stand-in directory is left behind.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ATTACH=$BUILD_ABS/leak-attach
need "$ATTACH" "$(prog gcc attach_loop)"
command -v unshare >/dev/null || {
	note "SKIP: no unshare(1)"
	exit 0
}
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || {
	note "SKIP: needs root for a mount namespace"
	exit 0
}
# The program must stay visible inside: a copy outside the repository.
box=$(mktemp -d /tmp/leak-attach-box.XXXXXX)
cp "$(prog gcc attach_loop)" "$box/"
# shellcheck disable=SC2016 # expanded by that sh
unshare -m --propagation private sh -c 'mount -t tmpfs none "$1" && shift && exec "$@"' sh "$top" \
	"$box/attach_loop" 2 "$box/ready" "$box/stop" >"$box/out" 2>"$box/err" &
pid=$!
at_exit "touch '$box/stop'; kill -KILL $pid 2>/dev/null || true; rm -rf '$box'"
for _ in $(seq 200); do [ -e "$box/ready" ] && break; sleep 0.05; done
[ -e "$box/ready" ] || fail "the program in its namespace did not start: $(cat "$box/err")"
lp=$(pgrep -n -f "$box/attach_loop") || fail "no attach_loop in the namespace"
[ ! -e "/proc/$lp/root$LEAK_SO" ] || fail "the namespace still sees $LEAK_SO"

rc=0
timeout 30 "$ATTACH" --json -o "$TMP/out" --for 1.5 "$lp" >"$TMP/report.json" 2>"$TMP/attach.err" || rc=$?
assert_eq "$rc" 0 "leak-attach status ($(cat "$TMP/attach.err"))"
assert_match "$(cat "$TMP/attach.err")" "cannot see .*libleak.so: copied to /tmp/libleak-attach\\..*inside its mount namespace" "the library copy"
copy=$(sed -n 's/.*copied to \(\/tmp\/libleak-attach\.[^ ]*\.so\).*/\1/p' "$TMP/attach.err")
at_exit "rm -f '/proc/$lp/root$copy' '$copy' 2>/dev/null || true"
j=$(cat "$TMP/report.json")
assert_jq "$j" 'count_in("leak_in_window") > 0' true "the window's leak in the report"
[ "$(stat -c %a "$TMP"/out/*.lkt)" = 600 ] || fail "trace copied back with mode $(stat -c %a "$TMP"/out/*.lkt)"
left=$(find /tmp -maxdepth 1 -name "leak-attach.$lp.*" 2>/dev/null)
[ -z "$left" ] || fail "stand-in directory left: $left"
touch "$box/stop"
wait "$pid" || rc=$?
assert_eq "$rc" 3 "program exit status"
assert_eq "$(cat "$box/out")" "$(printf 'checksum 2698610772992365986\nrounds consistent')" "program output"
note "container: $(grep -E 'copied|attached|detached' "$TMP/attach.err" | sed 's/; traces.*//' | tr '\n' ' ')"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sym_debuginfod.sh - symbols for a binary that is no longer where the trace says. A copy
# of cxx_containers named pool is traced, then moved away: leak-report says once that pool
# was not found and how many frames stay unnamed; --debug-dir DIR finds it by name; a local
# Debian debuginfod server (debuginfod -F DIR on 127.0.0.1) serving DIR gives the same report
# through DEBUGINFOD_URLS (cache in a temp dir, DEBUGINFOD_CACHE_PATH); leak-view notes and
# takes --debug-dir the same way; --bundle DIR (made while pool was in place) gives the same
# report through --debug-dir DIR; a rebuilt pool at the
# trace's path is refused with "build-id differs from the trace (rebuilt?)". Without the
# debuginfod package the server half prints SKIP.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_REPORT" "$LEAK_SO"
trace= # set by run_traced
mkdir -p "$TMP/bin" "$TMP/srv"
cp "$(prog gcc cxx_containers)" "$TMP/bin/pool"
LEAK_INTERVAL_MS=50 run_traced trace "$TMP/bin/pool" 40
assert_eq "$RUN_STATUS" 0 "pool exit status"
unset DEBUGINFOD_URLS
names() { # the function names of every finding's stack, one finding a line
	jq -c '[.processes[0].findings[] | [.stack[].function]]'
}
ref=$("$LEAK_REPORT" --json "$trace" 2>"$TMP/err0" | names)
[ ! -s "$TMP/err0" ] || fail "notes with the binary in place: $(cat "$TMP/err0")"
grep -q 'handle_request' <<<"$ref" || fail "reference report lacks handle_request: $ref"

note "--bundle: the trace and the files its stacks need"
"$LEAK_REPORT" --bundle "$TMP/bundle" "$trace" >"$TMP/bundle.out"
assert_match "$(cat "$TMP/bundle.out")" "^leak-report: $TMP/bundle: 1 trace and [0-9]+ module files \\(.*\\); report from it with: leak-report --debug-dir $TMP/bundle $TMP/bundle\$" "--bundle summary"

note "binary moved away: one note, frames unnamed"
mv "$TMP/bin/pool" "$TMP/srv/pool"
"$LEAK_REPORT" --json "$trace" 2>"$TMP/err1" | names >"$TMP/moved.json"
grep -q 'handle_request' "$TMP/moved.json" && fail "handle_request named without the binary"
assert_eq "$(grep -c '^leak-report: pool: ' "$TMP/err1")" 1 "one note for pool"
assert_match "$(cat "$TMP/err1")" '^leak-report: pool: not found .*; [0-9]+ frames unnamed$' "note for a missing pool"

note "--debug-dir finds it"
got=$("$LEAK_REPORT" --json --debug-dir "$TMP/srv" "$trace" 2>"$TMP/err2" | names)
assert_eq "$got" "$ref" "report through --debug-dir"
[ ! -s "$TMP/err2" ] || fail "notes with --debug-dir: $(cat "$TMP/err2")"

LEAK_VIEW=$BUILD_ABS/leak-view
"$LEAK_VIEW" "$trace" -o "$TMP/moved.html" 2>"$TMP/view1.err"
assert_match "$(cat "$TMP/view1.err")" '^leak-view: pool: not found .*; [0-9]+ frames unnamed$' "leak-view note for a missing pool"
"$LEAK_VIEW" --debug-dir "$TMP/srv" "$trace" -o "$TMP/found.html" 2>"$TMP/view2.err"
[ ! -s "$TMP/view2.err" ] || fail "leak-view notes with --debug-dir: $(cat "$TMP/view2.err")"
grep -q 'handle_request' "$TMP/found.html" || fail "leak-view --debug-dir: no handle_request in the page"

note "--debug-dir BUNDLE reads the bundle"
got=$("$LEAK_REPORT" --json --debug-dir "$TMP/bundle" "$TMP/bundle" 2>"$TMP/errb" | names)
assert_eq "$got" "$ref" "report from the bundle"
[ ! -s "$TMP/errb" ] || fail "notes with the bundle: $(cat "$TMP/errb")"

note "a rebuilt binary is refused, with a note"
cp "$(prog clang cxx_containers)" "$TMP/bin/pool"
"$LEAK_REPORT" --json "$trace" 2>"$TMP/err3" | names >"$TMP/rebuilt.json"
grep -q 'handle_request' "$TMP/rebuilt.json" && fail "a rebuilt binary's names were used"
assert_match "$(cat "$TMP/err3")" '^leak-report: pool: build-id differs from the trace \(rebuilt\?\); [0-9]+ frames unnamed$' \
	"note for a rebuilt pool"
rm "$TMP/bin/pool"

if ! command -v debuginfod >/dev/null; then
	echo "SKIP: debuginfod round trip: debuginfod not installed (Debian package debuginfod)"
	exit 0
fi
note "a local debuginfod server"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debuginfod -F "$TMP/srv" -p "$port" -d "$TMP/dbgd.sqlite" -t 0 -g 0 >"$TMP/dbgd.log" 2>&1 &
dbgd=$!
at_exit "kill $dbgd 2>/dev/null; wait $dbgd 2>/dev/null"
# Wait until the server has indexed the directory (it answers 200 for the build-id).
build_id=$(python3 - "$TMP/srv/pool" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"GNU\0")
while i > 0:
    namesz, descsz, ntype = struct.unpack_from("<III", data, i - 12)
    if namesz == 4 and ntype == 3:
        print(data[i + 4:i + 4 + descsz].hex())
        break
    i = data.find(b"GNU\0", i + 4)
PY
)
for _ in $(seq 100); do
	if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
		"http://127.0.0.1:$port/buildid/$build_id/executable" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
got=$(DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$TMP/cache \
	"$LEAK_REPORT" --json "$trace" 2>"$TMP/err4" | names)
assert_eq "$got" "$ref" "report through debuginfod"
[ ! -s "$TMP/err4" ] || fail "notes with debuginfod: $(cat "$TMP/err4")"
[ -n "$(find "$TMP/cache" -name executable 2>/dev/null)" ] || fail "nothing in the debuginfod cache"

note "a dead server: one bounded wait, the same note"
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s)
DEBUGINFOD_URLS=http://127.0.0.1:$dead DEBUGINFOD_CACHE_PATH=$TMP/cache2 \
	"$LEAK_REPORT" --json "$trace" 2>"$TMP/err5" >/dev/null
[ $(($(date +%s) - start)) -lt 15 ] || fail "a dead debuginfod server took $(($(date +%s) - start)) s"
assert_match "$(cat "$TMP/err5")" '^leak-report: pool: not found' "note with a dead server"

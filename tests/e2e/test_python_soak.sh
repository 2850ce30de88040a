#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_soak.sh - scripts/leak-soak on a Python service (py/soak_service.py: stdlib
# http.server with a thread per connection, Debian's python3) driven by a bash /dev/tcp load
# loop, 8 s each, leaky and fixed at once. The leaky one is LEAK, with each bug a finding named
# by the Python function and line that causes it: a growing fd finding at backend_call (a
# socket per call never closed), growth at remember (a module-level dict keyed per request),
# zombies at convert (Popen never waited), a growing thread finding at start_watcher
# (a thread per request that never ends) and tempfile findings at write_scratch (mkstemp
# files never removed). The fixed one is OK under the same gate.
# The heap gate is growth>64m/h (18 KiB/s): the fixed service still has two slowly growing
# stacks inside http.server (handle_one_request's 'do_' + command) and email.utils
# (format_datetime's attribute lookups), ~50 bytes per request each (~0.9 KiB/s at the 20-30
# requests a second of a loaded 2-core machine). They are the interpreter's type attribute
# cache, which keys its 4096 slots by the name object's address and keeps the last name of
# each: a name built at run time lands in a new slot whenever malloc (PYTHONMALLOC=malloc,
# which libleak arranges) hands out a new address, so it fills towards 4096 names (~200 KiB)
# instead of reusing one slot as it does under pymalloc (sys._clear_type_cache() frees them);
# bounded, but not within seconds. And Popen leaves small objects in reference cycles that
# wait for the cyclic collector (gc.collect() frees them). The leaky cache grows by ~8 KB a
# request.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
soak=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-soak
src=$(cd "$(dirname "$0")" && pwd)/py/soak_service.py
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT
line_of() { grep -n "# LINE $1\$" "$src" | cut -d: -f1; }

# One request per connection, 20 per load run; leak-soak reruns it for the whole duration.
# shellcheck disable=SC2016 # expanded by the bash that leak-soak starts
load='port=$(sed -n "s/^listening 127\.0\.0\.1://p" "$LEAK_SOAK_STDOUT")
for ((i = 0; i < 20; i++)); do
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf "GET /doc/%d HTTP/1.0\r\n\r\n" "$RANDOM" >&3
	reply=$(cat <&3)
	[ "${reply#HTTP/1.0 200}" != "$reply" ] || { echo "bad reply: $reply"; exit 1; }
	exec 3<&-
done'

note "leaky and fixed Python services, 8 s each"
for mode in leaky fixed; do
	mkdir -p "$TMP/$mode.tmp"
	(
		rc=0
		TMPDIR=$TMP/$mode.tmp timeout -k 5 "$((T_LIMIT * 2))" "$soak" -o "$TMP/$mode" --duration 8s --interval 250ms \
			--warmup 2s --fail-on 'growth>64m/h,fd,thread,zombie,tempfile' --ready '^listening' --json --top 0 \
			--load "$load" -- "$PY" "$src" "$mode" "$TMP/$mode.tmp" \
			>"$TMP/$mode.out" 2>"$TMP/$mode.err" || rc=$?
		echo "$rc" >"$TMP/$mode.rc"
	) &
done
wait
for mode in leaky fixed; do
	served=$(sed -n 's/^served //p' "$TMP/$mode/stdout")
	[ "${served:-0}" -ge 40 ] || fail "$mode service served only ${served:-0} requests"
done
assert_eq "$(cat "$TMP/fixed.rc")" 0 "fixed service: leak-soak exit status ($(grep -m1 '^leak-soak: [A-Z]' "$TMP/fixed.err"))"
assert_match "$(cat "$TMP/fixed.err")" '^leak-soak: OK: ' "fixed service: verdict line"
assert_eq "$(cat "$TMP/leaky.rc")" 3 "leaky service: leak-soak exit status"
# leak-soak's whole report (--json, over its window): every bug named by its Python line.
j=$TMP/leaky.out
# at KIND FUNCTION [growing]: how many things (the sum of .count: a finding groups the fds,
# temp files, ... of one stack) the findings of KIND whose stack has FUNCTION at its LINE line
# hold.
at() {
	local growing=${3:-}
	jq -r --arg k "$1" --arg f "$2:$(line_of "$2")" --arg g "$growing" '[.processes[0].findings[]
		| select(.kind == $k and ($g == "" or .growing == true))
		| select([.stack[] | select(.lang == "python") | "\(.function):\(.line)"] | index([$f]) != null)]
		| map(.count) | add // 0' "$j"
}
[ "$(at fd backend_call growing)" -ge 1 ] || fail "no growing fd finding at backend_call:$(line_of backend_call)"
[ "$(at growth remember)" -ge 1 ] || fail "no growth finding at remember:$(line_of remember)"
[ "$(at zombie convert)" -ge 1 ] || fail "no zombie finding at convert:$(line_of convert)"
[ "$(at thread start_watcher growing)" -ge 1 ] || fail "no growing thread finding at start_watcher:$(line_of start_watcher)"
[ "$(at tempfile write_scratch)" -ge 10 ] || fail "fewer than 10 temp files left at write_scratch:$(line_of write_scratch)"
note "leaky: LEAK, each bug at its Python line; fixed: OK"

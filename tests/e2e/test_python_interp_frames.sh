#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_interp_frames.sh - stacks of one Python site that differ only in the
# interpreter's native frames between Python frames are one finding: py/interp_frames.py opens
# 30 sockets and leaves 6 temp files from an asyncio coroutine whose first calls run through
# other C paths (two stack ids per line in the trace); the report has one fd finding of 30 and
# one tempfile finding of 6, each naming its line. py/temp_loop.py leaves 24 temp files from
# one line of a function called in a plain loop, whose stacks differ only in the interpreter's
# frames before the first Python frame (os.open reached through cfunction_vectorcall on the
# first calls, from the evaluation loop later): one finding of 24.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/interp_frames.py
loop=$(cd "$(dirname "$0")" && pwd)/py/temp_loop.py
sock=$(grep -n '# LINE sock$' "$src" | cut -d: -f1)
temp=$(grep -n '# LINE temp$' "$src" | cut -d: -f1)

note "one Python line through two interpreter paths: one finding per kind"
mkdir -p "$TMP/t" "$TMP/d"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" TMPDIR="$TMP/d" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	"$PY" "$src" 30 "$TMP/d" </dev/null >/dev/null 2>"$TMP/err" || fail "interp_frames.py: $(head -c 500 "$TMP/err")"
assert_eq "$(find "$TMP/d" -type f | wc -l)" 6 "temp files left"
j=$(report_json "$TMP"/t/*.lkt)
# shellcheck disable=SC2016 # jq program
q='[.processes[].findings[] | select(.kind == $k)
   | select([.stack[] | select(.lang == "python") | "\(.function):\(.line)"] | index("handle:" + $l) != null)
   | .count]'
assert_eq "$(jq -c --arg k fd --arg l "$sock" "$q" <<<"$j")" '[30]' "fd findings at handle:$sock"
assert_eq "$(jq -c --arg k tempfile --arg l "$temp" "$q" <<<"$j")" '[6]' \
	"tempfile findings at handle:$temp"
assert_jq "$j" '[.processes[].findings[] | select(.kind == "tempfile") | .paths | length] | @json' \
	'[6]' "every temp file's path"

note "one Python line in a loop, the interpreter's frames before the first Python one differ"
mkdir -p "$TMP/lt" "$TMP/ld"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" TMPDIR="$TMP/ld" LEAK_OUT="$TMP/lt/leak.%p.lkt" \
	"$PY" "$loop" 24 "$TMP/ld" </dev/null >/dev/null 2>"$TMP/err" || fail "temp_loop.py: $(head -c 500 "$TMP/err")"
assert_eq "$(find "$TMP/ld" -type f | wc -l)" 24 "temp_loop: temp files left"
scratch=$(grep -n '# LINE scratch$' "$loop" | cut -d: -f1)
j=$(report_json "$TMP"/lt/*.lkt)
# shellcheck disable=SC2016 # jq program
assert_eq "$(jq -c --arg l "$scratch" '[.processes[].findings[] | select(.kind == "tempfile")
	| [.count, ([.stack[] | select(.lang == "python") | "\(.function):\(.line)"]
	| index("make_scratch:" + $l) != null)]]' <<<"$j")" '[[24,true]]' \
	"temp_loop: one tempfile finding of 24 at make_scratch:$scratch"

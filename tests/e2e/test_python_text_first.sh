#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_text_first.sh - text starts a Python stack at Python code: py/same_line.py opens
# sockets through socket.socket(), whose stacks begin with the interpreter's own frames
# (anonymous ceval helpers, _PyObject_MakeTpCall) above socket.__init__. Those are folded into
# the "via" line, as the runtime's are for C, so that the first frame shown, and with
# --frames 1 the only one, is a Python frame with its file and line, never a bare
# python3.11+0x... address.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/same_line.py

note "fd finding of a Python program: first frame shown is Python code"
mkdir -p "$TMP/t"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	"$PY" "$src" 3 </dev/null >/dev/null 2>"$TMP/err"
"$LEAK_REPORT" --frames 1 "$TMP"/t/*.lkt >"$TMP/report.txt"
# The line after the fd finding's header is its first frame.
first=$(grep -A1 -E '^  #[0-9]+ +fd ' "$TMP/report.txt" | sed -n 2p)
[ -n "$first" ] || fail "no fd finding in the report: $(cat "$TMP/report.txt")"
grep -qE '^ +#[0-9]+ +[^ ]+ [^ ]+\.py:[0-9]+ \[py\]$' <<<"$first" ||
	fail "first frame of the fd finding: expected a Python frame (file.py:line [py]), got '$first'"
grep -A2 -E '^  #[0-9]+ +fd ' "$TMP/report.txt" | grep -qE 'via .*library frames? folded' ||
	fail "the interpreter's frames are not folded into a via line: $(cat "$TMP/report.txt")"
note "ok"

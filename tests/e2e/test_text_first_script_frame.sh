#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_text_first_script_frame.sh - text starts a Python or JavaScript stack at the script's
# code. py/same_line.py opens sockets through socket.socket(), whose stacks begin with the
# interpreter's own frames (anonymous ceval helpers, _PyObject_MakeTpCall) above
# socket.__init__; node/named.js listens, under libuv's and V8's frames (uv__socket ...
# Builtins_CEntry_...). Those are folded into the "via" line, as the runtime's are for C, so
# that the first frame shown, and with --frames 1 the only one, is a Python or JavaScript
# frame with its file and line, never a bare python3.11+0x... address or libuv's code.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
here=$(cd "$(dirname "$0")" && pwd)

# check_first REPORT TAG: the fd findings of REPORT (--frames 1) start at a TAG frame
# (file:line [py] or [js]) with a via line.
check_first() {
	local first
	first=$(grep -A1 -E '^  #[0-9]+ +fd ' "$1" | grep -E '^ +#[0-9]+ ' | grep -vE '^  #[0-9]+ +fd ')
	[ -n "$first" ] || fail "no fd finding in the report: $(cat "$1")"
	if grep -vE "^ +#[0-9]+ +[^ ]+ [^ ]+:[0-9]+ \[$2\]\$" <<<"$first"; then
		fail "first frame of each fd finding: expected a [$2] frame (file:line [$2]), got the lines above"
	fi
	grep -A2 -E '^  #[0-9]+ +fd ' "$1" | grep -qE 'via .*library frames? folded' ||
		fail "the interpreter's frames are not folded into a via line: $(cat "$1")"
}

if [ -x /usr/bin/node ]; then
	note "fd findings of a node program: first frame shown is JavaScript"
	mkdir -p "$TMP/n"
	(cd "$TMP/n" && timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" \
		LEAK_OUT="$TMP/n/leak.%e.%p.lkt" /usr/bin/node "$here/node/named.js" \
		interp </dev/null >/dev/null 2>"$TMP/n/err") || fail "node failed: $(head -c 500 "$TMP/n/err")"
	"$LEAK_REPORT" --no-symbols --frames 1 --exe node "$TMP"/n/*.lkt >"$TMP/n/report.txt"
	check_first "$TMP/n/report.txt" js
else
	echo "SKIP (node part): node not installed"
fi

need_python311
src=$here/py/same_line.py

note "fd finding of a Python program: first frame shown is Python code"
mkdir -p "$TMP/t"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/t/leak.%p.lkt" \
	"$PY" "$src" 3 </dev/null >/dev/null 2>"$TMP/err"
"$LEAK_REPORT" --frames 1 "$TMP"/t/*.lkt >"$TMP/report.txt"
check_first "$TMP/report.txt" py
note "ok"

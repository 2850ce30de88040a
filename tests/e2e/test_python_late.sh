#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_late.sh - a C program that dlopen()s libpython after start (py_embed_late: no
# _PyRuntime when libleak started) and runs Python through Py_Initialize/PyRun_SimpleString:
# the sockets its opener() opens once the writer has found the library carry the Python frames
# (opener <string>:4, <module> <string>:7), most of them; Py_FinalizeEx and dlclose then do not
# stop the recording (a /dev/null opened after them is found) and nothing crashes. Debian's
# libpython3.11.so.1.0 (package libpython3.11), and pyenv's 3.12 and 3.13 when present; each
# one missing is a SKIP.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

ran=0
for spec in /usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0: \
	/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0:/root/.pyenv/versions/3.12.1 \
	/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0:/root/.pyenv/versions/3.13.0; do
	lib=${spec%%:*} home=${spec#*:}
	if ! [ -r "$lib" ]; then
		echo "SKIP: no $lib (Debian: apt-get install libpython3.11; others: pyenv)"
		continue
	fi
	for cc in "${COMPILERS[@]}"; do
		ran=$((ran + 1))
		note "$cc: $lib loaded late"
		d=$TMP/$ran
		mkdir -p "$d"
		st=0
		timeout -k 5 "$T_LIMIT" env ${home:+PYTHONHOME="$home"} LD_PRELOAD="$LEAK_SO" \
			LEAK_OUT="$d/leak.%p.lkt" "$(prog "$cc" py_embed_late)" "$lib" 1 \
			>"$d/stdout" 2>"$d/stderr" </dev/null || st=$?
		assert_eq "$st" 0 "exit status ($(head -c 300 "$d/stderr"))"
		n=$(sed -n 's/^sockets //p' "$d/stdout")
		j=$(report_json "$d"/*.lkt)
		# shellcheck disable=SC2016 # jq program
		q='[.processes[].findings[] | select(.kind == "fd" and .fd_type == "socket")
		    | select([.stack[] | select(.lang == "python") | "\(.function) \(.file):\(.line)"]
		             | index(["opener <string>:4", "<module> <string>:7"]) != null) | .count] | add // 0'
		got=$(jq_get "$j" "$q")
		[ "$got" -ge $((n / 2)) ] || fail "only $got of $n sockets carry opener's Python frames"
		assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd" and .path == "/dev/null")] | length' 1 "the descriptor opened after dlclose"
		assert_eq "$(grep -c libleak "$d/stderr" || true)" 0 "no libleak line"
	done
done
[ "$ran" -gt 0 ] || echo "SKIP: no libpython to load"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python_versions.sh - Python frames in CPython 3.12 and 3.13 (pyenv builds under
# /root/.pyenv/versions, or PY312 / PY313): py/kinds.py's socket fd, zombie child, running
# thread, tempfile-module file and small-tuple growth each name their function and line; a
# ctypes callback keeps qsort's C frames between its Python frames; a code object freed before
# the snapshot is still named. 3.12 is read with its measured layout, 3.13 with the offsets it
# publishes in _PyRuntime (checked against the measured ones). Each version missing is a SKIP.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
src=$(cd "$(dirname "$0")" && pwd)/py/kinds.py
line_of() { grep -n "# LINE $1\$" "$src" | cut -d: -f1; }

# shellcheck disable=SC2016 # jq variables
DEFS='
def pyf: [.stack[] | select(.lang == "python") | "\(.function):\(.line)"];
def kind($k): [.processes[].findings[] | select(.kind == $k)];
def with($f): select(any(.stack[]; .lang == "python" and .function == $f));
'

ran=0
for v in 3.12 3.13; do
	var=PY${v/./}
	py=${!var:-/root/.pyenv/versions/$v/bin/python$v}
	if ! [ -x "$py" ]; then
		for c in /root/.pyenv/versions/"$v".*/bin/python"$v"; do
			[ -x "$c" ] && py=$c
		done
	fi
	if ! [ -x "$py" ] || ! "$py" -c "import sys; sys.exit(sys.version_info[:2] != (3, ${v#3.}))" 2>/dev/null; then
		echo "SKIP: no Python $v (pyenv install $v, or set $var)"
		continue
	fi
	ran=$((ran + 1))
	note "Python $v ($py): every finding kind names its Python function and line"
	d=$TMP/$v.tmp
	mkdir -p "$d" "$TMP/$v"
	st=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=250 \
		TMPDIR="$d" LEAK_OUT="$TMP/$v/leak.%e.%p.lkt" "$py" "$src" "$d" 5 >"$TMP/$v.out" \
		2>"$TMP/$v.err" </dev/null || st=$?
	assert_eq "$st" 0 "$v: kinds.py exit status"
	assert_eq "$(grep -c 'python' "$TMP/$v.err" || true)" 0 "$v: no libleak line about python"
	j=$TMP/$v.json
	report_json "$TMP/$v"/*.lkt >"$j"
	assert_jq_file "$j" '[.processes[] | select(.state_at == "python_finalize")] | length' 1 "$v: state taken as finalization began"
	assert_jq_file "$j" "$DEFS [kind(\"fd\")[] | with(\"open_socket\") | [.count, (pyf | index(\"open_socket:$(line_of open_socket)\") != null)]] | @json" '[[3,true]]' "$v: socket fd"
	assert_jq_file "$j" "$DEFS [kind(\"zombie\")[] | with(\"spawn_child\") | (pyf | index(\"spawn_child:$(line_of spawn_child)\") != null)] | @json" '[true]' "$v: zombie child"
	assert_jq_file "$j" "$DEFS [kind(\"thread\")[] | with(\"start_thread\") | (pyf | index(\"start_thread:$(line_of start_thread)\") != null)] | @json" '[true]' "$v: running daemon thread"
	assert_jq_file "$j" "$DEFS [kind(\"tempfile\")[] | with(\"leave_tempfile\") | (pyf | index(\"leave_tempfile:$(line_of leave_tempfile)\") != null)] | @json" '[true]' "$v: tempfile module file"
	assert_jq_file "$j" "$DEFS [kind(\"growth\")[] | with(\"grow\") | pyf[0:2]] | map(select(. == [\"grow:$(line_of grow)\", \"grow_for:$(line_of grow_for)\"])) | length > 0" true "$v: growth of small tuples named by grow()"
	cb=$(jq -r "$DEFS [.processes[].findings[] | with(\"compare\")][0].stack | map(if .lang == \"python\" then \"py:\" + .function + \":\" + (.line | tostring) else \"c:\" + (.function // \"?\") end) | join(\" \")" "$j")
	assert_match "$cb" "py:compare:$(line_of compare) .*qsort.* py:sort_with_callback:$(line_of sort_with_callback) " "$v: ctypes callback stack"
	assert_jq_file "$j" "$DEFS [.processes[].findings[] | with(\"made_by_exec\") | pyf[1:3]] | map(select(. == [\"made_by_exec:2\", \"run_deleted:$(line_of run_deleted)\"])) | length > 0" true "$v: code object freed before the snapshot"
done
[ "$ran" -gt 0 ] || echo "SKIP: neither Python 3.12 nor 3.13 is installed"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_python.sh - Python frames (Debian's /usr/bin/python3, 3.11) in every finding kind: each
# of py/kinds.py's functions is named with the exact line of its call in the finding it
# causes (socket fd, zombie child via subprocess, daemon thread still running, a tempfile
# module file, heap growth of small tuples under the default PYTHONMALLOC handling); a ctypes
# qsort callback keeps the C frames between its Python frames; a function made by exec() and
# deleted before the snapshot is still named; the state is taken as finalization begins; an
# unknown version (simulated) gets one line and native stacks only.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/kinds.py
t= # set by run_traced

line_of() { grep -n "# LINE $1\$" "$src" | cut -d: -f1; }

# shellcheck disable=SC2016 # jq variables
DEFS='
def pyf: [.stack[] | select(.lang == "python") | "\(.function):\(.line)"];
def kind($k): [.processes[].findings[] | select(.kind == $k)];
def with($f): select(any(.stack[]; .lang == "python" and .function == $f));
'

note "every finding kind names its Python function and line"
d=$TMP/tmpdir
mkdir -p "$d"
# The child (true) writes a trace of its own: all of them go to the report.
mkdir -p "$TMP/kinds"
st=0
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=250 \
	TMPDIR="$d" LEAK_OUT="$TMP/kinds/leak.%e.%p.lkt" "$PY" "$src" "$d" 5 >"$TMP/kinds.out" \
	2>"$TMP/kinds.err" </dev/null || st=$?
assert_eq "$st" 0 "kinds.py exit status"
j=$TMP/kinds.json
report_json "$TMP"/kinds/*.lkt >"$j"
assert_jq_file "$j" '[.processes[] | select(.state_at == "python_finalize")] | length' 1 "state taken as finalization began"
assert_jq_file "$j" '[.processes[].findings[] | select(.kind == "reachable")] | length' 0 "no reachable findings at finalization"
assert_jq_file "$j" "$DEFS [kind(\"fd\")[] | with(\"open_socket\") | [.count, (pyf | index(\"open_socket:$(line_of open_socket)\") != null)]] | @json" '[[3,true]]' "socket fd"
assert_jq_file "$j" "$DEFS [kind(\"zombie\")[] | with(\"spawn_child\") | (pyf | index(\"spawn_child:$(line_of spawn_child)\") != null)] | @json" '[true]' "zombie child"
assert_jq_file "$j" "$DEFS [kind(\"thread\")[] | with(\"start_thread\") | (pyf | index(\"start_thread:$(line_of start_thread)\") != null)] | @json" '[true]' "running daemon thread"
# CPython detaches its threads: the finding says so, never "running joinable".
assert_jq_file "$j" "$DEFS [kind(\"thread\")[] | with(\"start_thread\") | .state] | @json" '["detached"]' "daemon thread state"
"$LEAK_REPORT" "$TMP"/kinds/*.lkt >"$TMP/kinds.txt"
grep -qE '^  #[0-9]+ +thread +1 thread running detached, tid' "$TMP/kinds.txt" ||
	fail "text: no 'thread running detached' line: $(grep -E '^  #[0-9]+ +thread' "$TMP/kinds.txt")"
assert_jq_file "$j" "$DEFS [kind(\"tempfile\")[] | with(\"leave_tempfile\") | [(.path | startswith(\"$d/lkpy-\")), (pyf | index(\"leave_tempfile:$(line_of leave_tempfile)\") != null)]] | @json" '[[true,true]]' "tempfile module file"
# Small tuples: pymalloc would keep them from malloc; PYTHONMALLOC=malloc is arranged.
assert_jq_file "$j" "$DEFS [kind(\"growth\")[] | with(\"grow\") | pyf[0:2]] | map(select(. == [\"grow:$(line_of grow)\", \"grow_for:$(line_of grow_for)\"])) | length > 0" true "growth of small tuples named by grow()"
# ctypes: Python frames, then the C frames of qsort and libffi, then Python again.
cb=$(jq -r "$DEFS [.processes[].findings[] | with(\"compare\")][0].stack | map(if .lang == \"python\" then \"py:\" + .function + \":\" + (.line | tostring) else \"c:\" + (.function // \"?\") end) | join(\" \")" "$j")
assert_match "$cb" "py:compare:$(line_of compare) .*qsort.* py:sort_with_callback:$(line_of sort_with_callback) " "ctypes callback stack"
assert_jq_file "$j" "$DEFS [.processes[].findings[] | with(\"made_by_exec\") | pyf[1:3]] | map(select(. == [\"made_by_exec:2\", \"run_deleted:$(line_of run_deleted)\"])) | length > 0" true "code object freed before the snapshot"
assert_eq "$(grep -c 'python' "$TMP/kinds.err" || true)" 0 "no libleak line about python"

note "LEAK_PYTHON_TEST_VERSION=314: one line, native stacks only"
LEAK_PYTHON_TEST_VERSION=314 run_traced t "$PY" -c 'import socket; s = socket.socket(); import os; os._exit(0)'
assert_eq "$(cat "$RUN_STDERR")" "libleak: python 3.14 frames not supported; native stacks only" "fallback line"
j=$TMP/r.json
report_json "$t" >"$j"
assert_jq_file "$j" '[.processes[].findings[].stack[] | select(.lang == "python")] | length' 0 "no Python frames"
assert_jq_file "$j" '[.processes[].findings[] | select(.kind == "fd")] | length' 1 "the socket is still found"

note "LEAK_PYTHON=0: native stacks only, no line"
LEAK_PYTHON=0 run_traced t "$PY" -c 'import socket; s = socket.socket(); import os; os._exit(0)'
assert_eq "$(cat "$RUN_STDERR")" "" "stderr"
j=$TMP/r.json
report_json "$t" >"$j"
assert_jq_file "$j" '[.processes[].findings[].stack[] | select(.lang == "python")] | length' 0 "no Python frames"

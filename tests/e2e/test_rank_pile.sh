#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_rank_pile.sh - a growing pile of threads ranks ahead of the heap that grows with it, at
# default settings: py/thread_pile.py starts 40 threads that block forever; CPython allocates
# a few KiB per thread from some 15 stacks, each a growth finding of its own, which used to
# rank #1 to #17 with the thread finding that names the cause at #18. Now the pile is #1 and
# the growth that follows it (at most 16 KiB and at least half a block per thread) comes
# right after. Mode "big" adds a list gaining 64 KiB per thread: growth no pile explains stays
# #1, the pile comes next, then the per-thread growth. The same pile in a process killed by
# SIGKILL after 3.5 s (no final snapshot: no thread is listed as running at exit) is still a
# growing thread finding, first.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
need_python311
src=$(dirname "$0")/py/thread_pile.py

for mode in pile big; do
	mkdir -p "$TMP/$mode"
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/$mode/leak.%p.lkt" \
		"$PY" "$src" 40 "$mode" >"$TMP/$mode.out" 2>"$TMP/$mode.err" </dev/null &
done
mkdir -p "$TMP/killed"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/killed/leak.%p.lkt" \
	"$PY" "$src" 400 pile >"$TMP/killed.out" 2>"$TMP/killed.err" </dev/null &
killed=$!
at_exit "kill -KILL $killed 2>/dev/null || true"
sleep 3.5
kill -KILL "$killed"
wait

note "threads pile up: the thread finding first, the interpreter's per-thread heap after"
j=$(report_json "$TMP"/pile/*.lkt)
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth")] | length > 3' true "pile: per-thread growth findings"
assert_jq "$j" '.processes[0].findings[0] | [.kind, .growing] | @json' '["thread",true]' "pile: thread finding first"
assert_jq "$j" '.processes[0].findings | ([.[1:][] | select(.kind == "growth")] | length) == ([.[] | select(.kind == "growth")] | length)' true "pile: every growth after it"
out=$("$LEAK_REPORT" "$TMP"/pile/*.lkt)
assert_match "$out" '#1 +thread +[0-9]+ threads running detached' "pile: text #1"

note "growth the pile does not explain stays first"
j=$(report_json "$TMP"/big/*.lkt)
assert_jq "$j" '.processes[0].findings[0] | (.kind == "growth" and .bytes_per_sec > 300000)' true "big: the 64 KiB per round list first"
assert_jq "$j" '.processes[0].findings[1].kind' thread "big: the pile second"

note "killed: the pile is still found, from the snapshots"
j=$(report_json "$TMP"/killed/*.lkt)
assert_jq "$j" '.processes[0] | [.cut_short, .growth_test.status] | @json' '[true,"ran"]' "killed: cut short, growth test ran"
assert_jq "$j" '.processes[0].findings[0] | [.kind, .state, .growing] | @json' '["thread","detached",true]' "killed: thread finding first"
echo ok

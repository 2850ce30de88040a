#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_node.sh - a node program (tests/e2e/node/named.js) run as the README says, with no
# flags of ours: its leaked listening socket, spawn's stdio pipes and its unreaped child are
# named by the JavaScript functions that made them (the stack walks through V8's frames and
# the names come from V8's perf map, which libleak turns on), once with the functions
# interpreted and once after V8 optimized them. The map and V8's log file are gone after the
# run, so the report reads the names from the trace alone; nothing closedProperly opened is
# reported; a program that closes all it opens (closes_all.js) has no fd finding, node's own
# event loop descriptors included; the names show in text, collapsed stacks, pprof, leak-view
# and --diff too; LEAK_NODE=0 leaves the frames unnamed; with a trace that cannot be opened
# node is not asked for a map (none left in /tmp).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_VIEW"
NODE=$(command -v node || true)
if [ -z "$NODE" ]; then
	echo "SKIP: node not installed (scripts/install-deps installs nodejs)"
	exit 0
fi
JS=$(cd "$(dirname "$0")" && pwd)/node/named.js

# shellcheck disable=SC2016 # jq variables
DEFS='def node: [.processes[] | select(.exe | test("node"))] | min_by(.pid);
def js_in($f): [node.findings[] | select(any(.stack[]; .lang == "js" and .function == $f))];
def frame($f): [.stack[] | select(.lang == "js" and .function == $f)][0];'

run_node() { # DIR ARGS...: runs node under the preload in DIR (its cwd), traces in DIR/out
	local d=$1
	shift
	mkdir -p "$d/out"
	(cd "$d" && timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/out/leak.%e.%p.lkt" \
		"$@" >"$d/stdout" 2>"$d/stderr" </dev/null) || fail "node $* failed: $(head -c 500 "$d/stderr")"
}

for mode in interp opt; do
	d=$TMP/$mode
	run_node "$d" "$NODE" --allow-natives-syntax "$JS" "$mode"
	# JavaScript names come from the trace's JS_CODE records, not from symbols: skip those
	j=$("$LEAK_REPORT" --no-symbols --json "$d"/out/*.lkt)
	pid=$(jq -r "$DEFS node.pid" <<<"$j")
	[ ! -e "/tmp/perf-$pid.map" ] || fail "$mode: /tmp/perf-$pid.map left behind"
	[ -z "$(find "$d" -maxdepth 1 -name 'isolate-*-v8.log')" ] || fail "$mode: V8's log left in the working directory"
	tier=interpreted
	[ "$mode" = opt ] && tier=optimized
	# (libuv's reserve /dev/null, opened at the first stream, is named by leakListener too)
	assert_jq "$j" "$DEFS [js_in(\"leakListener\")[] | select(.kind == \"fd\" and .fd_type == \"socket\")] | length > 0" \
		true "$mode: the listening socket named by leakListener"
	assert_jq "$j" "$DEFS [js_in(\"leakListener\")[] | frame(\"leakListener\") | \"\(.file):\(.line)\"] | unique | join(\",\")" \
		"named.js:12" "$mode: leakListener's script and line"
	assert_jq "$j" "$DEFS [js_in(\"leakSpawnPipes\")[] | select(.kind == \"fd\") | .fd_type] | unique | join(\",\")" \
		"socket" "$mode: spawn's stdio socketpairs named by leakSpawnPipes"
	assert_jq "$j" "$DEFS [js_in(\"leakSpawnPipes\")[] | select(.kind == \"zombie\" or .kind == \"child\")] | length > 0" \
		true "$mode: the unreaped child named by leakSpawnPipes"
	assert_jq "$j" "$DEFS [js_in(\"leakSpawnPipes\")[] | frame(\"leakSpawnPipes\") | .tier] | index(\"$tier\") != null" \
		true "$mode: a leakSpawnPipes frame of $tier code"
	assert_jq "$j" "$DEFS [js_in(\"closedProperly\")[] | select(.kind != \"reachable\")] | length" 0 \
		"$mode: closedProperly's listener was closed"
	note "$mode: node's leaks named by their JavaScript functions ($tier)"
	[ "$mode" = interp ] || continue
	# The same names in every other output: text, collapsed stacks, pprof, leak-view, --diff.
	"$LEAK_REPORT" --no-symbols "$d"/out/*.lkt >"$d/report.txt" || true
	grep -q 'leakListener named\.js:12 \[js\]' "$d/report.txt" ||
		fail "text: no 'leakListener named.js:12 [js]' frame"
	"$LEAK_REPORT" --no-symbols --format collapsed --metric allocs "$d"/out/*.lkt >"$d/folded" ||
		fail "collapsed export failed"
	grep -q 'leakListener' "$d/folded" || fail "collapsed: no leakListener frame"
	"$LEAK_REPORT" --no-symbols --format pprof -o "$d/prof.pb.gz" "$d"/out/*.lkt ||
		fail "pprof export failed"
	if command -v protoc >/dev/null; then
		zcat "$d/prof.pb.gz" | protoc --decode_raw >"$d/prof.txt" || fail "protoc rejects the pprof file"
		grep -q '"leakListener"' "$d/prof.txt" || fail "pprof: no leakListener function name"
	fi
	"$LEAK_VIEW" -o "$d/view.html" "$d"/out/*.lkt >/dev/null 2>&1 || fail "leak-view failed"
	grep -q 'leakListener' "$d/view.html" || fail "leak-view: no leakListener label"
	"$LEAK_REPORT" --no-symbols --diff 0 -1 "$d"/out/*.lkt >"$d/diff.txt" 2>&1 || true
	grep -q 'leakListener' "$d/diff.txt" || fail "--diff: no leakListener frame"
	note "interp: text, collapsed, pprof, leak-view and --diff name leakListener"
done

# Everything closed (libuv closes with syscall(SYS_close)); node's own loop is not a finding.
d=$TMP/closes_all
run_node "$d" "$NODE" "$(dirname "$JS")/closes_all.js"
assert_eq "$(cat "$d/stdout")" "done" "closes_all.js ran"
j=$("$LEAK_REPORT" --no-symbols --json "$d"/out/*.lkt)
assert_jq "$j" "$DEFS [node.findings[] | select(.kind == \"fd\" or .kind == \"child\" or .kind == \"zombie\")] | length" 0 \
	"a node program that closes everything: no fd, child or zombie finding"
note "closes_all.js: no fd finding"

# The program and the node it starts see their own NODE_OPTIONS (libleak puts the user's back
# once node has read it); the child, traced too, leaves no map and no V8 log behind either.
d=$TMP/env
NODE_OPTIONS=--no-warnings run_node "$d" "$NODE" "$(dirname "$JS")/env_child.js"
assert_eq "$(tr '\n' ' ' <"$d/stdout")" 'parent "--no-warnings" child "--no-warnings" ' \
	"NODE_OPTIONS as the program and its child see it"
[ -z "$(find "$d" -maxdepth 1 -name 'isolate-*-v8.log')" ] || fail "env: V8's log left in the working directory"
for pid in $("$LEAK_REPORT" --no-symbols --json "$d"/out/*.lkt | jq -r '.processes[].pid'); do
	[ ! -e "/tmp/perf-$pid.map" ] || fail "env: /tmp/perf-$pid.map left behind"
done
note "env_child.js: NODE_OPTIONS untouched for the program and its child, nothing left behind"

d=$TMP/off
LEAK_NODE=0 run_node "$d" "$NODE" "$JS" interp
j=$("$LEAK_REPORT" --no-symbols --json "$d"/out/*.lkt)
assert_jq "$j" "$DEFS [node.findings[].stack[] | select(.lang == \"js\")] | length" 0 "LEAK_NODE=0: no JavaScript names"
note "LEAK_NODE=0: frames unnamed"

# A trace that cannot be opened: profiling is off, so node is not asked for a perf map either
# (none left in /tmp) and sees the user's NODE_OPTIONS.
d=$TMP/noout
mkdir -p "$d"
pid=$(cd "$d" && NODE_OPTIONS=--no-warnings timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" \
	LEAK_OUT="$d/missing/dir/leak.lkt" "$NODE" -e \
	'console.log(process.pid + " " + process.env.NODE_OPTIONS)' 2>"$d/stderr" </dev/null) ||
	fail "node with an unwritable trace path failed: $(head -c 300 "$d/stderr")"
grep -q 'cannot write trace' "$d/stderr" || fail "noout: no one-line warning: $(head -c 300 "$d/stderr")"
assert_eq "${pid#* }" "--no-warnings" "noout: node sees the user's NODE_OPTIONS"
[ ! -e "/tmp/perf-${pid%% *}.map" ] || fail "noout: /tmp/perf-${pid%% *}.map left behind"
note "unwritable trace path: no perf map left, NODE_OPTIONS untouched"

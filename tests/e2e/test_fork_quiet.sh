#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fork_quiet.sh - a forked child that ends with nothing of its own (no live block,
# descriptor, temp file, child or thread it made, no snapshot written) writes no trace at all
# (LEAK_FOLLOW_FORK=1, the default); one that leaks still writes its trace and is reported.
# fork_quiet forks twenty quiet children (exit and _exit, statuses 0-4), one that leaks 777
# bytes and exits 3, and one that frees everything and kills itself with SIGKILL: two traces
# (the parent's, the leaking child's), and the parent's JSON lists every child with how it
# ended (exit status or signal), as its waitpid saw it; its text lists those that did not
# exit 0.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fork_quiet)
	need "$p"
	note "quiet and leaking children ($cc)"
	out=$TMP/$cc
	mkdir -p "$out"
	rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" "$p" \
		>"$TMP/$cc.stdout" 2>"$TMP/$cc.stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "$cc: exit status"
	[ ! -s "$TMP/$cc.stderr" ] || fail "$cc: stderr: $(head -3 "$TMP/$cc.stderr")"
	leaky=$(awk '$1 == "leaky" { print $2 }' "$TMP/$cc.stdout")
	[ -n "$leaky" ] || fail "$cc: no leaky child: $(cat "$TMP/$cc.stdout")"
	traces=("$out"/*.lkt)
	assert_eq "${#traces[@]}" 2 "$cc: traces written ($(ls "$out"))"
	[ -f "$out/leak.fork_quiet.$leaky.lkt" ] || fail "$cc: the leaking child wrote no trace: $(ls "$out")"

	j=$(report_json "$out")
	kid=".processes[] | select(.pid == $leaky)"
	assert_jq "$j" "[$kid | .forked, .exit_status, .end_reason] | @json" '[true,3,"exit"]' \
		"$cc: the leaking child's trace: forked, exit 3"
	# A leak, or reachable where a stale copy of the pointer stays on the stack (clang).
	assert_jq "$j" "[$kid | .findings[] | select((.kind == \"leak\" or .kind == \"reachable\") and .stack[0].function == \"child_leak\") | .bytes] | @json" \
		'[777]' "$cc: the leaking child's block"
	parent='.processes[] | select(.forked | not)'
	# Every child, in the parent's report, with what its waitpid saw (as the program printed).
	want=$(awk '{ printf "%s[%s,\"%s\"]", (NR > 1 ? "," : ""), $2, ($1 == "killed" ? "signal " $3 : "exit " $3) }' \
		"$TMP/$cc.stdout")
	assert_jq "$j" "[$parent | .children[] | [.pid, (if .signal then \"signal \(.signal)\" else \"exit \(.exit_status)\" end)]] | sort | @json" \
		"$(jq -c 'sort' <<<"[$want]")" "$cc: the parent's children and how each ended"
	assert_jq "$j" "[$parent | .children[] | .state] | unique | @json" '["reaped"]' "$cc: all reaped"
	# In text, under the parent: the children that did not exit 0 (the first eight).
	killed=$(awk '$1 == "killed" { print $2 }' "$TMP/$cc.stdout")
	line=$("$LEAK_REPORT" --no-symbols "$out" | grep 'children that did not exit 0:')
	assert_match "$line" "^  children that did not exit 0: pid [0-9]+ exit 1, .* and 10 more \\(JSON \"children\"\\)$" \
		"$cc: the text line"
	[ "$(grep -o ' pid [0-9]* exit 0' <<<"$line" | wc -l)" = 0 ] || fail "$cc: an exit 0 listed: $line"
	note "$cc: $line (the killed child, pid $killed, is among the 18)"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_unwind_lazy.sh - libunwind is loaded only when it is needed (preload/unwind.c), and the
# stacks do not suffer for it. unwind_lazy (gcc and clang, -O2 -g, no frame pointers):
# - signal: allocations in handlers on an alternate and on the thread's own stack. At the
#   default settings every stack goes through the signal trampoline down to main, exactly as
#   under LEAK_UNWIND=libunwind, and libunwind is not mapped; LEAK_UNWIND=libunwind maps it.
# - drap: (gcc) a frame whose CFA is a DWARF expression, which the walker hands to the
#   fallback: the first stack is what the walker found (down to that frame), the writer thread
#   then loads libunwind, and the next 100 stacks reach main.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
# shellcheck disable=SC2016 # jq variables
COUNT='[.processes[0].findings[] | select(.kind == "leak" or .kind == "reachable")
	| select(any(.stack[]; .function == $f)) | select(any(.stack[]; .function == "main"))
	| .count] | add // 0'
# shellcheck disable=SC2016 # jq variables
STACKS='[.processes[0].findings[] | select(.kind == "leak" or .kind == "reachable")
	| select(any(.stack[]; .function == "on_alt" or .function == "on_own"))
	| {k: ([.stack[] | .function // ""] | join(" ")), c: .count}] | sort_by(.k)'
dw='' lu='' # set by run_traced

for cc in "${COMPILERS[@]}"; do
	note "unwind_lazy signal ($cc)"
	p=$(prog "$cc" unwind_lazy)
	need "$p"
	run_traced dw "$p" signal
	assert_eq "$RUN_STATUS" 0 "$cc signal: exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "libunwind: not mapped" "$cc signal: libunwind at the default"
	j=$(report_json "$dw")
	for f in on_alt on_own; do
		assert_eq "$(jq --arg f "$f" "$COUNT" <<<"$j")" 100 "$cc: $f's blocks with stacks to main"
	done
	LEAK_UNWIND=libunwind run_traced lu "$p" signal
	assert_eq "$RUN_STATUS" 0 "$cc signal (libunwind): exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "libunwind: mapped" "$cc signal: LEAK_UNWIND=libunwind"
	a=$(jq -c "$STACKS" <<<"$j")
	b=$(jq -c "$STACKS" <<<"$(report_json "$lu")")
	[ "$a" == "$b" ] || fail "$cc: handler stacks differ from libunwind's: $a vs $b"

	note "unwind_lazy drap ($cc)"
	run_traced dw "$p" drap
	assert_eq "$RUN_STATUS" 0 "$cc drap: exit status"
	j=$(report_json "$dw")
	n=$(jq --arg f realigned "$COUNT" <<<"$j")
	if [ "$cc" = gcc ]; then
		assert_eq "$(cat "$RUN_STDOUT")" "libunwind: mapped" "$cc drap: libunwind loaded"
		[ "$n" -ge 100 ] || fail "$cc drap: $n of 101 stacks through realigned reach main"
	else # clang realigns by RBP: no fallback
		assert_eq "$(cat "$RUN_STDOUT")" "libunwind: not mapped" "$cc drap: libunwind"
		assert_eq "$n" 101 "$cc drap: stacks through realigned that reach main"
	fi
done
echo ok

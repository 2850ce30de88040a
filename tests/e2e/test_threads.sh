#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_threads.sh - threads: two joinable threads that finished and were never joined and one
# still running at exit are reported with their kernel tids and the creating function; joined,
# tryjoined, pthread_exit'ed-and-joined, pthread_detach'ed and attribute-detached threads are
# not.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
t= # set by run_traced

# shellcheck disable=SC2016 # jq variables
DEFS='
def threads: [.processes[].findings[] | select(.kind == "thread")];
def in_fn($f): [threads[] | select(any(.stack[0:4][]; .function == $f))];
'

for cc in "${COMPILERS[@]}"; do
	note "threads ($cc)"
	p=$(prog "$cc" thread_unjoined)
	need "$p"
	run_traced t "$p"
	assert_eq "$RUN_STATUS" 0 "thread_unjoined exit status"
	want=$(sed -n 's/^unjoined //p' "$RUN_STDOUT" | sort -n | jq -R . | jq -sc 'map(tonumber)')
	assert_match "$want" '^\[[0-9]+,[0-9]+\]$' "unjoined tids printed"
	j=$(report_json "$t")
	assert_jq "$j" "$DEFS [in_fn(\"unjoined_spawner\")[].count] | add" 2 "unjoined finished threads"
	assert_jq "$j" "$DEFS [in_fn(\"unjoined_spawner\")[].tids[]] | sort | @json" "$want" "unjoined tids"
	assert_jq "$j" "$DEFS [in_fn(\"running_spawner\")[].count] | add" 1 "thread running at exit"
	assert_jq "$j" "$DEFS in_fn(\"fine_threads\") | length" 0 "joined/detached threads reported"
	assert_jq "$j" "$DEFS (threads | length) == (in_fn(\"unjoined_spawner\") + in_fn(\"running_spawner\") | length)" true "no other thread finding"
done

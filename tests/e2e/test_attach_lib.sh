#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_lib.sh - libleak.so's side of attach, without ptrace: attach_lib, started without
# the preload, dlopen()s libleak.so and calls leak_attach_begin/leak_attach_end itself.
#  - loaded but not attached, the library is invisible: no trace, no thread, no descriptor,
#    nothing on stderr, the same output as a run that never loads it;
#  - a window: the 5 blocks leaked in it and the descriptor opened in it are findings with
#    their stacks, the 20,000 allocations of its malloc/free loop are counted, blocks made
#    before it (freed or realloc'd in it) count nowhere, what existed at its start (threads,
#    a child, descriptors) is listed as pre-existing and never a finding; END says detach, the
#    report the window; the program's output and status are those of a run without libleak;
#  - the program's GOT entry for malloc holds the hook in the window and libc's after it;
#  - a library dlopen()ed and dlclose()d in the window: its leaks reported with its frames,
#    also when it came through a pointer to dlopen taken before the window (the writer's
#    pass routes it then);
#  - five windows over four threads in a tight malloc/free loop: no crash, each trace whole;
#  - twenty windows in one process: each trace complete, no descriptor, thread or mapping
#    left over;
#  - leak_attach_end while a tracer holds the writer thread stopped: -ETIMEDOUT, then 0 with
#    the GOT restored once it runs (skipped, with a line saying so, where ptrace is refused);
#  - under LD_PRELOAD (recording already) leak_attach_begin refuses with -EALREADY;
#  - exit() inside a window: the final snapshot with the exit status.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" attach_lib)
	need "$p"

	note "$cc: loaded, not attached"
	mkdir -p "$TMP/inert.$cc"
	run_native "$p" - "$TMP/inert.$cc" inert
	want=$(cat "$RUN_STDOUT")
	run_native "$p" "$LEAK_SO" "$TMP/inert.$cc" inert
	assert_eq "$RUN_STATUS" 0 "inert ($cc): exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "$want" "inert ($cc): output (threads and fds before->after)"
	assert_eq "$(cat "$RUN_STDERR")" "" "inert ($cc): nothing on stderr"
	assert_match "$want" '^inert threads ([0-9]+)->\1 fds ([0-9]+)->\2$' "inert ($cc): nothing grew"
	assert_eq "$(find "$TMP/inert.$cc" -name '*.lkt' | wc -l)" 0 "inert ($cc): no trace"

	note "$cc: one window"
	mkdir -p "$TMP/win.$cc"
	run_native "$p" - "$TMP/win.$cc" window
	want=$(cat "$RUN_STDOUT")
	run_native "$p" "$LEAK_SO" "$TMP/win.$cc" window
	assert_eq "$RUN_STATUS" 0 "window ($cc): exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "$want" "window ($cc): output"
	assert_eq "$(cat "$RUN_STDERR")" "" "window ($cc): nothing on stderr"
	traces=("$TMP/win.$cc"/*.lkt)
	assert_eq "${#traces[@]}" 1 "window ($cc): traces"
	report_json "${traces[0]}"
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[0]}")
	assert_jq "$j" '.processes[0].end_reason' detach "window ($cc): END reason"
	assert_jq "$j" '.processes[0].exit_status' null "window ($cc): no exit status"
	assert_jq "$j" '.processes[0].attached.detached' true "window ($cc): attached.detached"
	assert_jq "$j" 'count_in("leak_in_window")' 5 "window ($cc): blocks leaked in the window"
	assert_jq "$j" 'bytes_in("leak_in_window")' 5000 "window ($cc): bytes leaked in the window"
	assert_jq "$j" '[leaks[] | select(.bytes != 1000 and .bytes != 5000)] | length' 0 \
		"window ($cc): no other leak (the realloc'd old block counts nowhere)"
	assert_jq "$j" '.processes[0].total_allocs >= 20000' true "window ($cc): the loop is counted"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "fd") | .path] | join(",")' \
		/dev/zero "window ($cc): the one descriptor finding is the window's"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "thread" or .kind == "child")]
		| length' 0 "window ($cc): pre-existing threads and children are no findings"
	assert_jq "$j" '[.processes[0].preexisting[] | select(.type == "thread")] | length' 2 \
		"window ($cc): pre-existing threads"
	assert_jq "$j" '[.processes[0].preexisting[] | select(.type == "child")] | length' 1 \
		"window ($cc): pre-existing child"
	assert_jq "$j" '[.processes[0].preexisting[] | select(.path == "/dev/null")] | length > 0' \
		true "window ($cc): the pre-existing /dev/null descriptor"
	text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" "${traces[0]}")
	assert_match "$text" 'attached [0-9]{2}:[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}, [0-9.]+ s' \
		"window ($cc): the text report's window"
	assert_match "$text" 'pre-existing at attach \(not findings\): [0-9]+ descriptors, 2 threads, 1 child' \
		"window ($cc): the text report's pre-existing line"

	assert_match "$(cat "$RUN_STDOUT")" 'got routed 1 restored 1' \
		"window ($cc): GOT entry patched in the window, restored after"

	note "$cc: a library loaded in the window"
	mkdir -p "$TMP/plug.$cc"
	need "$(prog "$cc" lib_heap_plugin.so)"
	run_native "$p" "$LEAK_SO" "$TMP/plug.$cc" plugin "$(prog "$cc" lib_heap_plugin.so)"
	assert_eq "$RUN_STATUS" 0 "plugin ($cc): exit status ($(cat "$RUN_STDOUT"))"
	traces=("$TMP/plug.$cc"/*.lkt)
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[0]}")
	assert_jq "$j" 'count_in("plugin_alloc_entry")' 13 "plugin ($cc): the library's leaks"
	mkdir -p "$TMP/plug2.$cc"
	run_native "$p" "$LEAK_SO" "$TMP/plug2.$cc" plugin "$(prog "$cc" lib_heap_plugin.so)" late
	assert_eq "$RUN_STATUS" 0 "plugin late ($cc): exit status ($(cat "$RUN_STDOUT"))"
	traces=("$TMP/plug2.$cc"/*.lkt)
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[0]}")
	assert_jq "$j" 'count_in("plugin_alloc_entry")' 13 "plugin late ($cc): the library's leaks"

	note "$cc: windows over threads in a tight loop"
	mkdir -p "$TMP/thr.$cc"
	run_native "$p" "$LEAK_SO" "$TMP/thr.$cc" threads
	assert_eq "$RUN_STATUS" 0 "threads ($cc): exit status ($(cat "$RUN_STDOUT"))"
	assert_match "$(cat "$RUN_STDOUT")" 'threads churned yes' "threads ($cc): the loops ran"
	traces=("$TMP/thr.$cc"/*.lkt)
	assert_eq "${#traces[@]}" 5 "threads ($cc): one trace per window"
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[@]}")
	assert_jq "$j" '[.processes[] | select(.end_reason == "detach" and .total_allocs > 1000)]
		| length' 5 "threads ($cc): every window complete, allocations counted"
	assert_jq "$j" 'count_in("churn_thread") > 0' true "threads ($cc): the loop's leaks"

	note "$cc: twenty windows"
	mkdir -p "$TMP/cyc.$cc"
	run_native "$p" "$LEAK_SO" "$TMP/cyc.$cc" cycles
	assert_eq "$RUN_STATUS" 0 "cycles ($cc): exit status ($(cat "$RUN_STDOUT"))"
	assert_eq "$(cat "$RUN_STDERR")" "" "cycles ($cc): nothing on stderr"
	assert_match "$(cat "$RUN_STDOUT")" '^cycles threads ([0-9]+) \1->\1 fds ([0-9]+) \2->\2$' \
		"cycles ($cc): no thread or descriptor left over"
	assert_match "$(cat "$RUN_STDOUT")" 'KiB: steady$' "cycles ($cc): no mapping grows per window"
	traces=("$TMP/cyc.$cc"/*.lkt)
	assert_eq "${#traces[@]}" 20 "cycles ($cc): one trace per window"
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[@]}")
	assert_jq "$j" '[.processes[] | select(.end_reason == "detach")] | length' 20 \
		"cycles ($cc): every window ends with detach"
	assert_jq "$j" '[.processes[] | [.findings[] | select(.kind == "leak")
		| select(any(.stack[0:3][]; .function == "leak_in_window")) | .count] | add]
		| map(tostring) | unique | join(",")' 1 "cycles ($cc): each window sees its own leak"

	note "$cc: end while the writer thread is stopped"
	mkdir -p "$TMP/stop.$cc"
	run_native "$p" "$LEAK_SO" "$TMP/stop.$cc" stopped
	if [ "$RUN_STATUS" -eq 77 ]; then
		echo "SKIP: stopped writer ($cc): $(cat "$RUN_STDOUT")"
	else
		assert_eq "$RUN_STATUS" 0 "stopped ($cc): exit status ($(cat "$RUN_STDOUT"))"
		assert_match "$(cat "$RUN_STDOUT")" 'end -110, then end 0 restored 1, again -2' \
			"stopped ($cc): -ETIMEDOUT, then 0 with the GOT restored"
		traces=("$TMP/stop.$cc"/*.lkt)
		j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[0]}")
		assert_jq "$j" '.processes[0].end_reason' detach "stopped ($cc): the trace ends"
	fi

	note "$cc: exit inside a window"
	mkdir -p "$TMP/exit.$cc"
	run_native "$p" "$LEAK_SO" "$TMP/exit.$cc" exit
	assert_eq "$RUN_STATUS" 3 "exit ($cc): exit status"
	traces=("$TMP/exit.$cc"/*.lkt)
	j=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "${traces[0]}")
	assert_jq "$j" '.processes[0].end_reason + " " + (.processes[0].exit_status | tostring)' \
		"exit 3" "exit ($cc): END"
	assert_jq "$j" 'count_in("leak_in_window")' 3 "exit ($cc): blocks leaked in the window"
done

note "preloaded: begin refuses"
mkdir -p "$TMP/pre"
mkdir -p "$TMP/pre.traces"
run_native env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/pre.traces/leak.%e.%p.lkt" \
	"$(prog gcc attach_lib)" "$LEAK_SO" "$TMP/pre" window
assert_eq "$RUN_STATUS" 1 "preloaded: exit status (begin and end refused)"
assert_match "$(cat "$RUN_STDOUT")" '^begin -114$' "preloaded: begin answers -EALREADY"
assert_eq "$(find "$TMP/pre" -name '*.lkt' | wc -l)" 0 "preloaded: no window trace"
note "attach entry points: inert until begin, windows, cycles, exit: ok"

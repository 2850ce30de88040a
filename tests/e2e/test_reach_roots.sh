#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_reach_roots.sh - the exit scan's roots (preload/reach.c, reach_stop.c), one case each,
# as LeakSanitizer's root-set tests have them (reach_roots.c): a block held only by a
# register (general, xmm) of a thread spinning in asm, the stack of a running or a blocked
# thread, static TLS of the main thread and of a running thread, dynamic TLS of a dlopen'd
# library, pthread keys below and above 32, a pool over mmap, a block a forked child hangs on
# one its parent allocated before the fork (in the main arena or a thread's) is "reachable"; a block pointing to itself, one
# left in a dead stack slot (of main, of a running thread), one held only by an unaligned
# copy, one lost in a forked child is a "leak". Each verdict is asserted for the
# gcc and clang builds at -O2 (the Makefile's) and at -O0 (built here). A thread that blocks
# every signal cannot be stopped: the scan is partial, names it, and the lost block is
# reachable, not a leak (only a raw rt_sigprocmask blocks libc's 32 and 33 too); one that blocks
# every signal pthread_sigmask can (a daemon's workers, its sigwait thread, glibc's SIGEV_THREAD
# timer thread) is stopped through 33 and scanned; a program that handles SIGRTMAX itself
# never sees the stop signal.
# A thread glibc holds with every signal blocked (made just before exit and not started yet,
# or inside posix_spawn until its child execs) is waited for: the scan stays complete.
# A pool whose words at a 64 MiB boundary look like a glibc heap's header by their low bits
# (pool_64m) is a root all the same: a heap_info must point to its arena.
# An 8 KiB page header between two guards (pool_paged, V8's code pages) is a root too: what
# lies right above a guard is a thread's stack only from 12 KiB up.
# A pool behind a guard region (pool_guard: maps shows it readable, a read in place faults)
# is reachable too: the scan's fault backstop falls back to process_vm_readv.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
src=$(cd "$(dirname "$0")" && pwd)/progs/reach_roots.c
# shellcheck disable=SC2016 # jq variables
MARK='def marker: [.processes[] | .findings[] | select(any(.stack[0:3][]; .function == "make_marker"))];'

n=0
# traced PROG ARGS...: run under libleak; $traces holds the traces written (one per process).
traced() {
	n=$((n + 1))
	mkdir -p "$TMP/r$n"
	local rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/r$n/leak.%e.%p.lkt" "$@" \
		>"$TMP/r$n/stdout" 2>"$TMP/r$n/stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "$* exit status ($(head -c 300 "$TMP/r$n/stderr"))"
	traces=("$TMP/r$n"/*.lkt)
}

# verdict WHAT KIND PARTIAL PROG ARGS...: the marker block is one finding of KIND, and the
# scan's partial flag (of the process holding it) is PARTIAL.
verdict() {
	local what=$1 kind=$2 partial=$3
	shift 3
	traced "$@"
	local j
	j=$(report_json "${traces[@]}")
	assert_jq "$j" "$MARK [marker[] | \"\\(.kind) \\(.count)\"] | join(\",\")" "$kind 1" "$what"
	assert_jq "$j" "[.processes[] | select(any(.findings[]; any(.stack[0:3][]; .function == \"make_marker\"))) | .scan.partial] | join(\",\")" \
		"$partial" "$what: scan partial"
}

for cc in "${COMPILERS[@]}"; do
	lib=$(prog "$cc" lib_reach_dtls.so)
	o0=$TMP/reach_roots_O0_$cc
	need "$(prog "$cc" reach_roots)"
	[ -e "$lib" ] || fail "missing $lib (run make progs)"
	"$cc" -O0 -g -pthread -o "$o0" "$src" -ldl || fail "$cc -O0 build of reach_roots.c"
	for opt in O2 O0; do
		p=$(prog "$cc" reach_roots)
		[ "$opt" = O0 ] && p=$o0
		note "$cc -$opt: roots that keep a block reachable"
		modes=(stack blocked sigwait tls tls_thread key_lo key_hi pool pool_64m pool_paged)
		[ "$(uname -m)" = x86_64 ] && modes=(reg xmm "${modes[@]}")
		for m in "${modes[@]}"; do
			verdict "$cc -$opt $m" reachable false "$p" "$m"
			if [ "$m" = sigwait ]; then
				assert_eq "$(cat "$TMP/r$n/stderr")" "" "$cc -$opt sigwait: stderr (the stop signal reached the program?)"
			fi
		done
		verdict "$cc -$opt dtls" reachable false "$p" dtls "$lib"
		for m in fork_held fork_held_arena; do
			verdict "$cc -$opt $m" reachable false "$p" $m
			assert_eq "${#traces[@]}" 2 "$cc -$opt $m: traces (parent and child)"
		done
		note "$cc -$opt: what must stay a leak"
		for m in self stale stale_thread unaligned; do
			verdict "$cc -$opt $m" leak false "$p" "$m"
		done
		verdict "$cc -$opt fork" leak false "$p" fork
		assert_eq "${#traces[@]}" 2 "$cc -$opt fork: traces (parent and child)"
	done

	p=$(prog "$cc" reach_roots)
	note "$cc: a thread held inside libc with signals blocked is waited for"
	verdict "$cc starting" leak false "$p" starting
	verdict "$cc spawning" leak false "$p" spawning "$TMP/fifo_$cc"

	note "$cc: threads that block every signal pthread_sigmask can are stopped through 33"
	verdict "$cc masked" leak false "$p" masked
	verdict "$cc timer" leak false "$p" timer

	note "$cc: a thread that blocks every signal, libc's too, makes the scan partial"
	verdict "$cc rawmasked" reachable true "$p" rawmasked
	j=$(report_json "${traces[@]}")
	assert_jq "$j" '.processes[0].scan.missed | map(.reason) | join(",")' signal_blocked "$cc rawmasked: missed thread"
	assert_jq "$j" '.processes[0].scan.assumed_reachable_blocks' 1 "$cc rawmasked: blocks assumed reachable"
	assert_jq "$j" '.processes[0].scan.threads_missed' 1 "$cc rawmasked: threads missed"
	text=$("$LEAK_REPORT" "${traces[@]}")
	assert_match "$text" 'exit scan partial: thread [0-9]+ \(reach_roots\) blocks the stop signal; 1 blocks not reached are counted reachable' \
		"$cc rawmasked: text report"

	# Reads in place (reach_mark.c) fault on a guard region /proc/self/maps does not show: the
	# scan must fall back to process_vm_readv, not crash, and still find the marker past it.
	rc=0
	"$p" pool_guard >/dev/null 2>&1 || rc=$?
	if [ "$rc" = 77 ]; then
		note "SKIP $cc pool_guard: this kernel has no MADV_GUARD_INSTALL (Linux 6.13)"
	else
		note "$cc: a pool behind a guard region the maps do not show"
		verdict "$cc pool_guard" reachable false "$p" pool_guard
		assert_eq "$(cat "$TMP/r$n/stderr")" "" "$cc pool_guard: stderr"
	fi

	if [ "$(uname -m)" = x86_64 ]; then
		note "$cc: the program's own SIGRTMAX handler is left alone"
		verdict "$cc own_rtmax" reachable false "$p" own_rtmax
		assert_eq "$(cat "$TMP/r$n/stderr")" "" "$cc own_rtmax: stderr (the program's handler ran?)"
	fi
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_nopie.sh - leak-attach on programs built the way Debian builds python3 and node:
# a non-PIE executable that takes malloc's address, so its PLT entry for malloc is the
# canonical one (dlsym and every other module see that stub, the executable's own slot holds
# libc's malloc). Built here with gcc and clang, -O2 -g without frame pointers, as -no-pie and
# as PIE, each started without libleak (free reached through a pointer in data too):
#  - attached until it exits: the window's allocations are recorded, directly and (non-PIE)
#    through the function pointer, with the stack through leak_here; its return of 3 from main is
#    the exit status in the report (libc's own exit call passes no patched slot);
#  - attached for a 1 s window and detached: same output and status 3 as an unattached run.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/attach_lib.sh
. "$(dirname "$0")/attach_lib.sh"

cat >"$TMP/win.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* malloc's address taken in code (main): in a non-PIE build the executable's PLT entry for
 * it is then the canonical address. free's, in initialised data: a dynamic relocation. */
static void *(*volatile alloc_fn)(size_t);
static void (*volatile free_fn)(void *) = free;
static void *volatile sink;
static void *volatile kept[64]; /* overwritten: the older ones leak */
__attribute__((noinline)) static void leak_here(long i)
{
	kept[i % 64] = alloc_fn(48 + (size_t)(i % 8));
}
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (f)
		fclose(f);
	alloc_fn = malloc;
	long n = 0;
	while (access(argv[2], F_OK) != 0) {
		for (int k = 0; k < 50; k++) {
			sink = malloc(100 + (size_t)k);
			free_fn(sink);
		}
		leak_here(n++);
		usleep(2000);
	}
	printf("done %d\n", n > 0);
	return 3;
}
C

# start BIN DIR: run it in the background until DIR/stop (stdout and stderr in DIR/out); sets
# WPID. finish DIR: stop it, add "status <rc>" to its output.
start() {
	bg_start --merge "$2" "$1"
	WPID=$BGPID
}
finish() {
	bg_stop "$1"
}

for cc in gcc clang; do
	ccbin=$(cc_path "$cc")
	if [ -z "$ccbin" ]; then
		note "SKIP clang builds: no clang"
		continue
	fi
	for kind in nopie pie; do
		flags=(-fno-pie -no-pie)
		[ "$kind" = pie ] && flags=(-fpie -pie)
		bin=$TMP/win-$cc-$kind
		"$ccbin" -O2 -g -fomit-frame-pointer "${flags[@]}" -o "$bin" "$TMP/win.c"
		if [ "$kind" = nopie ]; then
			file "$bin" | grep -q 'LSB executable' || fail "$bin is not a non-PIE executable"
		fi
		t="$cc $kind"

		start "$bin" "$TMP/$cc-$kind-plain"
		sleep 0.2
		finish "$TMP/$cc-$kind-plain"
		assert_eq "$(tail -n 1 "$TMP/$cc-$kind-plain/out")" "status 3" "$t: unattached status"

		# Attached until it exits.
		d=$TMP/$cc-$kind-exit
		start "$bin" "$d"
		timeout 30 "$ATTACH" --json -o "$d/t" -i 0.2 "$WPID" >"$d/report.json" 2>"$d/attach.err" &
		apid=$!
		wait_for "$d/attach.err" "^leak-attach: attached to $WPID" 20
		sleep 1
		finish "$d"
		rc=0
		wait "$apid" || rc=$?
		assert_eq "$rc" 0 "$t: leak-attach status ($(cat "$d/attach.err"))"
		assert_eq "$(cat "$d/out")" "$(cat "$TMP/$cc-$kind-plain/out")" "$t: output and status attached until exit"
		j=$(cat "$d/report.json")
		assert_jq "$j" '.processes[0].end_reason + " " + (.processes[0].exit_status | tostring)' \
			"exit 3" "$t: END of a return of 3 from main in the window"
		assert_jq "$j" '.processes[0].total_allocs > 1000' true "$t: allocations in the window"
		# Through the canonical entry when non-PIE; a PIE build copied libc's address from
		# its GOT into alloc_fn before the window (a documented limit: unrouted).
		if [ "$kind" = nopie ]; then
			assert_jq "$j" '[.processes[0].findings[] | select(.kind == "leak" and any(.stack[0:2][]?; .function == "leak_here"))] | length' 1 \
				"$t: blocks leaked by leak_here, through the function pointer"
		fi
		note "$t: attached until exit: $(jq_get "$j" '.processes[0].total_allocs') allocations, exit $(jq_get "$j" '.processes[0].exit_status')"

		# A window, detached, then the program ends on its own.
		d=$TMP/$cc-$kind-win
		start "$bin" "$d"
		rc=0
		timeout 30 "$ATTACH" --json -o "$d/t" --for 1 "$WPID" >"$d/report.json" 2>"$d/attach.err" || rc=$?
		assert_eq "$rc" 0 "$t: leak-attach --for 1 ($(cat "$d/attach.err"))"
		sleep 0.1
		finish "$d"
		assert_eq "$(cat "$d/out")" "$(cat "$TMP/$cc-$kind-plain/out")" "$t: output and status after a window"
		assert_jq "$(cat "$d/report.json")" '.processes[0].total_allocs > 1000' true "$t: allocations in the 1 s window"
	done
done

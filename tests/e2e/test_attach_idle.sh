#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_attach_idle.sh - an idle program (it sleeps and polls a file: no call libleak hooks)
# attached with leak-attach for a 1.5 s window at -i 0.2 gets its periodic snapshots (the
# writer starts at the attach, not at the first hook, since leak-attach lets the other
# threads run during the call); after the detach it has as many threads as before, and its
# output and exit status are those of an unattached run. gcc and clang builds, -O2 -g without
# frame pointers, started without libleak.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/attach_lib.sh
. "$(dirname "$0")/attach_lib.sh"

cat >"$TMP/idle.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (f)
		fclose(f);
	int n = 0;
	while (access(argv[2], F_OK) != 0) {
		usleep(20000);
		n++;
	}
	printf("idle done %d\n", n > 0);
	return 5;
}
C

for cc in gcc clang; do
	ccbin=$(cc_path "$cc")
	if [ -z "$ccbin" ]; then
		note "SKIP clang build: no clang"
		continue
	fi
	bin=$TMP/idle-$cc
	"$ccbin" -O2 -g -fomit-frame-pointer -o "$bin" "$TMP/idle.c"
	for mode in plain attached; do
		d=$TMP/$cc-$mode
		bg_start --merge "$d" "$bin"
		pid=$BGPID
		if [ "$mode" = attached ]; then
			before=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
			rc=0
			timeout 30 "$ATTACH" --json -o "$d/t" -i 0.2 --for 1.5 "$pid" >"$d/report.json" \
				2>"$d/attach.err" || rc=$?
			assert_eq "$rc" 0 "$cc: leak-attach ($(cat "$d/attach.err"))"
			sleep 0.2
			assert_eq "$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)" "$before" "$cc: threads after the detach"
			j=$(cat "$d/report.json")
			assert_jq "$j" '.processes[0].end_reason' detach "$cc: end reason"
			assert_jq "$j" '.processes[0].snapshots >= 5' true \
				"$cc: periodic snapshots of an idle program ($(jq_get "$j" '.processes[0].snapshots'))"
			note "$cc: idle window: $(jq_get "$j" '.processes[0].snapshots') snapshots in 1.5 s at -i 0.2"
		fi
		bg_stop "$d"
	done
	assert_eq "$(cat "$TMP/$cc-attached/out")" "$(cat "$TMP/$cc-plain/out")" "$cc: output and status"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sample_single.sh - with LEAK_SAMPLE a single-threaded program that never blocks keeps
# glibc's single-threaded malloc: libleak starts no thread of its own in it (a second thread
# puts glibc's malloc on its locked paths for the rest of the run), its own thread writes the
# periodic snapshots instead, and the leak is still found. Full tracking, for contrast, starts
# the writer thread at the first snapshot due. Reading a file starts no thread; reading a pipe
# does (it could wait).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" sample_single)
	need "$p"
	run_native "$p"
	assert_eq "$(cat "$RUN_STDOUT")" "single_threaded=1" "$cc: natively single-threaded"

	note "$cc: LEAK_SAMPLE=524288"
	LEAK_SAMPLE=524288 run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc, sampled: exit status"
	assert_eq "$(cat "$RUN_STDOUT")" "single_threaded=1" "$cc, sampled: still single-threaded"
	json=$(report_json "$trace")
	assert_jq "$json" '.processes[0].end_reason' exit "$cc, sampled: end"
	# 700 ms of CPU at the dense start (a snapshot every 100 ms): periodic snapshots written
	# by the program's thread, and the final one.
	assert_jq "$json" '.processes[0].snapshots >= 4' true "$cc, sampled: periodic snapshots"
	# 24 MiB in 1 MiB blocks, each sampled with p = 0.86: the estimate is within a third
	assert_jq "$json" 'bytes_in("leak_big") > 16000000 and bytes_in("leak_big") < 34000000' \
		true "$cc, sampled: leak_big's estimate"

	# Reading a file first (read, readv and stdio's reads) starts no thread either; reading
	# a pipe does, as it could have waited for the writer
	LEAK_SAMPLE=524288 run_traced trace "$p" files
	assert_eq "$(cat "$RUN_STDOUT")" "single_threaded=1" "$cc, sampled, files read: no thread"
	LEAK_SAMPLE=524288 run_traced trace "$p" pipe
	assert_eq "$(cat "$RUN_STDOUT")" "single_threaded=0" "$cc, sampled, pipe read: the thread"

	note "$cc: full tracking"
	run_traced trace "$p"
	assert_eq "$(cat "$RUN_STDOUT")" "single_threaded=0" "$cc, full: the writer thread runs"
done
echo "ok"

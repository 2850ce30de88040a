#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_killed.sh - leaks found from the snapshots alone: an unbounded cache, a
# realloc-grown buffer, a socket-per-request, a thread-per-request and a process-per-request
# (never reaped) program each run ~5 s (LEAK_INTERVAL_MS=200) and then SIGKILL themselves
# after a fixed number of requests (KILL_AFTER: so the kill lands while they are known to be
# growing even on a loaded machine), leaving traces with no final snapshot and no END. Each
# must be flagged at the right function (growth at cache_store_value / log_append, a growing
# fd group at accept_request, a growing thread group at spawn_handler, growing zombies at
# spawn_worker) with a plausible rate, and the healthy modes of the same programs must not
# be. RSS grown through mmap with a flat heap is an "rss" finding. gcc and clang builds, all started together to keep the test short.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"

pids=()
# shellcheck disable=SC2317 # called from the EXIT trap
kill_all() {
	local p
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
}
trap 'rc=$?; kill_all; (exit $rc); _lk_cleanup' EXIT

# start NAME PROG ARGS...: run PROG traced in the background into $TMP/NAME/.
start() {
	local name=$1
	shift
	mkdir -p "$TMP/$name"
	LD_PRELOAD=$LEAK_SO LEAK_INTERVAL_MS=200 LEAK_FOLLOW_FORK=0 LEAK_OUT=$TMP/$name/leak.%e.%p.lkt \
		"$@" >"$TMP/$name/stdout" 2>"$TMP/$name/stderr" </dev/null &
	pids+=($!)
}

for cc in "${COMPILERS[@]}"; do
	for p in grow_cache grow_realloc grow_sockets grow_threads grow_zombies grow_rss; do
		need "$(prog "$cc" "$p")"
	done
	# 60 s is only a backstop: each kills itself after ~5 s of requests.
	start "$cc-cache" "$(prog "$cc" grow_cache)" unbounded 60 500
	start "$cc-realloc" "$(prog "$cc" grow_realloc)" 60 500
	start "$cc-sockets" "$(prog "$cc" grow_sockets)" leak 60 250
	start "$cc-threads" "$(prog "$cc" grow_threads)" leak 60 100
	start "$cc-sockets-ok" "$(prog "$cc" grow_sockets)" ok 60 250
	start "$cc-threads-ok" "$(prog "$cc" grow_threads)" ok 60 100
	start "$cc-zombies" "$(prog "$cc" grow_zombies)" leak 60 100
	start "$cc-zombies-ok" "$(prog "$cc" grow_zombies)" ok 60 100
	start "$cc-rss" "$(prog "$cc" grow_rss)" 60 250
done
note "waiting for the programs to SIGKILL themselves"
for p in "${pids[@]}"; do
	rc=0
	wait "$p" 2>/dev/null || rc=$?
	assert_eq "$rc" 137 "exit status of pid $p (killed by SIGKILL)"
done
pids=()

# json_of NAME: the report of the one trace in $TMP/NAME.
json_of() {
	local t=("$TMP/$1"/*.lkt)
	if [ ! -e "${t[0]}" ] || [ ${#t[@]} -ne 1 ]; then
		fail "$1: expected one trace, got ${t[*]}"
	fi
	report_json "${t[0]}"
}

# shellcheck disable=SC2016 # jq variables
DEFS='def at($k; $f): [.processes[0].findings[] | select(.kind == $k and any(.stack[0:4][]; .function == $f))];'

for cc in "${COMPILERS[@]}"; do
	note "$cc: unbounded cache"
	j=$(json_of "$cc-cache")
	assert_jq "$j" '.processes[0].cut_short' true "$cc cache: trace cut short"
	assert_jq "$j" "$DEFS at(\"growth\"; \"cache_store_value\") | length" 1 "$cc cache: growth at cache_store_value"
	assert_jq "$j" "$DEFS at(\"growth\"; \"cache_store_value\")[0] | (.bytes_per_sec > 50000 and .bytes_per_sec < 1500000)" true "$cc cache: ~1 MB/s"
	assert_jq "$j" "$DEFS at(\"growth\"; \"cache_store_value\")[0] | (.count_per_sec > 50 and .tau > 0.8 and .p_value < 0.001)" true "$cc cache: count rate, tau, p"
	assert_jq "$j" "$DEFS at(\"growth\"; \"cache_store_value\")[0] | (.last_bytes > .first_bytes and .bytes == .last_bytes and .eta_s == null and (.window | length) == 2)" true "$cc cache: first/last/window fields"
	# Its leaks are all it held at the last snapshot, the cache among them: the growth
	# finding ranks first, so a text report's top shows it however many stacks were live.
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "leak")] | length > 0' true "$cc cache: live heap listed as leak"
	assert_jq "$j" '.processes[0].findings[0].kind' growth "$cc cache: growth ranks first"

	note "$cc: realloc-grown buffer"
	j=$(json_of "$cc-realloc")
	assert_jq "$j" "$DEFS at(\"growth\"; \"log_append\") | length" 1 "$cc realloc: growth at log_append"
	assert_jq "$j" "$DEFS at(\"growth\"; \"log_append\")[0] | (.bytes_per_sec > 5000 and .bytes_per_sec < 52000 and .count == 1 and .count_per_sec == 0)" true "$cc realloc: ~50 KiB/s in one block"

	note "$cc: socket per request"
	j=$(json_of "$cc-sockets")
	assert_jq "$j" "$DEFS at(\"fd\"; \"accept_request\") | length" 1 "$cc sockets: fd finding at accept_request"
	assert_jq "$j" "$DEFS at(\"fd\"; \"accept_request\")[0] | (.growing and .fd_type == \"socket\" and .count_per_sec > 3 and .count_per_sec < 55 and .count > 100 and .count <= 250)" true "$cc sockets: growing ~50/s, up to 250 open"
	j=$(json_of "$cc-sockets-ok")
	assert_jq "$j" "$DEFS at(\"fd\"; \"accept_request\") | length" 0 "$cc sockets ok: no fd finding at accept_request"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth" or .growing == true)] | length' 0 "$cc sockets ok: nothing grows"

	note "$cc: thread per request"
	j=$(json_of "$cc-threads")
	assert_jq "$j" "$DEFS at(\"thread\"; \"spawn_handler\") | length" 1 "$cc threads: thread finding at spawn_handler"
	assert_jq "$j" "$DEFS at(\"thread\"; \"spawn_handler\")[0] | (.growing and .count_per_sec > 2 and .count_per_sec < 21 and .count > 40 and .count <= 100)" true "$cc threads: growing ~20/s, up to 100 unjoined"
	j=$(json_of "$cc-threads-ok")
	assert_jq "$j" "$DEFS at(\"thread\"; \"spawn_handler\") | length" 0 "$cc threads ok: no thread finding"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth" or .growing == true)] | length' 0 "$cc threads ok: nothing grows"

	note "$cc: process per request, never reaped"
	j=$(json_of "$cc-zombies")
	assert_jq "$j" "$DEFS at(\"zombie\"; \"spawn_worker\") | length" 1 "$cc zombies: zombie finding at spawn_worker"
	assert_jq "$j" "$DEFS at(\"zombie\"; \"spawn_worker\")[0] | (.growing and .count_per_sec > 2 and .count_per_sec < 21 and .count > 40 and .count <= 100)" true "$cc zombies: growing ~20/s, up to 100 unreaped"
	j=$(json_of "$cc-zombies-ok")
	assert_jq "$j" "$DEFS at(\"zombie\"; \"spawn_worker\") | length" 0 "$cc zombies ok: no zombie finding"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth" or .growing == true)] | length' 0 "$cc zombies ok: nothing grows"

	note "$cc: RSS grows through mmap, the heap does not"
	j=$(json_of "$cc-rss")
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "rss")] | length' 1 "$cc rss: rss findings"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind != "leak")][0] | (.kind == "rss" and .bytes_per_sec > 1048576 and .bytes_per_sec < 14000000 and .last_bytes > .first_bytes and (.cause | test("non-malloc")))' true \
		"$cc rss: ranked first after the leaks, ~12.5 MiB/s, cause named"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth")] | length' 0 "$cc rss: no growing stack"
done
echo ok
